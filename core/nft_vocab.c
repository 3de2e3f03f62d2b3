/*
 * nft_vocab.c - the words of nslab's nft subset, one row each: families,
 * hooks, match keys (where the value is loaded from, what it needs
 * matched first, what kind of value it takes), statements (their
 * fields), conntrack states, route types and protocol names. The
 * encoder, the decoder, the Lua checker, the printer and the Lua rule
 * parser (through core.nft_vocabulary()) all read these rows.
 */
#include "nft.h"

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

static const struct {
  int value;
  const char *name;
} families[] = {{NFPROTO_IPV4, "ip"},   {NFPROTO_IPV6, "ip6"},
                {NFPROTO_INET, "inet"}, {NFPROTO_BRIDGE, "bridge"},
                {NFPROTO_ARP, "arp"},   {NFPROTO_NETDEV, "netdev"}};

/* Only the families a table can be made in here: arp and netdev chains
   need more than this vocabulary has. */
const char *const nft_family_names[] = {"ip", "ip6", "inet", "bridge", NULL};

int nft_family_value (const char *name) {
  for (size_t i = 0; i < 4; i++)
    if (!strcmp(families[i].name, name)) return families[i].value;
  return -1;
}

const char *nft_family_name (int family) {
  for (size_t i = 0; i < sizeof families / sizeof *families; i++)
    if (families[i].value == family) return families[i].name;
  return "unknown";
}

/* Indexed by NF_INET_*. */
const char *const nft_hook_names[] = {"prerouting", "input",       "forward",
                                      "output",     "postrouting", NULL};
#define N_HOOKS 5

const char *const nft_chain_types[] = {"filter", "nat", "route", NULL};
const char *const nft_policies[] = {"accept", "drop", NULL};

int nft_hook_value (const char *name) {
  for (int i = 0; i < N_HOOKS; i++)
    if (!strcmp(nft_hook_names[i], name)) return i;
  return -1;
}

const char *nft_hook_name (int hook) {
  if (hook == NF_INET_INGRESS) return "ingress";
  return hook >= 0 && hook < N_HOOKS ? nft_hook_names[hook] : "unknown";
}

const char *nft_chain_hook_name (int family, int hook) {
  if (family == NFPROTO_NETDEV)
    return hook == NF_NETDEV_INGRESS  ? "ingress"
           : hook == NF_NETDEV_EGRESS ? "egress"
                                      : "unknown";
  return nft_hook_name(hook);
}

const struct nft_priority nft_priorities[] = {
    {"raw", -300, 0, -1},
    {"mangle", -150, 0, -1},
    {"dstnat", -100, 0, NF_INET_PRE_ROUTING},
    {"filter", 0, 0, -1},
    {"security", 50, 0, -1},
    {"srcnat", 100, 0, NF_INET_POST_ROUTING},
    {"dstnat", -300, 1, NF_INET_PRE_ROUTING},
    {"filter", -200, 1, -1},
    {"out", 100, 1, NF_INET_LOCAL_OUT},
    {"srcnat", 300, 1, NF_INET_POST_ROUTING},
    {NULL, 0, 0, -1}};

const char *const nft_vtype_names[NFTT_COUNT] = {
    "ifname", "address", "protocol", "port", "ct_state", "fib_type"};

#define META(k) NFTL_META, NFT_META_##k, 0, 0, 0
#define NET(off, len) NFTL_PAYLOAD, 0, NFT_PAYLOAD_NETWORK_HEADER, off, len
#define L4(off) NFTL_PAYLOAD, 0, NFT_PAYLOAD_TRANSPORT_HEADER, off, 2

/* In the order of enum nft_key. */
const struct nft_key_desc nft_keys[NFTK_COUNT] = {
    {"iifname", NFTT_IFNAME, META(IIFNAME), 0, 0, "input interface name"},
    {"oifname", NFTT_IFNAME, META(OIFNAME), 0, 0, "output interface name"},
    {"ip saddr", NFTT_ADDR, NET(12, 4), NFPROTO_IPV4, 0,
     "IPv4 source address or prefix"},
    {"ip daddr", NFTT_ADDR, NET(16, 4), NFPROTO_IPV4, 0,
     "IPv4 destination address or prefix"},
    {"ip6 saddr", NFTT_ADDR, NET(8, 16), NFPROTO_IPV6, 0,
     "IPv6 source address or prefix"},
    {"ip6 daddr", NFTT_ADDR, NET(24, 16), NFPROTO_IPV6, 0,
     "IPv6 destination address or prefix"},
    {"meta l4proto", NFTT_PROTO, META(L4PROTO), 0, 0, "transport protocol"},
    {"ip protocol", NFTT_PROTO, NET(9, 1), NFPROTO_IPV4, 0,
     "IPv4 protocol field"},
    {"tcp sport", NFTT_PORT, L4(0), 0, IPPROTO_TCP, "TCP source port"},
    {"tcp dport", NFTT_PORT, L4(2), 0, IPPROTO_TCP, "TCP destination port"},
    {"udp sport", NFTT_PORT, L4(0), 0, IPPROTO_UDP, "UDP source port"},
    {"udp dport", NFTT_PORT, L4(2), 0, IPPROTO_UDP, "UDP destination port"},
    {"ct state", NFTT_CT_STATE, NFTL_CT, NFT_CT_STATE, 0, 0, 0, 0, 0,
     "conntrack states"},
    {"fib daddr type", NFTT_FIB_TYPE, NFTL_FIB, 0, 0, 0, 4, 0, 0,
     "route type of the destination address (Docker's addrtype --dst-type)"},
};

