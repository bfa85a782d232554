/*
 * simpin: drives and samples gpio-sim lines from inside the test guest.
 *
 * busybox has no sub-second clock and a shell loop is too slow and too irregular to make a
 * contact bounce, so the few timing-sensitive steps of the scenarios live here. Linked
 * statically: the guest has no libc of its own.
 *
 *   simpin set up|down PULL...               drive input lines, back to back (pull-up: released)
 *   simpin bounce PULL TOGGLES GAP_US        toggle a line TOGGLES times, GAP_US apart, from its
 *                                            current state (an odd count ends in the other state);
 *                                            prints the microseconds the burst took
 *   simpin press-wait PULL VALUE TIMEOUT_MS  press, then wait for the output line VALUE to read 1;
 *                                            prints the microseconds from the press (or "timeout")
 *                                            and the press's CLOCK_MONOTONIC time in ns
 *   simpin sample VALUE COUNT GAP_MS         prints COUNT readings of an output line, GAP_MS apart
 *   simpin wait VALUE 0|1 TIMEOUT_MS         waits until an output line reads the value; exit 1 on timeout
 *   simpin until VALUE 0|1 TIMEOUT_MS        the same, printing the milliseconds waited (or "timeout")
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void sleep_us(long us) {
    /* Under TCG a short nanosleep lasts a millisecond or more: spin for bounce-sized gaps. */
    if (us < 2000) {
        long long until = now_us() + us;
        while (now_us() < until) {
        }
        return;
    }
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static int open_or_die(const char *path, int flags) {
    int fd = open(path, flags);
    if (fd < 0) {
        fprintf(stderr, "simpin: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return fd;
}

static void drive(int fd, int pressed) {
    const char *word = pressed ? "pull-down" : "pull-up";
    if (pwrite(fd, word, strlen(word), 0) < 0) {
        fprintf(stderr, "simpin: write %s: %s\n", word, strerror(errno));
        exit(2);
    }
}

static int readv01(int fd) {
    char c = 0;
    if (pread(fd, &c, 1, 0) != 1) {
        fprintf(stderr, "simpin: read: %s\n", strerror(errno));
        exit(2);
    }
    return c == '1';
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "set") == 0) {
        int pressed = strcmp(argv[2], "down") == 0;
        int fds[8];
        int n = argc - 3 > 8 ? 8 : argc - 3;
        for (int i = 0; i < n; i++) fds[i] = open_or_die(argv[3 + i], O_WRONLY);
        for (int i = 0; i < n; i++) drive(fds[i], pressed);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "bounce") == 0) {
        int fd = open_or_die(argv[2], O_RDWR);
        char state[16] = "";
        if (pread(fd, state, sizeof state - 1, 0) < 0) {
            fprintf(stderr, "simpin: read %s: %s\n", argv[2], strerror(errno));
            return 2;
        }
        int pressed = strncmp(state, "pull-down", 9) == 0;
        int toggles = atoi(argv[3]);
        long gap = atol(argv[4]);
        long long start = now_us();
        for (int i = 1; i <= toggles; i++) {
            pressed = !pressed;
            drive(fd, pressed);
            if (i < toggles) sleep_us(gap);
        }
        printf("%lld\n", now_us() - start);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "press-wait") == 0) {
        int pull = open_or_die(argv[2], O_WRONLY);
        int value = open_or_die(argv[3], O_RDONLY);
        long long deadline = now_us() + atoll(argv[4]) * 1000LL;
        struct timespec press;
        clock_gettime(CLOCK_MONOTONIC, &press);
        long long start = now_us();
        drive(pull, 1);
        long long press_ns = (long long)press.tv_sec * 1000000000LL + press.tv_nsec;
        while (!readv01(value)) {
            if (now_us() > deadline) {
                printf("timeout %lld\n", press_ns);
                return 1;
            }
            sleep_us(200);
        }
        printf("%lld %lld\n", now_us() - start, press_ns);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "sample") == 0) {
        int value = open_or_die(argv[2], O_RDONLY);
        int count = atoi(argv[3]);
        long gap = atol(argv[4]) * 1000L;
        for (int i = 0; i < count; i++) {
            putchar(readv01(value) ? '1' : '0');
            if (i + 1 < count) sleep_us(gap);
        }
        putchar('\n');
        return 0;
    }
    if (argc >= 5 && (strcmp(argv[1], "wait") == 0 || strcmp(argv[1], "until") == 0)) {
        int print = strcmp(argv[1], "until") == 0;
        int value = open_or_die(argv[2], O_RDONLY);
        int want = atoi(argv[3]);
        long long start = now_us();
        long long deadline = start + atoll(argv[4]) * 1000LL;
        while (readv01(value) != want) {
            if (now_us() > deadline) {
                if (print) printf("timeout\n");
                return 1;
            }
            sleep_us(2000);
        }
        if (print) printf("%lld\n", (now_us() - start) / 1000);
        return 0;
    }
    fprintf(stderr, "usage: simpin set|bounce|press-wait|sample|wait ... (see the source)\n");
    return 2;
}
