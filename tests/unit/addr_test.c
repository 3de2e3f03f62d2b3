/*
 * addr_test.c - RTM_NEWADDR and RTM_DELADDR as addr_add and addr_del
 * build them, read back by the parser of dump replies (addr_parse).
 */
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "../../core/addr.h"
#include "ip_text.h"
#include "unit.h"

static void ipv4_with_broadcast (void) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nl nl = {0};
  struct ipaddr prefix = ip("172.17.0.2/16"), brd;
  struct addr_info a;
  struct err e;
  ipaddr_broadcast(&prefix, &brd);
  struct nlmsghdr *nlh =
      addr_build(&nl, buf, RTM_NEWADDR, 7, &prefix, &brd, IFA_F_NODAD, &e);
  UNIT_CHECK(nlh != NULL, "an IPv4 address is built");
  if (!nlh) return;
  UNIT_CHECK(nlh->nlmsg_flags & NLM_F_CREATE && nlh->nlmsg_flags & NLM_F_EXCL,
             "RTM_NEWADDR creates, exclusively (as ip addr add)");
  UNIT_CHECK(addr_parse(nlh, &a) == 1, "and parsed back");
  UNIT_CHECK(a.ifindex == 7, "ifindex 7");
  UNIT_STREQ(text(&a.local, 1), "172.17.0.2/16", "local and prefix length");
  UNIT_STREQ(text(&a.broadcast, 0), "172.17.255.255", "broadcast");
  UNIT_STREQ(text(&a.peer, 0), "(none)",
             "no peer: IFA_ADDRESS is the local address");
  UNIT_CHECK(a.flags & IFA_F_NODAD, "nodad in IFA_FLAGS");
  UNIT_CHECK(a.scope == RT_SCOPE_UNIVERSE, "global scope");
}

static void ipv6_and_loopback (void) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nl nl = {0};
  struct ipaddr prefix = ip("2001:db8::2/64"), lo = ip("127.0.0.1/8");
  struct addr_info a;
  struct err e;
  struct nlmsghdr *nlh =
      addr_build(&nl, buf, RTM_NEWADDR, 3, &prefix, NULL, 0, &e);
  UNIT_CHECK(nlh && addr_parse(nlh, &a) == 1, "an IPv6 address round-trips");
  UNIT_STREQ(text(&a.local, 1), "2001:db8::2/64",
             "IPv6 local and prefix length");
  UNIT_STREQ(text(&a.broadcast, 0), "(none)", "no broadcast");
  UNIT_CHECK(a.valid_lft == 0xffffffffu, "forever when no IFA_CACHEINFO");
  nlh = addr_build(&nl, buf, RTM_NEWADDR, 1, &lo, NULL, 0, &e);
  UNIT_CHECK(nlh && addr_parse(nlh, &a) == 1 && a.scope == RT_SCOPE_HOST,
             "127.0.0.1/8 has host scope, as ip addr add gives it");
}

static void delete_and_refusals (void) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nl nl = {0};
  struct ipaddr bare = ip("10.0.0.1"), prefix = ip("10.0.0.1/8");
  struct addr_info a;
  struct err e;
  struct nlmsghdr *nlh =
      addr_build(&nl, buf, RTM_DELADDR, 2, &prefix, NULL, 0, &e);
  UNIT_CHECK(nlh && nlh->nlmsg_type == RTM_DELADDR &&
                 !(nlh->nlmsg_flags & NLM_F_CREATE),
             "RTM_DELADDR without create flags");
  UNIT_CHECK(nlh && addr_parse(nlh, &a) == 1 && a.ifindex == 2,
             "its header and address read back");
  UNIT_CHECK(addr_build(&nl, buf, RTM_NEWADDR, 2, &bare, NULL, 0, &e) == NULL,
             "an address without prefix length is refused");
  UNIT_STREQ(e.reason, "an address needs a prefix length (a.b.c.d/N)",
             "and says why");
}

/* A reply shaped by hand: a point-to-point peer, a label longer than a
 * name, a family that is no IP, a truncated header. */
static void odd_replies (void) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct addr_info a;
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWADDR;
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = 32;
  ifa->ifa_index = 4;
  unsigned char local[4] = {10, 0, 0, 1}, peer[4] = {10, 0, 0, 2};
  mnl_attr_put(nlh, IFA_LOCAL, 4, local);
  mnl_attr_put(nlh, IFA_ADDRESS, 4, peer);
  mnl_attr_put(nlh, IFA_LABEL, 20, "a-label-of-20-bytes!");
  unsigned char wrong[3] = {1, 2, 3};
  mnl_attr_put(nlh, IFA_BROADCAST, 3, wrong);
  UNIT_CHECK(addr_parse(nlh, &a) == 1, "a point-to-point address parses");
  UNIT_STREQ(text(&a.local, 1), "10.0.0.1/32", "its local address");
  UNIT_STREQ(text(&a.peer, 0), "10.0.0.2", "its peer");
  UNIT_STREQ(a.label, "a-label-of-20-b", "a label cut to IFNAMSIZ - 1 bytes");
  UNIT_STREQ(text(&a.broadcast, 0), "(none)", "a 3-byte broadcast is ignored");
  ifa->ifa_family = AF_PACKET;
  UNIT_CHECK(addr_parse(nlh, &a) == 0, "a family that is no IP is skipped");
  nlh->nlmsg_len = mnl_nlmsg_size(2);
  UNIT_CHECK(addr_parse(nlh, &a) == -1, "a truncated header is malformed");
}

int main (void) {
  ipv4_with_broadcast();
  ipv6_and_loopback();
  delete_and_refusals();
  odd_replies();
  return UNIT_END();
}
