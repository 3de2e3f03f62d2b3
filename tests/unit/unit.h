/*
 * unit.h - the few macros the C unit tests share (tests/unit/NAME_test.c).
 *
 * Each test file is a program of its own, linked with the core's C objects
 * (no Lua, no kernel, no root). It prints one line per check, "ok - ..." or
 * "not ok - ...", in the manner of TAP, and UNIT_END() prints the summary
 * "N passed, N failed" and returns the exit status.
 */
#ifndef NSLAB_UNIT_H
#define NSLAB_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define UNIT_CHECK(cond, ...)                                                  \
  do {                                                                         \
    if (cond) {                                                                \
      unit_passed++;                                                           \
      printf("ok - ");                                                         \
    } else {                                                                   \
      unit_failed++;                                                           \
      printf("not ok - %s:%d: %s: ", __FILE__, __LINE__, #cond);               \
    }                                                                          \
    printf(__VA_ARGS__);                                                       \
    printf("\n");                                                              \
  } while (0)

/* Two strings equal, both shown when not. */
#define UNIT_STREQ(got, want, ...)                                             \
  do {                                                                         \
    const char *unit_g = (got), *unit_w = (want);                              \
    int unit_ok = unit_g && unit_w && !strcmp(unit_g, unit_w);                 \
    UNIT_CHECK(unit_ok, __VA_ARGS__);                                          \
    if (!unit_ok)                                                              \
      printf("#   got:  %s\n#   want: %s\n", unit_g ? unit_g : "(null)",       \
             unit_w ? unit_w : "(null)");                                      \
  } while (0)

#define UNIT_END()                                                             \
  (printf("%d passed, %d failed\n", unit_passed, unit_failed),                 \
   unit_failed ? 1 : 0)

#endif
