#include "hl_gpio.h"

#include <time.h>

int64_t hl_gpio_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#include <sys/timex.h>

int hl_clock_synchronized(void) {
    struct timex tx = {0};
    int state = adjtimex(&tx);
    return state != TIME_ERROR && !(tx.status & STA_UNSYNC);
}
