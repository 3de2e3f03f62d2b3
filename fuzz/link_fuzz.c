/*
 * link_fuzz.c - the RTM_NEWLINK reply parser (link_parse, with every
 * kind row's IFLA_INFO_DATA parser behind it): any bytes after a netlink
 * header and an ifinfomsg, no crash, and what comes out is bounded
 * (names NUL-terminated within their buffers).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "../core/link.h"
#include "../core/link_kind.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  static char buf[32768] __attribute__((aligned(8)));
  size_t head = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ifinfomsg));
  struct link_info info;
  if (size > sizeof buf - head) return 0;
  memset(buf, 0, head);
  struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
  /* the input is the ifinfomsg and the attributes; the length says so,
     as the kernel's (and mnl_cb_run's checks) guarantee */
  memcpy(buf + MNL_NLMSG_HDRLEN, data, size);
  nlh->nlmsg_len = (uint32_t)(MNL_NLMSG_HDRLEN + size);
  nlh->nlmsg_type = RTM_NEWLINK;
  if (link_parse(nlh, &info) < 0) return 0;
  if (strnlen(info.ifname, sizeof info.ifname) == sizeof info.ifname ||
      strnlen(info.kind, sizeof info.kind) == sizeof info.kind ||
      strnlen(info.qdisc, sizeof info.qdisc) == sizeof info.qdisc ||
      info.addr_len > LINK_ADDR_MAX)
    abort();
  if (info.row && info.row != link_kind_of(info.kind)) abort();
  return 0;
}
