/*
 * route_fuzz.c - RTM_NEWROUTE replies (route_parse, as dumps and route
 * get answer): any bytes, no crash; what parses prints, and builds back
 * into a request that parses to the same route.
 */
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "../core/route.h"
#include "../core/rtnames.h"
#include "nlreply.h"

static int same_ip (const struct ipaddr *a, const struct ipaddr *b) {
  return a->family == b->family &&
         (!a->family || !memcmp(a->bytes, b->bytes, ipaddr_len(a)));
}

static void each (const struct nlmsghdr *nlh) {
  char buf[8192], text[IPADDR_TEXT_MAX], num[16];
  struct route_info r, back;
  struct nl nl = {0};
  struct err e;
  if (route_parse(nlh, &r) != 1) return;
  ipaddr_format(&r.dst, 1, text, sizeof text);
  ipaddr_format(&r.gateway, 0, text, sizeof text);
  ipaddr_format(&r.prefsrc, 0, text, sizeof text);
  rtname_of(rtnames_table, r.table, num, sizeof num);
  rtname_of(rtnames_type, r.type, num, sizeof num);
  rtname_of(rtnames_protocol, r.protocol, num, sizeof num);
  rtname_of(rtnames_scope, r.scope, num, sizeof num);
  struct nlmsghdr *req = route_build(&nl, buf, RTM_NEWROUTE, &r, &e);
  if (!req) return;
  if (route_parse(req, &back) != 1 || back.family != r.family ||
      !same_ip(&back.dst, &r.dst) ||
      (r.dst.family && back.dst.prefixlen != r.dst.prefixlen) ||
      !same_ip(&back.gateway, &r.gateway) ||
      !same_ip(&back.prefsrc, &r.prefsrc) || back.oif != r.oif ||
      back.table != r.table || back.has_priority != r.has_priority ||
      back.priority != r.priority || back.type != r.type ||
      back.protocol != r.protocol)
    abort();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  nlreply_walk(data, size, each);
  return 0;
}
