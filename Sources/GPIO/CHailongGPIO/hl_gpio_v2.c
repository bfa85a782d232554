/* libgpiod v2 (2.x) implementation of hl_gpio.h. Compiled only against v2 headers. */
#include "hl_gpio_internal.h"

#include <gpiod.h>

#ifndef GPIOD_LINE_BULK_MAX_LINES /* only the v1 header defines it */

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define HL_EVENT_BUFFER 64

struct hl_gpio {
    struct gpiod_chip *chip;
    /* Kept open for the chip's name and label, which hl_gpio_chip_name/label hand out. */
    struct gpiod_chip_info *info;
    struct gpiod_line_request *buttons;
    unsigned int button_offsets[HL_MAX_LINES];
    size_t button_count;
    struct gpiod_line_request *leds;
    unsigned int led_offsets[HL_MAX_LINES];
    size_t led_count;
    struct gpiod_edge_event_buffer *events;
    int kernel_debounce;
    int wake_fd;
};

/* Opens a chip given as a path, a name ("gpiochip0", as under /dev) or a label. */
static struct gpiod_chip *open_chip(const char *spec) {
    char path[288];
    if (strchr(spec, '/')) return gpiod_chip_open(spec);
    snprintf(path, sizeof path, "/dev/%s", spec);
    if (strncmp(spec, "gpiochip", 8) == 0 && gpiod_is_gpiochip_device(path)) return gpiod_chip_open(path);
    /* Not a path nor a device name: look for a chip whose kernel name or label matches. */
    DIR *dev = opendir("/dev");
    if (!dev) return NULL;
    struct gpiod_chip *found = NULL;
    int denied = 0;
    struct dirent *entry;
    while (!found && (entry = readdir(dev)) != NULL) {
        if (strncmp(entry->d_name, "gpiochip", 8) != 0) continue;
        snprintf(path, sizeof path, "/dev/%s", entry->d_name);
        if (!gpiod_is_gpiochip_device(path)) continue;
        struct gpiod_chip *candidate = gpiod_chip_open(path);
        if (!candidate) {
            if (errno == EACCES || errno == EPERM) denied = 1;
            continue;
        }
        struct gpiod_chip_info *info = gpiod_chip_get_info(candidate);
        if (info && (strcmp(gpiod_chip_info_get_label(info), spec) == 0 ||
                     strcmp(gpiod_chip_info_get_name(info), spec) == 0)) {
            found = candidate;
        } else {
            gpiod_chip_close(candidate);
        }
        if (info) gpiod_chip_info_free(info);
    }
    closedir(dev);
    if (!found) errno = denied ? EACCES : ENOENT;
    return found;
}

static enum gpiod_line_bias bias_of(int bias) {
    switch (bias) {
    case HL_GPIO_BIAS_DISABLED: return GPIOD_LINE_BIAS_DISABLED;
    case HL_GPIO_BIAS_PULL_UP: return GPIOD_LINE_BIAS_PULL_UP;
    case HL_GPIO_BIAS_PULL_DOWN: return GPIOD_LINE_BIAS_PULL_DOWN;
    default: return GPIOD_LINE_BIAS_AS_IS;
    }
}

/* Who holds a line, for the "busy" message. */
static void describe_line(struct gpiod_chip *chip, unsigned int offset, char *buf, size_t size) {
    struct gpiod_line_info *info = gpiod_chip_get_line_info(chip, offset);
    const char *consumer = info ? gpiod_line_info_get_consumer(info) : NULL;
    snprintf(buf, size, "%s", consumer && *consumer ? consumer : "another program");
    if (info) gpiod_line_info_free(info);
}

/*
 * Requests `count` lines with the same settings in one request. On failure writes the
 * technician's message (naming the first line that cannot be had) and returns NULL.
 */
