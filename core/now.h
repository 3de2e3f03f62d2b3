/*
 * now.h - the monotonic clock, for deadlines and round-trip times that a
 * jump of the wall clock cannot stretch or shrink.
 */
#ifndef NSLAB_NOW_H
#define NSLAB_NOW_H

#include <stdint.h>

int64_t now_ns (void); /* CLOCK_MONOTONIC in nanoseconds */
int64_t now_ms (void); /* the same in whole milliseconds */

#endif