static const char *const no_fields[] = {NULL};
static const char *const match_fields[] = {"key", "op", "value", NULL};
static const char *const counter_fields[] = {"packets", "bytes", NULL};
static const char *const chain_fields[] = {"chain", NULL};
static const char *const nat_fields[] = {"addr", "port", NULL};
static const char *const log_fields[] = {"prefix", NULL};
static const char *const unknown_fields[] = {"name", NULL};

/* In the order of enum nft_item_kind. */
const struct nft_stmt_desc nft_stmts[NFTI_KIND_COUNT] = {
    {"match", match_fields, "KEY [==|!=] VALUE"},
    {"counter", counter_fields, "counter"},
    {"accept", no_fields, "accept"},
    {"drop", no_fields, "drop"},
    {"reject", no_fields, "reject"},
    {"return", no_fields, "return"},
    {"jump", chain_fields, "jump CHAIN"},
    {"goto", chain_fields, "goto CHAIN"},
    {"masquerade", no_fields, "masquerade"},
    {"snat", nat_fields, "snat [ip|ip6] to ADDR[:PORT]"},
    {"dnat", nat_fields, "dnat [ip|ip6] to ADDR[:PORT]"},
    {"log", log_fields, "log [prefix \"TEXT\"]"},
    {"unknown", unknown_fields, "what nslab has no words for (read only)"},
};

int nft_key_value (const char *name) {
  for (int i = 0; i < NFTK_COUNT; i++)
    if (!strcmp(nft_keys[i].name, name)) return i;
  return -1;
}

int nft_stmt_value (const char *name) {
  for (int i = 0; i < NFTI_KIND_COUNT; i++)
    if (!strcmp(nft_stmts[i].name, name)) return i;
  return -1;
}

/* In bit order, the order nft prints a set of them in. */
const struct nft_ct_state nft_ct_states[] = {
    {"invalid", NF_CT_STATE_INVALID_BIT},
    {"established", NF_CT_STATE_BIT(IP_CT_ESTABLISHED)},
    {"related", NF_CT_STATE_BIT(IP_CT_RELATED)},
    {"new", NF_CT_STATE_BIT(IP_CT_NEW)},
    {"untracked", NF_CT_STATE_UNTRACKED_BIT},
    {NULL, 0}};

int nft_ct_bit (const char *name) {
  for (const struct nft_ct_state *s = nft_ct_states; s->name; s++)
    if (!strcmp(s->name, name)) return (int)s->bit;
  return 0;
}

unsigned nft_ct_all (void) {
  unsigned all = 0;
  for (const struct nft_ct_state *s = nft_ct_states; s->name; s++)
    all |= s->bit;
  return all;
}

const char *const nft_fib_types[NFT_FIB_TYPE_COUNT] = {
    [RTN_UNSPEC] = "unspec",       [RTN_UNICAST] = "unicast",
    [RTN_LOCAL] = "local",         [RTN_BROADCAST] = "broadcast",
    [RTN_ANYCAST] = "anycast",     [RTN_MULTICAST] = "multicast",
    [RTN_BLACKHOLE] = "blackhole", [RTN_UNREACHABLE] = "unreachable",
    [RTN_PROHIBIT] = "prohibit"};

/* The names nft has itself, should /etc/protocols be missing. */
static const struct {
  const char *name;
  int value;
} own_protos[] = {{"icmp", IPPROTO_ICMP},
                  {"tcp", IPPROTO_TCP},
                  {"udp", IPPROTO_UDP},
                  {"icmpv6", IPPROTO_ICMPV6},
                  {"ipv6-icmp", IPPROTO_ICMPV6}};

int nft_proto_value (const char *name) {
  struct protoent pe, *found = NULL;
  char buf[1024];
  for (size_t i = 0; i < sizeof own_protos / sizeof *own_protos; i++)
    if (!strcmp(own_protos[i].name, name)) return own_protos[i].value;
  if (getprotobyname_r(name, &pe, buf, sizeof buf, &found) == 0 && found &&
      found->p_proto >= 0 && found->p_proto <= 255)
    return found->p_proto;
  return -1;
}

/* As nft prints it: getprotobynumber's name (58 is "ipv6-icmp"). */
const char *nft_proto_name (unsigned proto, char *buf, size_t len) {
  struct protoent pe, *found = NULL;
  char scratch[1024];
  if (getprotobynumber_r((int)proto, &pe, scratch, sizeof scratch, &found) ==
          0 &&
      found)
    snprintf(buf, len, "%s", found->p_name);
  else if (proto == IPPROTO_ICMP)
    snprintf(buf, len, "icmp");
  else if (proto == IPPROTO_TCP)
    snprintf(buf, len, "tcp");
  else if (proto == IPPROTO_UDP)
    snprintf(buf, len, "udp");
  else if (proto == IPPROTO_ICMPV6)
    snprintf(buf, len, "ipv6-icmp");
  else
    snprintf(buf, len, "%u", proto);
  return buf;
}

int nft_ifname_ok (const char *name, size_t len) {
  if (len == 0 || len > 15) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c <= ' ' || c >= 0x7f || strchr("*\"\\/:", c)) return 0;
  }
  return 1;
}

int nft_name_ok (const char *name, size_t len) {
  if (len == 0 || len > NFT_NAME_MAX) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (!isalnum(c) && !strchr("_./-", c)) return 0;
  }
  return 1;
}

int nft_log_prefix_ok (const char *prefix, size_t len) {
  if (len > NFT_LOG_PREFIX_MAX) return 0;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)prefix[i] < ' ' || prefix[i] == 0x7f || prefix[i] == '"')
      return 0;
  return 1;
}
