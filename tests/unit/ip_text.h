/*
 * ip_text.h - addresses from text and back, for the unit tests of
 * messages that carry them (addr_test.c, route_test.c).
 */
#ifndef NSLAB_UNIT_IP_TEXT_H
#define NSLAB_UNIT_IP_TEXT_H

#include "../../core/ipaddr.h"

/* The address of text; family 0 when it does not parse. */
static struct ipaddr ip (const char *text) {
  struct ipaddr a;
  struct err e;
  if (ipaddr_parse(text, &a, &e) < 0) a.family = 0;
  return a;
}

/* The text of a (four results may be alive at once). */
static const char *text (const struct ipaddr *a, int with_prefix) {
  static char buf[4][IPADDR_TEXT_MAX];
  static int i;
  char *out = buf[i++ % 4];
  if (!a->family) return "(none)";
  ipaddr_format(a, with_prefix, out, IPADDR_TEXT_MAX);
  return out;
}

#endif
