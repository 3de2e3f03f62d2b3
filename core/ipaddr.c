/*
 * ipaddr.c - parse and print IPv4/IPv6 addresses and prefixes.
 */
#include "ipaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A prefix length: decimal digits only, within the family's width. */
static int parse_prefixlen (const char *text, int max) {
  char *end;
  if (*text < '0' || *text > '9' || strlen(text) > 3) return -1;
  long n = strtol(text, &end, 10);
  return (*end || n > max) ? -1 : (int)n;
}

int ipaddr_parse (const char *text, struct ipaddr *a, struct err *e) {
  char host[IPADDR_TEXT_MAX];
  const char *slash = strchr(text, '/');
  size_t hostlen = slash ? (size_t)(slash - text) : strlen(text);
  memset(a, 0, sizeof *a);
  a->prefixlen = -1;
  if (hostlen == 0 || hostlen >= sizeof host) goto bad;
  memcpy(host, text, hostlen);
  host[hostlen] = '\0';
  if (inet_pton(AF_INET, host, a->bytes) == 1)
    a->family = AF_INET;
  else if (inet_pton(AF_INET6, host, a->bytes) == 1)
    a->family = AF_INET6;
  else
    goto bad;
  if (slash) {
    a->prefixlen = parse_prefixlen(slash + 1, a->family == AF_INET ? 32 : 128);
    if (a->prefixlen < 0) goto bad;
  }
  return 0;
bad:
  a->family = 0;
  return err_set(e, EINVAL, "not an IPv4 or IPv6 %s",
                 slash ? "prefix" : "address");
}

void ipaddr_format (const struct ipaddr *a, int with_prefix, char *buf,
                    size_t len) {
  char host[INET6_ADDRSTRLEN] = "";
  if (a->family) inet_ntop(a->family, a->bytes, host, sizeof host);
  if (with_prefix && a->prefixlen >= 0)
    snprintf(buf, len, "%s/%d", host, a->prefixlen);
  else
    snprintf(buf, len, "%s", host);
}

size_t ipaddr_len (const struct ipaddr *a) {
  return a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
}

void ipaddr_from_bytes (struct ipaddr *a, int family, const void *bytes,
                        size_t len, int prefixlen) {
  if (len != (family == AF_INET ? 4u : family == AF_INET6 ? 16u : 0u) || !len)
    return;
  a->family = family;
  a->prefixlen = prefixlen;
  memcpy(a->bytes, bytes, len);
}

void ipaddr_broadcast (const struct ipaddr *a, struct ipaddr *out) {
  uint32_t addr, host_bits;
  int plen = a->prefixlen < 0 ? 32 : a->prefixlen;
  *out = *a;
  out->prefixlen = -1;
  memcpy(&addr, a->bytes, 4);
  host_bits = plen >= 32 ? 0 : 0xffffffffu >> plen;
  addr = htonl(ntohl(addr) | host_bits);
  memcpy(out->bytes, &addr, 4);
}
