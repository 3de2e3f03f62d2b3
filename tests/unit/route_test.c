/*
 * route_test.c - RTM_NEWROUTE and RTM_DELROUTE as route_add and route_del
 * build them, read back by the parser of dump replies (route_parse); the
 * words of rtnames.
 */
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "../../core/route.h"
#include "../../core/rtnames.h"
#include "ip_text.h"
#include "unit.h"

static int round_trip (uint16_t type, const struct route_info *r,
                       struct route_info *out) {
  static char buf[8192] /* MNL_SOCKET_BUFFER_SIZE at most */;
  struct nl nl = {0};
  struct err e;
  struct nlmsghdr *nlh = route_build(&nl, buf, type, r, &e);
  return nlh ? route_parse(nlh, out) : -2;
}

static void default_via_gateway (void) {
  struct route_info r, got;
  route_info_init(&r);
  r.gateway = ip("192.168.1.1");
  r.priority = 100;
  r.has_priority = 1;
  UNIT_CHECK(round_trip(RTM_NEWROUTE, &r, &got) == 1,
             "a default route round-trips");
  UNIT_CHECK(got.family == AF_INET, "IPv4, from the gateway");
  UNIT_CHECK(!got.dst.family && got.dst.prefixlen == 0,
             "no destination: default");
  UNIT_STREQ(text(&got.gateway, 0), "192.168.1.1", "the gateway");
  UNIT_CHECK(got.table == RT_TABLE_MAIN, "table main");
  UNIT_CHECK(got.has_priority && got.priority == 100, "metric 100");
  UNIT_CHECK(got.protocol == RTPROT_BOOT && got.type == RTN_UNICAST,
             "proto boot, unicast");
  UNIT_CHECK(got.scope == RT_SCOPE_UNIVERSE, "global scope: it has a gateway");
}

static void device_and_numbered_table (void) {
  struct route_info r, got;
  route_info_init(&r);
  r.dst = ip("10.1.0.0/16");
  r.oif = 3;
  r.table = 1000;
  r.prefsrc = ip("10.1.0.2");
  UNIT_CHECK(round_trip(RTM_NEWROUTE, &r, &got) == 1,
             "a device route round-trips");
  UNIT_STREQ(text(&got.dst, 1), "10.1.0.0/16", "its destination");
  UNIT_CHECK(got.oif == 3, "oif 3");
  UNIT_CHECK(got.table == 1000, "table 1000 (RTA_TABLE, past rtm_table's 255)");
  UNIT_STREQ(text(&got.prefsrc, 0), "10.1.0.2", "its preferred source");
  UNIT_CHECK(got.scope == RT_SCOPE_LINK, "link scope: no gateway");
  route_info_init(&r);
  r.dst = ip("2001:db8::/32");
  r.gateway = ip("fe80::1");
  r.type = RTN_BLACKHOLE;
  UNIT_CHECK(round_trip(RTM_NEWROUTE, &r, &got) == 1 && got.family == AF_INET6,
             "an IPv6 route round-trips");
  UNIT_STREQ(text(&got.dst, 1), "2001:db8::/32", "its IPv6 destination");
  UNIT_CHECK(got.type == RTN_BLACKHOLE, "blackhole");
}

static void delete_matches_any (void) {
  static char buf[8192] /* MNL_SOCKET_BUFFER_SIZE at most */;
  struct nl nl = {0};
  struct route_info r;
  struct err e;
  route_info_init(&r);
  r.dst = ip("10.0.0.0/8");
  struct nlmsghdr *nlh = route_build(&nl, buf, RTM_DELROUTE, &r, &e);
  const struct rtmsg *rtm = nlh ? mnl_nlmsg_get_payload(nlh) : NULL;
  UNIT_CHECK(rtm && rtm->rtm_scope == RT_SCOPE_NOWHERE &&
                 rtm->rtm_type == RTN_UNSPEC &&
                 !(nlh->nlmsg_flags & NLM_F_CREATE),
             "route del leaves scope and type to match any, as ip route del");
}

static void refusals_and_odd_replies (void) {
  static char buf[8192] /* MNL_SOCKET_BUFFER_SIZE at most */;
  struct nl nl = {0};
  struct route_info r, got;
  struct err e;
  route_info_init(&r);
  r.dst = ip("10.0.0.0/8");
  r.gateway = ip("fe80::1");
  UNIT_CHECK(route_build(&nl, buf, RTM_NEWROUTE, &r, &e) == NULL,
             "mixed families are refused");
  UNIT_STREQ(e.reason, "destination and gateway are not of one family",
             "and say why");
  route_info_init(&r);
  UNIT_CHECK(route_build(&nl, buf, RTM_NEWROUTE, &r, &e) == NULL,
             "a default route without family or gateway is refused");
  r.family = AF_INET;
  struct nlmsghdr *nlh = route_build(&nl, buf, RTM_NEWROUTE, &r, &e);
  struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
  rtm->rtm_flags |= RTM_F_CLONED;
  UNIT_CHECK(route_parse(nlh, &got) == 1 && (got.flags & RTM_F_CLONED),
             "a cache entry parses, flagged (route_list leaves it out)");
  /* the route fuzzer's first finding: an RTA_OIF of 2^31 or more was a
     negative ifindex */
  mnl_attr_put_u32(nlh, RTA_OIF, 0xf9000003u);
  UNIT_CHECK(route_parse(nlh, &got) == 1 && got.oif == 0,
             "an RTA_OIF past INT_MAX is no device");
  rtm->rtm_family = RTNL_FAMILY_IPMR;
  UNIT_CHECK(route_parse(nlh, &got) == 0, "multicast routing is skipped");
  nlh->nlmsg_len = mnl_nlmsg_size(4);
  UNIT_CHECK(route_parse(nlh, &got) == -1, "a truncated header is malformed");
}

static void names (void) {
  char num[16];
  UNIT_CHECK(rtname_value(rtnames_table, "main") == RT_TABLE_MAIN,
             "table main");
  UNIT_CHECK(rtname_value(rtnames_table, "100") == 100, "table 100");
  UNIT_CHECK(rtname_value(rtnames_table, "mian") == -1, "no table mian");
  UNIT_CHECK(rtname_value(rtnames_table, "4294967296") == -1,
             "no table past 32 bits");
  UNIT_STREQ(rtname_of(rtnames_scope, RT_SCOPE_LINK, num, sizeof num), "link",
             "scope link");
  UNIT_STREQ(rtname_of(rtnames_protocol, 42, num, sizeof num), "42",
             "an unnamed protocol by number");
}

int main (void) {
  default_via_gateway();
  device_and_numbered_table();
  delete_matches_any();
  refusals_and_odd_replies();
  names();
  return UNIT_END();
}
