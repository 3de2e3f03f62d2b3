/*
 * addr_fuzz.c - RTM_NEWADDR replies (addr_parse): any bytes, no crash; what
 * parses prints, and builds back into a request that parses to the same
 * address.
 */
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "../core/addr.h"
#include "nlreply.h"

static void each (const struct nlmsghdr *nlh) {
  char buf[8192], text[IPADDR_TEXT_MAX];
  struct addr_info a, b;
  struct nl nl = {0};
  struct err e;
  if (addr_parse(nlh, &a) != 1) return;
  ipaddr_format(&a.local, 1, text, sizeof text);
  ipaddr_format(&a.peer, 0, text, sizeof text);
  ipaddr_format(&a.broadcast, 0, text, sizeof text);
  if (strnlen(a.label, sizeof a.label) == sizeof a.label) abort();
  struct nlmsghdr *req =
      addr_build(&nl, buf, RTM_NEWADDR, a.ifindex, &a.local, NULL, a.flags, &e);
  if (!req) return;
  if (addr_parse(req, &b) != 1 || b.ifindex != a.ifindex ||
      b.local.family != a.local.family ||
      b.local.prefixlen != a.local.prefixlen ||
      memcmp(b.local.bytes, a.local.bytes, ipaddr_len(&a.local)) ||
      b.flags != a.flags)
    abort();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  nlreply_walk(data, size, each);
  return 0;
}
