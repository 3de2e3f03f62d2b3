/* err.c - see err.h */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set (struct err *e, int code, const char *fmt, ...) {
  e->code = code;
  e->reason[0] = '\0';
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->reason, sizeof e->reason, fmt, ap);
    va_end(ap);
  }
  return -1;
}

int err_errno (struct err *e) {
  return err_set(e, errno, NULL);
}

const char *err_text (const struct err *e) {
  return e->reason[0] ? e->reason : strerror(e->code);
}
