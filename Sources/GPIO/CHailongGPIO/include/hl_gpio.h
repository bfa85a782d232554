/*
 * The whole C boundary between Hailong and libgpiod.
 *
 * Swift sees only these few calls. Both libgpiod generations implement them: the v1 API
 * (libgpiod 1.6, Debian 12) and the v2 API (libgpiod 2.x, Debian 13 / Raspberry Pi OS
 * trixie); which one is compiled is chosen from the installed <gpiod.h>.
 *
 * Buttons are requested for both-edge events with the configured bias and active level,
 * so an edge's `active` is already "pressed". LEDs are requested as outputs (active high).
 * Waiting blocks in poll(2) on the line file descriptors and an eventfd used to wake the
 * waiter for shutdown: no polling of values, ~0 CPU while idle.
 */
#ifndef HAILONG_HL_GPIO_H
#define HAILONG_HL_GPIO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hl_gpio hl_gpio;

enum hl_gpio_bias {
    HL_GPIO_BIAS_AS_IS = 0,
    HL_GPIO_BIAS_DISABLED = 1,
    HL_GPIO_BIAS_PULL_UP = 2,
    HL_GPIO_BIAS_PULL_DOWN = 3,
};

/** One edge of one button line. */
typedef struct hl_gpio_edge {
    /** Index into the button offsets given to hl_gpio_open. */
    uint32_t button;
    /** 1: the line became active (pressed), 0: it became inactive (released). */
    int32_t active;
    /** Kernel timestamp of the edge, CLOCK_MONOTONIC nanoseconds. */
    int64_t timestamp_ns;
} hl_gpio_edge;

/** Where to find the lines and how to request them. */
typedef struct hl_gpio_config {
    /** Chip name ("gpiochip0"), path ("/dev/gpiochip0") or label ("pinctrl-rp1"). */
    const char *chip;
    const uint32_t *button_offsets;
    size_t button_count;
    const uint32_t *led_offsets;
    size_t led_count;
    int active_low;
    int bias;
    /** Kernel debounce period; honoured with libgpiod v2 only (see hl_gpio_kernel_debounce). */
    uint32_t debounce_us;
    const char *consumer;
} hl_gpio_config;

/**
 * Opens the chip and requests all lines. On failure returns NULL and writes a message
 * a technician can act on into `error` (chip missing, line busy, offset out of range...).
 */
hl_gpio *hl_gpio_open(const hl_gpio_config *config, char *error, size_t error_size);

/** Releases the lines and closes the chip. */
void hl_gpio_close(hl_gpio *gpio);

/**
 * Blocks until at least one edge arrives, `timeout_ms` passes (-1: forever) or
 * hl_gpio_wake is called. Returns the number of edges written (0 on timeout or wake),
 * or -1 with errno set.
 */
int hl_gpio_wait(hl_gpio *gpio, int timeout_ms, hl_gpio_edge *edges, size_t capacity);

/** Makes a blocked hl_gpio_wait return 0. Safe from any thread. */
void hl_gpio_wake(hl_gpio *gpio);

/** Current value of a button line (1 active), or -1 with errno set. */
int hl_gpio_button_value(hl_gpio *gpio, size_t button);

/** Drives an LED line. Returns 0 or -1 with errno set. */
int hl_gpio_set_led(hl_gpio *gpio, size_t led, int on);

/** 1 when the kernel debounces the button lines (libgpiod v2 with a non-zero period). */
int hl_gpio_kernel_debounce(const hl_gpio *gpio);

/** The chip's name and label as the kernel reports them. */
const char *hl_gpio_chip_name(const hl_gpio *gpio);
const char *hl_gpio_chip_label(const hl_gpio *gpio);

/** "1.6.3", "2.1.0"... */
const char *hl_gpio_library_version(void);

/** 1 or 2: the libgpiod API generation compiled in. */
int hl_gpio_api_generation(void);

/** CLOCK_MONOTONIC now, in nanoseconds: the clock the edge timestamps use. */
int64_t hl_gpio_monotonic_ns(void);

/** 1 when the kernel says NTP has the wall clock synchronized (adjtimex, read-only). */
int hl_clock_synchronized(void);

#ifdef __cplusplus
}
#endif

#endif
