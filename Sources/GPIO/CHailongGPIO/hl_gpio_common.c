#include "hl_gpio_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

int hl_gpio_check_counts(const hl_gpio_config *config, char *error, size_t error_size) {
    if (config->button_count <= HL_MAX_LINES && config->led_count <= HL_MAX_LINES) return 0;
    snprintf(error, error_size, "too many lines (at most %d buttons and %d LEDs)", HL_MAX_LINES, HL_MAX_LINES);
    return -1;
}

void hl_gpio_explain_chip(const char *chip, int err, char *error, size_t error_size) {
    if (err == EACCES || err == EPERM) {
        snprintf(error, error_size, "GPIO chip '%s': permission denied (is the user in group gpio?)", chip);
    } else {
        snprintf(error, error_size, "GPIO chip '%s' not found (no /dev/gpiochip* with that name, path or label): %s",
                 chip, strerror(err));
    }
}

void hl_gpio_explain_missing_line(const char *what, unsigned int offset, const char *chip_name, const char *chip_label,
                                  size_t lines, char *error, size_t error_size) {
    snprintf(error, error_size, "%s line %u does not exist on chip '%s' (%s), which has lines 0-%zu", what, offset,
             chip_name, chip_label, lines - 1);
}

void hl_gpio_explain_request(const char *what, unsigned int offset, const char *chip_name, int err,
                             const char *holder, char *error, size_t error_size) {
    if (err == EBUSY) {
        snprintf(error, error_size, "%s line %u on chip '%s' is busy (used by %s)", what, offset, chip_name, holder);
    } else {
        snprintf(error, error_size, "cannot request %s line %u on chip '%s': %s", what, offset, chip_name,
                 strerror(err));
    }
}