static struct gpiod_line_request *request_lines(hl_gpio *gpio, const char *what, const unsigned int *offsets,
                                                size_t count, struct gpiod_line_settings *settings,
                                                const char *consumer, char *error, size_t error_size) {
    struct gpiod_line_config *line_config = gpiod_line_config_new();
    struct gpiod_request_config *request_config = gpiod_request_config_new();
    struct gpiod_line_request *request = NULL;
    int err = ENOMEM;
    if (line_config && request_config &&
        gpiod_line_config_add_line_settings(line_config, offsets, count, settings) == 0) {
        gpiod_request_config_set_consumer(request_config, consumer);
        gpiod_request_config_set_event_buffer_size(request_config, HL_EVENT_BUFFER);
        request = gpiod_chip_request_lines(gpio->chip, request_config, line_config);
        err = errno;
    }
    if (request_config) gpiod_request_config_free(request_config);
    if (line_config) gpiod_line_config_free(line_config);
    if (request) return request;

    const char *chip_name = gpiod_chip_info_get_name(gpio->info);
    if (err == EBUSY) {
        /* Name the line that is taken: the first one that some other consumer holds. */
        for (size_t i = 0; i < count; i++) {
            struct gpiod_line_info *info = gpiod_chip_get_line_info(gpio->chip, offsets[i]);
            int used = info && gpiod_line_info_is_used(info);
            if (info) gpiod_line_info_free(info);
            if (used) {
                char who[64];
                describe_line(gpio->chip, offsets[i], who, sizeof who);
                hl_gpio_explain_request(what, offsets[i], chip_name, EBUSY, who, error, error_size);
                return NULL;
            }
        }
        snprintf(error, error_size, "%s lines on chip '%s' are busy (a line listed twice in the pin map?)", what,
                 chip_name);
    } else {
        snprintf(error, error_size, "cannot request %s lines on chip '%s': %s", what, chip_name, strerror(err));
    }
    return NULL;
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
    gpio->info = gpiod_chip_get_info(gpio->chip);
    if (!gpio->info) {
        snprintf(error, error_size, "GPIO chip '%s': cannot read its info: %s", config->chip, strerror(errno));
        hl_gpio_close(gpio);
        return NULL;
    }
    size_t lines = gpiod_chip_info_get_num_lines(gpio->info);
    for (size_t i = 0; i < config->button_count + config->led_count; i++) {
        int is_button = i < config->button_count;
        unsigned int offset = is_button ? config->button_offsets[i] : config->led_offsets[i - config->button_count];
        if (offset >= lines) {
            hl_gpio_explain_missing_line(is_button ? "button" : "LED", offset, gpiod_chip_info_get_name(gpio->info),
                                         gpiod_chip_info_get_label(gpio->info), lines, error, error_size);
            hl_gpio_close(gpio);
            return NULL;
        }
        if (is_button) {
            gpio->button_offsets[gpio->button_count++] = offset;
        } else {
            gpio->led_offsets[gpio->led_count++] = offset;
        }
    }

    struct gpiod_line_settings *settings = gpiod_line_settings_new();
    if (!settings) {
        snprintf(error, error_size, "out of memory");
        hl_gpio_close(gpio);
        return NULL;
    }
    if (gpio->button_count > 0) {
        gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_INPUT);
        gpiod_line_settings_set_edge_detection(settings, GPIOD_LINE_EDGE_BOTH);
        gpiod_line_settings_set_bias(settings, bias_of(config->bias));
        gpiod_line_settings_set_active_low(settings, config->active_low != 0);
        gpiod_line_settings_set_event_clock(settings, GPIOD_LINE_CLOCK_MONOTONIC);
        gpiod_line_settings_set_debounce_period_us(settings, config->debounce_us);
        gpio->buttons = request_lines(gpio, "button", gpio->button_offsets, gpio->button_count, settings,
                                      config->consumer, error, error_size);
        if (!gpio->buttons) {
            gpiod_line_settings_free(settings);
            hl_gpio_close(gpio);
            return NULL;
        }
        /* The kernel debounces when it took the period: read it back from the line. */
        if (config->debounce_us > 0) {
            struct gpiod_line_info *info = gpiod_chip_get_line_info(gpio->chip, gpio->button_offsets[0]);
            gpio->kernel_debounce = info && gpiod_line_info_get_debounce_period_us(info) > 0;
            if (info) gpiod_line_info_free(info);
        }
    }
    if (gpio->led_count > 0) {
        gpiod_line_settings_reset(settings);
        gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_OUTPUT);
        gpiod_line_settings_set_output_value(settings, GPIOD_LINE_VALUE_INACTIVE);
        gpio->leds = request_lines(gpio, "LED", gpio->led_offsets, gpio->led_count, settings, config->consumer,
                                   error, error_size);
        if (!gpio->leds) {
            gpiod_line_settings_free(settings);
            hl_gpio_close(gpio);
            return NULL;
        }
    }
    gpiod_line_settings_free(settings);

    gpio->events = gpiod_edge_event_buffer_new(HL_EVENT_BUFFER);
    gpio->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!gpio->events || gpio->wake_fd < 0) {
        snprintf(error, error_size, "cannot set up event reading: %s", strerror(errno));
        hl_gpio_close(gpio);
        return NULL;
    }
    return gpio;
}

