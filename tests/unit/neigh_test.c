/*
 * neigh_test.c - RTM_NEWNEIGH and RTM_DELNEIGH as neigh_add and neigh_del
 * build them (neighbours and FDB entries), read back by the parser of
 * dump replies (neigh_parse).
 */
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "../../core/neigh.h"
#include "unit.h"

static int round_trip (uint16_t type, const struct neigh_info *n,
                       struct neigh_info *out) {
  static char buf[8192] /* MNL_SOCKET_BUFFER_SIZE at most */;
  struct nl nl = {0};
  struct err e;
  struct nlmsghdr *nlh = neigh_build(&nl, buf, type, n, &e);
  return nlh ? neigh_parse(nlh, out) : -2;
}

static const char *hw (const struct neigh_info *n) {
  static char text[LINK_ADDR_MAX * 3 + 1];
  link_format_hw(n->lladdr, n->lladdr_len, text, sizeof text);
  return text;
}

static void neighbours (void) {
  struct neigh_info n, got;
  struct err e;
  char text[IPADDR_TEXT_MAX];
  neigh_info_init(&n, AF_INET, 5);
  ipaddr_parse("192.168.1.2", &n.dst, &e);
  n.lladdr_len = link_parse_hw("02:42:ac:11:00:02", n.lladdr, &e);
  n.state = NUD_PERMANENT;
  UNIT_CHECK(round_trip(RTM_NEWNEIGH, &n, &got) == 1,
             "an ARP entry round-trips");
  ipaddr_format(&got.dst, 0, text, sizeof text);
  UNIT_STREQ(text, "192.168.1.2", "its address");
  UNIT_STREQ(hw(&got), "02:42:ac:11:00:02", "its MAC");
  UNIT_CHECK(got.family == AF_INET && got.ifindex == 5, "family and device");
  UNIT_CHECK(got.state == NUD_PERMANENT && got.vlan == -1,
             "permanent, no VLAN");
  neigh_info_init(&n, AF_INET6, 2);
  ipaddr_parse("2001:db8::9", &n.dst, &e);
  n.state = NUD_STALE;
  n.flags = NTF_ROUTER;
  UNIT_CHECK(round_trip(RTM_NEWNEIGH, &n, &got) == 1 && got.family == AF_INET6,
             "an NDP entry round-trips");
  UNIT_CHECK(got.flags & NTF_ROUTER && got.state == NUD_STALE &&
                 got.lladdr_len == 0,
             "router, stale, no link-layer address");
}

static void fdb_entries (void) {
  struct neigh_info n, got;
  struct err e;
  neigh_info_init(&n, AF_BRIDGE, 4);
  n.lladdr_len = link_parse_hw("02:00:00:00:00:0a", n.lladdr, &e);
  n.flags = NTF_MASTER;
  n.state = NUD_NOARP;
  n.vlan = 10;
  UNIT_CHECK(round_trip(RTM_NEWNEIGH, &n, &got) == 1,
             "an FDB entry round-trips");
  UNIT_CHECK(got.family == AF_BRIDGE && !got.dst.family,
             "family bridge, no IP address");
  UNIT_STREQ(hw(&got), "02:00:00:00:00:0a", "its MAC");
  UNIT_CHECK(got.vlan == 10 && got.flags == NTF_MASTER &&
                 got.state == NUD_NOARP,
             "vlan 10, master, static (noarp)");
  UNIT_CHECK(round_trip(RTM_DELNEIGH, &n, &got) == 1 && got.ifindex == 4,
             "and its deletion");
}

