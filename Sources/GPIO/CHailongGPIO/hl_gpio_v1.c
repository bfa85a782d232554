/* libgpiod v1 (1.6.x) implementation of hl_gpio.h. Compiled only against v1 headers. */
#include "hl_gpio_internal.h"

#include <gpiod.h>

#ifdef GPIOD_LINE_BULK_MAX_LINES /* only the v1 header defines it */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>


struct hl_gpio {
    struct gpiod_chip *chip;
    struct gpiod_line *buttons[HL_MAX_LINES];
    size_t button_count;
    struct gpiod_line *leds[HL_MAX_LINES];
    size_t led_count;
    int wake_fd;
};

static struct gpiod_chip *open_chip(const char *spec) {
    struct gpiod_chip *chip = gpiod_chip_open_lookup(spec);
    if (chip) return chip;
    /* Not a name, number or path: look for a chip whose label matches. */
    struct gpiod_chip_iter *iter = gpiod_chip_iter_new();
    if (!iter) return NULL;
    struct gpiod_chip *found = NULL;
    struct gpiod_chip *candidate;
    gpiod_foreach_chip_noclose(iter, candidate) {
        if (!found && strcmp(gpiod_chip_label(candidate), spec) == 0) {
            found = candidate;
        } else {
            gpiod_chip_close(candidate);
        }
    }
    gpiod_chip_iter_free_noclose(iter);
    if (!found) errno = ENOENT;
    return found;
}

static int bias_flags(int bias) {
    switch (bias) {
    case HL_GPIO_BIAS_DISABLED: return GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
    case HL_GPIO_BIAS_PULL_UP: return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
    case HL_GPIO_BIAS_PULL_DOWN: return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
    default: return 0;
    }
}

static void describe_line(struct gpiod_line *line, char *buf, size_t size) {
    const char *consumer = gpiod_line_consumer(line);
    snprintf(buf, size, "%s", consumer ? consumer : "another program");
}

hl_gpio *hl_gpio_open(const hl_gpio_config *config, char *error, size_t error_size) {
    if (hl_gpio_check_counts(config, error, error_size) < 0) return NULL;
    hl_gpio *gpio = calloc(1, sizeof(*gpio));
    if (!gpio) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    gpio->wake_fd = -1;
    gpio->chip = open_chip(config->chip);
    if (!gpio->chip) {
        hl_gpio_explain_chip(config->chip, errno, error, error_size);
        free(gpio);
        return NULL;
    }
    unsigned int lines = gpiod_chip_num_lines(gpio->chip);
    int flags = bias_flags(config->bias) | (config->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0);
    for (size_t i = 0; i < config->button_count; i++) {
        unsigned int offset = config->button_offsets[i];
        if (offset >= lines) {
            hl_gpio_explain_missing_line("button", offset, gpiod_chip_name(gpio->chip), gpiod_chip_label(gpio->chip), lines,
                                         error, error_size);
            hl_gpio_close(gpio);
            return NULL;
        }
        struct gpiod_line *line = gpiod_chip_get_line(gpio->chip, offset);
        if (!line || gpiod_line_request_both_edges_events_flags(line, config->consumer, flags) < 0) {
            int err = errno;
            char who[64] = "";
            if (line) describe_line(line, who, sizeof who);
            hl_gpio_explain_request("button", offset, gpiod_chip_name(gpio->chip), err, who, error, error_size);
            hl_gpio_close(gpio);
            return NULL;
        }
        gpio->buttons[gpio->button_count++] = line;
    }
    for (size_t i = 0; i < config->led_count; i++) {
        unsigned int offset = config->led_offsets[i];
        if (offset >= lines) {
            hl_gpio_explain_missing_line("LED", offset, gpiod_chip_name(gpio->chip), gpiod_chip_label(gpio->chip), lines,
                                         error, error_size);
            hl_gpio_close(gpio);
            return NULL;
        }
        struct gpiod_line *line = gpiod_chip_get_line(gpio->chip, offset);
        if (!line || gpiod_line_request_output(line, config->consumer, 0) < 0) {
            int err = errno;
            char who[64] = "";
            if (line) describe_line(line, who, sizeof who);
            hl_gpio_explain_request("LED", offset, gpiod_chip_name(gpio->chip), err, who, error, error_size);
            hl_gpio_close(gpio);
            return NULL;
        }
        gpio->leds[gpio->led_count++] = line;
    }
    gpio->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (gpio->wake_fd < 0) {
        snprintf(error, error_size, "eventfd: %s", strerror(errno));
        hl_gpio_close(gpio);
        return NULL;
    }
    return gpio;
}