void hl_gpio_close(hl_gpio *gpio) {
    if (!gpio) return;
    if (gpio->buttons) gpiod_line_request_release(gpio->buttons);
    if (gpio->leds) gpiod_line_request_release(gpio->leds);
    if (gpio->events) gpiod_edge_event_buffer_free(gpio->events);
    if (gpio->info) gpiod_chip_info_free(gpio->info);
    if (gpio->chip) gpiod_chip_close(gpio->chip);
    if (gpio->wake_fd >= 0) close(gpio->wake_fd);
    free(gpio);
}

int hl_gpio_wait(hl_gpio *gpio, int timeout_ms, hl_gpio_edge *edges, size_t capacity) {
    struct pollfd fds[2];
    nfds_t n = 0;
    if (gpio->buttons) {
        fds[n].fd = gpiod_line_request_get_fd(gpio->buttons);
        fds[n].events = POLLIN | POLLPRI;
        fds[n].revents = 0;
        n++;
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
    if (!gpio->buttons || !fds[0].revents || capacity == 0) return 0;
    size_t room = capacity < HL_EVENT_BUFFER ? capacity : HL_EVENT_BUFFER;
    int got = gpiod_line_request_read_edge_events(gpio->buttons, gpio->events, room);
    if (got < 0) return -1;
    size_t count = 0;
    for (int k = 0; k < got; k++) {
        struct gpiod_edge_event *event = gpiod_edge_event_buffer_get_event(gpio->events, (unsigned long)k);
        unsigned int offset = gpiod_edge_event_get_line_offset(event);
        size_t button = 0;
        while (button < gpio->button_count && gpio->button_offsets[button] != offset) button++;
        if (button == gpio->button_count) continue;
        edges[count].button = (uint32_t)button;
        /* With active-low requested, the kernel reports edges of the logical value. */
        edges[count].active = gpiod_edge_event_get_event_type(event) == GPIOD_EDGE_EVENT_RISING_EDGE ? 1 : 0;
        edges[count].timestamp_ns = (int64_t)gpiod_edge_event_get_timestamp_ns(event);
        count++;
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
    enum gpiod_line_value value = gpiod_line_request_get_value(gpio->buttons, gpio->button_offsets[button]);
    if (value == GPIOD_LINE_VALUE_ERROR) return -1;
    return value == GPIOD_LINE_VALUE_ACTIVE ? 1 : 0;
}

int hl_gpio_set_led(hl_gpio *gpio, size_t led, int on) {
    if (led >= gpio->led_count) {
        errno = EINVAL;
        return -1;
    }
    return gpiod_line_request_set_value(gpio->leds, gpio->led_offsets[led],
                                        on ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE);
}

int hl_gpio_kernel_debounce(const hl_gpio *gpio) { return gpio->kernel_debounce; }

const char *hl_gpio_chip_name(const hl_gpio *gpio) { return gpiod_chip_info_get_name(gpio->info); }
const char *hl_gpio_chip_label(const hl_gpio *gpio) { return gpiod_chip_info_get_label(gpio->info); }
const char *hl_gpio_library_version(void) { return gpiod_api_version(); }
int hl_gpio_api_generation(void) { return 2; }

#endif /* !GPIOD_LINE_BULK_MAX_LINES */
