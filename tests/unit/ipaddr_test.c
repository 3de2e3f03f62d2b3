/*
 * ipaddr_test.c - address and prefix parsing, and printing back.
 */
#include "../../core/ipaddr.h"
#include "unit.h"

static void round_trip (const char *text, const char *want) {
  struct ipaddr a;
  char out[IPADDR_TEXT_MAX];
  struct err e;
  int ok = ipaddr_parse(text, &a, &e) == 0;
  if (ok) ipaddr_format(&a, 1, out, sizeof out);
  UNIT_STREQ(ok ? out : e.reason, want, "prefix %s", text);
}

static void refused (const char *text) {
  struct ipaddr a;
  struct err e;
  UNIT_CHECK(ipaddr_parse(text, &a, &e) < 0, "prefix %s is refused", text);
}

int main (void) {
  round_trip("192.168.1.1/24", "192.168.1.1/24");
  round_trip("10.0.0.1", "10.0.0.1");
  round_trip("2001:db8::1/64", "2001:db8::1/64");
  round_trip("fd00::1", "fd00::1");
  refused("192.168.1.300/24");
  refused("10.0.0.1/33");
  refused("2001:db8::1/129");
  refused("10.0.0.1/");
  refused("10.0.0.1/-1");
  refused("");
  refused("10.0.0.1/24x");
  return UNIT_END();
}
