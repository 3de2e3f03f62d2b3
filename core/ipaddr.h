/*
 * ipaddr.h - IPv4/IPv6 addresses and prefixes as the kernel wants them.
 */
#ifndef NSLAB_IPADDR_H
#define NSLAB_IPADDR_H

#include <stddef.h>

#include "err.h"

struct ipaddr {
  int family;              /* AF_INET or AF_INET6, 0 = none */
  int prefixlen;           /* -1 when the text had no "/N" */
  unsigned char bytes[16]; /* network order; 4 used for AF_INET */
};

#define IPADDR_TEXT_MAX 64 /* room for "ffff:...:ffff/128" and a NUL */

/* Parse "192.168.1.1", "192.168.1.1/24", "fe80::1/64". */
int ipaddr_parse (const char *text, struct ipaddr *a, struct err *e);
/* "a.b.c.d" or "a.b.c.d/N" (with_prefix and prefixlen >= 0). */
void ipaddr_format (const struct ipaddr *a, int with_prefix, char *buf,
                    size_t len);
size_t ipaddr_len (const struct ipaddr *a); /* 4, 16 or 0 */
/* Fill a from len raw bytes of the family (as a netlink attribute holds
 * them); leaves a untouched when len does not fit the family. */
void ipaddr_from_bytes (struct ipaddr *a, int family, const void *bytes,
                        size_t len, int prefixlen);
/* The IPv4 broadcast address of a/prefixlen (for `brd +`). */
void ipaddr_broadcast (const struct ipaddr *a, struct ipaddr *out);

#endif
