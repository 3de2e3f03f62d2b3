/*
 * err.h - how the C core reports failure.
 *
 * Every fallible function returns -1 (or NULL) and fills a struct err: the
 * errno-style code and, when there is more to say than strerror(code), a
 * short reason (a kernel extended-ACK message, "interface name longer than
 * 15 bytes", ...). The Lua bindings prefix it with the operation and object:
 * "link add veth-test1: File exists".
 */
#ifndef NSLAB_ERR_H
#define NSLAB_ERR_H

#include <stddef.h>

struct err {
  int code;         /* errno value, 0 when none */
  char reason[512]; /* "" means: strerror(code) says it all */
};

/* Record code and an optional printf-style reason; always returns -1. */
int err_set (struct err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the current errno with no extra reason; returns -1. */
int err_errno (struct err *e);

/* The text to show after "op object: " (reason, else strerror). */
const char *err_text (const struct err *e);

#endif
