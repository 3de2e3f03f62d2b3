/*
 * neigh_fuzz.c - RTM_NEWNEIGH replies, neighbours and FDB entries alike
 * (neigh_parse): any bytes, no crash; what parses prints, and what is an
 * entry builds back into a request that parses to the same entry, alone
 * and as one of many in a buffer (neigh_build_many).
 */
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "../core/neigh.h"
#include "nlreply.h"

static void each (const struct nlmsghdr *nlh) {
  char buf[8192], text[IPADDR_TEXT_MAX], hw[LINK_ADDR_MAX * 3 + 1];
  struct neigh_info n, back;
  struct nl nl = {0};
  struct err e;
  if (neigh_parse(nlh, &n) != 1) return;
  if (n.lladdr_len < 0 || n.lladdr_len > LINK_ADDR_MAX) abort();
  ipaddr_format(&n.dst, 0, text, sizeof text);
  link_format_hw(n.lladdr, n.lladdr_len, hw, sizeof hw);
  struct nlmsghdr *req = neigh_build(&nl, buf, RTM_NEWNEIGH, &n, &e);
  if (!req) return;
  if (neigh_parse(req, &back) != 1 || back.family != n.family ||
      back.ifindex != n.ifindex || back.lladdr_len != n.lladdr_len ||
      memcmp(back.lladdr, n.lladdr, (size_t)n.lladdr_len) ||
      back.vlan != n.vlan || back.state != (n.state & 0xffff) ||
      back.flags != (n.flags & 0xff) || back.dst.family != n.dst.family ||
      (n.dst.family && memcmp(back.dst.bytes, n.dst.bytes, ipaddr_len(&n.dst))))
    abort();
  /* twice back to back: two whole messages within their room */
  static char many[2 * NEIGH_MSG_MAX];
  struct neigh_info two[2] = {n, n};
  uint32_t first;
  size_t failed;
  size_t len =
      neigh_build_many(&nl, many, RTM_NEWNEIGH, two, 2, &first, &failed, &e);
  int left = (int)len, count = 0;
  if (len == 0 || len > sizeof many) abort();
  for (const struct nlmsghdr *m = (const void *)many; nl_msg_ok(m, left);
       m = mnl_nlmsg_next(m, &left))
    if (neigh_parse(m, &back) != 1 || back.ifindex != n.ifindex || ++count > 2)
      abort();
  if (count != 2 || left != 0) abort();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  nlreply_walk(data, size, each);
  return 0;
}