void hl_gpio_close(hl_gpio *gpio) {
    if (!gpio) return;
    for (size_t i = 0; i < gpio->button_count; i++) gpiod_line_release(gpio->buttons[i]);
    for (size_t i = 0; i < gpio->led_count; i++) gpiod_line_release(gpio->leds[i]);
    if (gpio->chip) gpiod_chip_close(gpio->chip);
    if (gpio->wake_fd >= 0) close(gpio->wake_fd);
    free(gpio);
}

int hl_gpio_wait(hl_gpio *gpio, int timeout_ms, hl_gpio_edge *edges, size_t capacity) {
    struct pollfd fds[HL_MAX_LINES + 1];
    size_t n = gpio->button_count;
    for (size_t i = 0; i < n; i++) {
        fds[i].fd = gpiod_line_event_get_fd(gpio->buttons[i]);
        fds[i].events = POLLIN | POLLPRI;
        fds[i].revents = 0;
    }
    fds[n].fd = gpio->wake_fd;
    fds[n].events = POLLIN;
    fds[n].revents = 0;
    int ready;
    do {
        ready = poll(fds, n + 1, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0) return -1;
    if (fds[n].revents) {
        uint64_t value;
        ssize_t r = read(gpio->wake_fd, &value, sizeof value);
        (void)r;
    }
    size_t count = 0;
    for (size_t i = 0; i < n && count < capacity; i++) {
        if (!fds[i].revents) continue;
        struct gpiod_line_event events[16];
        size_t room = capacity - count < 16 ? capacity - count : 16;
        int got = gpiod_line_event_read_multiple(gpio->buttons[i], events, (unsigned int)room);
        if (got < 0) return -1;
        for (int k = 0; k < got; k++) {
            edges[count].button = (uint32_t)i;
            /* With ACTIVE_LOW requested, v1 reports edges of the logical value. */
            edges[count].active = events[k].event_type == GPIOD_LINE_EVENT_RISING_EDGE ? 1 : 0;
            edges[count].timestamp_ns = (int64_t)events[k].ts.tv_sec * 1000000000LL + events[k].ts.tv_nsec;
            count++;
        }
    }
    return (int)count;
}

void hl_gpio_wake(hl_gpio *gpio) {
    uint64_t one = 1;
    ssize_t r = write(gpio->wake_fd, &one, sizeof one);
    (void)r;
}

int hl_gpio_button_value(hl_gpio *gpio, size_t button) {
    if (button >= gpio->button_count) {
        errno = EINVAL;
        return -1;
    }
    return gpiod_line_get_value(gpio->buttons[button]);
}

int hl_gpio_set_led(hl_gpio *gpio, size_t led, int on) {
    if (led >= gpio->led_count) {
        errno = EINVAL;
        return -1;
    }
    return gpiod_line_set_value(gpio->leds[led], on ? 1 : 0);
}

int hl_gpio_kernel_debounce(const hl_gpio *gpio) {
    (void)gpio;
    return 0;
}

const char *hl_gpio_chip_name(const hl_gpio *gpio) { return gpiod_chip_name(gpio->chip); }
const char *hl_gpio_chip_label(const hl_gpio *gpio) { return gpiod_chip_label(gpio->chip); }
const char *hl_gpio_library_version(void) { return gpiod_version_string(); }
int hl_gpio_api_generation(void) { return 1; }

#endif /* GPIOD_LINE_BULK_MAX_LINES */
