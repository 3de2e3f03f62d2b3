/*
 * nftrace_test.c - trace events as the kernel sends them (NFT_MSG_TRACE,
 * big-endian attributes, the packet's headers copied), read by
 * nftrace_parse; the words of trace types, verdicts and ICMP types.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "../../core/nftrace.h"
#include "ip_text.h"
#include "unit.h"

static char buf[4096];

/* A trace event of the policy of chain ip filter FORWARD (drop) for an
 * ICMP echo request 10.0.1.1 > 10.0.1.2, with or without its headers. */
static struct nlmsghdr *policy_event (int type, int with_headers) {
  static const unsigned char ip[20] = {0x45, 0, 0,  84, 0, 0, 0x40, 0, 64, 1,
                                       0,    0, 10, 0,  1, 1, 10,   0, 1,  2};
  static const unsigned char icmp[8] = {8, 0, 0, 0, 0, 1, 0, 1};
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
  struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
  g->nfgen_family = NFPROTO_IPV4;
  mnl_attr_put_strz(nlh, NFTA_TRACE_TABLE, "filter");
  mnl_attr_put_strz(nlh, NFTA_TRACE_CHAIN, "FORWARD");
  mnl_attr_put_u32(nlh, NFTA_TRACE_ID, htonl(0x1234));
  mnl_attr_put_u32(nlh, NFTA_TRACE_TYPE, htonl(NFT_TRACETYPE_POLICY));
  mnl_attr_put_u32(nlh, NFTA_TRACE_POLICY, htonl(NF_DROP));
  mnl_attr_put_u32(nlh, NFTA_TRACE_IIF, htonl(5));
  mnl_attr_put_u32(nlh, NFTA_TRACE_NFPROTO, htonl(NFPROTO_IPV4));
  if (with_headers) {
    mnl_attr_put(nlh, NFTA_TRACE_NETWORK_HEADER, sizeof ip, ip);
    mnl_attr_put(nlh, NFTA_TRACE_TRANSPORT_HEADER, sizeof icmp, icmp);
  }
  return nlh;
}

static void a_policy_drop (void) {
  struct nftrace_event ev;
  UNIT_CHECK(nftrace_parse(policy_event(NFT_MSG_TRACE, 1), &ev) == 1,
             "a trace event parses");
  UNIT_STREQ(ev.table, "filter", "its table");
  UNIT_STREQ(ev.chain, "FORWARD", "its chain");
  UNIT_CHECK(ev.id == 0x1234, "the packet's id, in host order");
  UNIT_STREQ(nftrace_type_name(ev.type), "policy", "a policy event");
  UNIT_CHECK(ev.has_policy && ev.policy == NF_DROP, "policy drop");
  UNIT_CHECK(!ev.has_verdict && ev.handle == 0, "no rule, no verdict");
  UNIT_CHECK(ev.family == NFPROTO_IPV4 && ev.nfproto == NFPROTO_IPV4,
             "family ip");
  UNIT_CHECK(ev.iif == 5 && ev.oif == 0, "in on ifindex 5, no output yet");
  UNIT_STREQ(text(&ev.saddr, 0), "10.0.1.1", "the source from the header");
  UNIT_STREQ(text(&ev.daddr, 0), "10.0.1.2", "the destination");
  struct ipaddr want = ip("10.0.1.2");
  UNIT_CHECK(!memcmp(want.bytes, ev.daddr.bytes, 4), "the bytes as they came");
  UNIT_CHECK(ev.protocol == 1, "icmp");
  UNIT_STREQ(nftrace_icmp_name(ev.protocol, ev.icmp_type), "echo-request",
             "an echo request");
}

static void without_headers_and_others (void) {
  struct nftrace_event ev;
  UNIT_CHECK(nftrace_parse(policy_event(NFT_MSG_TRACE, 0), &ev) == 1,
             "an event without headers parses");
  UNIT_CHECK(ev.saddr.family == 0 && ev.protocol == -1 && ev.icmp_type == -1,
             "and says nothing of the packet");
  UNIT_CHECK(nftrace_parse(policy_event(NFT_MSG_NEWRULE, 1), &ev) == 0,
             "another nf_tables message is no event");
}

static void words (void) {
  UNIT_STREQ(nftrace_verdict_name(NF_ACCEPT), "accept", "accept");
  UNIT_STREQ(nftrace_verdict_name(NF_DROP), "drop", "drop");
  UNIT_STREQ(nftrace_verdict_name(NFT_JUMP), "jump", "jump");
  UNIT_STREQ(nftrace_verdict_name(NFT_RETURN), "return", "return");
  UNIT_STREQ(nftrace_verdict_name(NFT_CONTINUE), "continue", "continue");
  UNIT_STREQ(nftrace_verdict_name(NF_QUEUE | (3 << 16)), "queue",
             "a queue verdict with its queue number");
  UNIT_STREQ(nftrace_verdict_name(77), "unknown", "an unknown verdict");
  UNIT_STREQ(nftrace_type_name(NFT_TRACETYPE_RULE), "rule", "rule");
  UNIT_STREQ(nftrace_type_name(NFT_TRACETYPE_RETURN), "return", "return");
  UNIT_STREQ(nftrace_icmp_name(58, 129), "echo-reply", "icmpv6 echo reply");
  UNIT_CHECK(nftrace_icmp_name(6, 8) == NULL, "tcp has no icmp type");
}

int main (void) {
  a_policy_drop();
  without_headers_and_others();
  words();
  return UNIT_END();
}
