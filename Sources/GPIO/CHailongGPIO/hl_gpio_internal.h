/* Shared by hl_gpio_v1.c and hl_gpio_v2.c (not part of the module's interface): the limits and
 * the technician-facing messages that do not depend on libgpiod's generation, so both say the
 * same thing for the same fault. */
#ifndef HL_GPIO_INTERNAL_H
#define HL_GPIO_INTERNAL_H

#include "hl_gpio.h"

#include <stddef.h>

#define HL_MAX_LINES 16

/* 0 when the pin map fits; -1 with `error` set otherwise. */
int hl_gpio_check_counts(const hl_gpio_config *config, char *error, size_t error_size);

/* Why `chip` could not be opened (errno `err`): permissions, or no such chip. */
void hl_gpio_explain_chip(const char *chip, int err, char *error, size_t error_size);

/* A pin map names line `offset`, which the chip (with `lines` lines) does not have. */
void hl_gpio_explain_missing_line(const char *what, unsigned int offset, const char *chip_name, const char *chip_label,
                                  size_t lines, char *error, size_t error_size);

/* Requesting one line failed with errno `err`; `holder` names who holds it when it is busy. */
void hl_gpio_explain_request(const char *what, unsigned int offset, const char *chip_name, int err,
                             const char *holder, char *error, size_t error_size);

#endif
