#ifndef HAILONG_CLIBGPIOD_SHIM_H
#define HAILONG_CLIBGPIOD_SHIM_H
#include <gpiod.h>
#endif
