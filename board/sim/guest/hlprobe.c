/*
 * hlprobe: the C boundary (Sources/GPIO/CHailongGPIO) on its own, without the agent, so a
 * failure in the guest says whether the boundary or the Swift above it is at fault.
 *
 *   hlprobe CHIP DEBOUNCE_US BUTTON,BUTTON,... LED,LED,... IDLE_MS
 *
 * Opens the chip (name, path or label) through hl_gpio_open, lights the first LED, then
 * prints each button edge until no edge arrived for IDLE_MS:
 *   open <name> <label> <version> gen=<1|2> kernel_debounce=<0|1>
 *   edge <button index> <1 pressed|0 released> <kernel timestamp ns>
 *   idle <edge count>
 */
#include "hl_gpio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t parse_list(char *text, uint32_t *out, size_t max) {
    size_t n = 0;
    for (char *tok = strtok(text, ","); tok && n < max; tok = strtok(NULL, ",")) out[n++] = (uint32_t)atoi(tok);
    return n;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: hlprobe CHIP DEBOUNCE_US BUTTONS LEDS IDLE_MS\n");
        return 2;
    }
    uint32_t buttons[16], leds[16];
    hl_gpio_config config = {
        .chip = argv[1],
        .button_offsets = buttons,
        .button_count = parse_list(argv[3], buttons, 16),
        .led_offsets = leds,
        .led_count = parse_list(argv[4], leds, 16),
        .active_low = 1,
        .bias = HL_GPIO_BIAS_PULL_UP,
        .debounce_us = (uint32_t)atoi(argv[2]),
        .consumer = "hlprobe",
    };
    char error[256];
    hl_gpio *gpio = hl_gpio_open(&config, error, sizeof error);
    if (!gpio) {
        printf("error %s\n", error);
        return 1;
    }
    printf("open %s %s %s gen=%d kernel_debounce=%d\n", hl_gpio_chip_name(gpio), hl_gpio_chip_label(gpio),
           hl_gpio_library_version(), hl_gpio_api_generation(), hl_gpio_kernel_debounce(gpio));
    if (config.led_count > 0 && hl_gpio_set_led(gpio, 0, 1) != 0) printf("error set_led\n");
    fflush(stdout);
    hl_gpio_edge edges[64];
    int total = 0;
    for (;;) {
        int n = hl_gpio_wait(gpio, atoi(argv[5]), edges, 64);
        if (n < 0) {
            printf("error wait\n");
            break;
        }
        if (n == 0) break;
        for (int i = 0; i < n; i++) {
            printf("edge %u %d %lld\n", edges[i].button, edges[i].active, (long long)edges[i].timestamp_ns);
        }
        total += n;
        fflush(stdout);
    }
    printf("idle %d\n", total);
    hl_gpio_close(gpio);
    return 0;
}
