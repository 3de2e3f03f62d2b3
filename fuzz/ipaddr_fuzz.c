/*
 * ipaddr_fuzz.c - address and prefix parsing: any bytes, no crash, and
 * what parses prints back to text that parses to the same address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/ipaddr.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  char text[256];
  struct ipaddr a, b;
  struct err e;
  if (size >= sizeof text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  if (ipaddr_parse(text, &a, &e) < 0) return 0;
  char out[IPADDR_TEXT_MAX];
  ipaddr_format(&a, 1, out, sizeof out);
  if (ipaddr_parse(out, &b, &e) < 0 || a.family != b.family ||
      a.prefixlen != b.prefixlen || memcmp(a.bytes, b.bytes, ipaddr_len(&a)))
    abort();
  return 0;
}
