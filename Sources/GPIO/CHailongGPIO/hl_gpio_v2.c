/* libgpiod v2 (2.x) implementation of hl_gpio.h. Compiled only against v2 headers. */
#include "hl_gpio.h"

#include <gpiod.h>

#ifndef GPIOD_LINE_BULK_MAX_LINES /* the v2 header */
#error "libgpiod v2 support is not implemented yet"
#endif