static void refusals_and_odd_replies (void) {
  static char buf[8192] /* MNL_SOCKET_BUFFER_SIZE at most */;
  struct nl nl = {0};
  struct neigh_info n, got;
  struct err e;
  neigh_info_init(&n, AF_INET, 1);
  UNIT_CHECK(neigh_build(&nl, buf, RTM_NEWNEIGH, &n, &e) == NULL,
             "no destination: refused");
  ipaddr_parse("2001:db8::1", &n.dst, &e);
  UNIT_CHECK(neigh_build(&nl, buf, RTM_NEWNEIGH, &n, &e) == NULL,
             "an IPv6 address in IPv4: refused");
  UNIT_STREQ(e.reason, "address family mismatch", "and says why");
  neigh_info_init(&n, AF_BRIDGE, 1);
  UNIT_CHECK(neigh_build(&nl, buf, RTM_NEWNEIGH, &n, &e) == NULL,
             "an FDB entry without MAC: refused");
  /* By hand: an over-long link-layer address and a short VLAN. */
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWNEIGH;
  struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof *ndm);
  ndm->ndm_family = AF_BRIDGE;
  ndm->ndm_ifindex = 9;
  unsigned char big[LINK_ADDR_MAX + 1] = {0};
  mnl_attr_put(nlh, NDA_LLADDR, sizeof big, big);
  mnl_attr_put(nlh, NDA_VLAN, 1, big);
  unsigned char v4[4] = {10, 0, 0, 1};
  mnl_attr_put(nlh, NDA_DST, 5, big); /* no address of either family */
  UNIT_CHECK(neigh_parse(nlh, &got) == 1, "an odd FDB reply parses");
  UNIT_CHECK(got.lladdr_len == 0 && got.vlan == -1,
             "without what does not fit");
  UNIT_CHECK(!got.dst.family, "an address of no family is left out");
  /* a VXLAN device's entry: NDA_DST is the remote VTEP, IPv4 by length */
  nlh->nlmsg_len = mnl_nlmsg_size(sizeof *ndm);
  mnl_attr_put(nlh, NDA_DST, 4, v4);
  UNIT_CHECK(neigh_parse(nlh, &got) == 1 && got.dst.family == AF_INET &&
                 memcmp(got.dst.bytes, v4, 4) == 0,
             "an FDB entry's VTEP is read");
  nlh->nlmsg_len = mnl_nlmsg_size(3);
  UNIT_CHECK(neigh_parse(nlh, &got) == -1, "a truncated header is malformed");
}

/* Many requests back to back in one buffer, as neigh_add_many sends
 * them: each its own message with its own sequence number and ACK. */
static void many_in_one_buffer (void) {
  static char buf[3 * NEIGH_MSG_MAX];
  struct nl nl = {0};
  struct neigh_info v[3], got;
  struct err e;
  uint32_t first;
  size_t failed = 99;
  char text[IPADDR_TEXT_MAX];
  nl.seq = 41;
  for (int i = 0; i < 3; i++) {
    neigh_info_init(&v[i], AF_INET, 7);
    ipaddr_parse(i == 1 ? "10.0.0.2" : "10.0.0.1", &v[i].dst, &e);
    v[i].lladdr_len = link_parse_hw("02:42:ac:11:00:02", v[i].lladdr, &e);
    v[i].state = NUD_PERMANENT;
  }
  /* the longest entry there is fits in NEIGH_MSG_MAX */
  neigh_info_init(&v[2], AF_INET6, 7);
  ipaddr_parse("2001:db8::ffff:ffff:ffff:ffff", &v[2].dst, &e);
  v[2].lladdr_len = LINK_ADDR_MAX;
  v[2].vlan = 4094;
  size_t len =
      neigh_build_many(&nl, buf, RTM_NEWNEIGH, v, 3, &first, &failed, &e);
  UNIT_CHECK(len > 0 && len <= sizeof buf, "three requests fit their room");
  UNIT_CHECK(first == 42 && nl.seq == 44, "with consecutive sequence numbers");
  int left = (int)len, n = 0;
  for (const struct nlmsghdr *nlh = (const void *)buf; nl_msg_ok(nlh, left);
       nlh = mnl_nlmsg_next(nlh, &left), n++) {
    UNIT_CHECK(nlh->nlmsg_seq == first + (uint32_t)n, "in order");
    UNIT_CHECK((nlh->nlmsg_flags & (NLM_F_ACK | NLM_F_REPLACE)) ==
                   (NLM_F_ACK | NLM_F_REPLACE),
               "each acknowledged, a replace");
    UNIT_CHECK(neigh_parse(nlh, &got) == 1 && got.family == v[n].family,
               "each parses back");
    if (n == 1) {
      ipaddr_format(&got.dst, 0, text, sizeof text);
      UNIT_STREQ(text, "10.0.0.2", "the second is the second entry");
    }
  }
  UNIT_CHECK(n == 3 && left == 0, "three messages, nothing else");
  neigh_info_init(&v[1], AF_BRIDGE, 7); /* no MAC */
  UNIT_CHECK(neigh_build_many(&nl, buf, RTM_NEWNEIGH, v, 3, &first, &failed,
                              &e) == 0 &&
                 failed == 1,
             "an entry that is none: refused, by its index");
}

int main (void) {
  neighbours();
  many_in_one_buffer();
  fdb_entries();
  refusals_and_odd_replies();
  return UNIT_END();
}
