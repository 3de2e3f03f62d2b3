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
    "ifname",   "address",  "protocol", "port",
    "ct_state", "fib_type", "icmp_type"};

#define META(k) NFTL_META, NFT_META_##k, 0, 0, 0
#define NET(off, len) NFTL_PAYLOAD, 0, NFT_PAYLOAD_NETWORK_HEADER, off, len
#define L4(off) NFTL_PAYLOAD, 0, NFT_PAYLOAD_TRANSPORT_HEADER, off, 2
#define L4_BYTE(off) NFTL_PAYLOAD, 0, NFT_PAYLOAD_TRANSPORT_HEADER, off, 1

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
    /* an ICMP type needs its transport protocol matched first, and in
       inet its network protocol before that (nft's dependencies) */
    {"icmp type", NFTT_ICMP_TYPE, L4_BYTE(0), NFPROTO_IPV4, IPPROTO_ICMP,
     "ICMP message type (echo-request, destination-unreachable, ... or 0..255)"},
    {"icmpv6 type", NFTT_ICMP_TYPE, L4_BYTE(0), NFPROTO_IPV6, IPPROTO_ICMPV6,
     "ICMPv6 message type (echo-request, nd-neighbor-solicit, ... or 0..255)"},
};

static const char *const no_fields[] = {NULL};
static const char *const match_fields[] = {"key", "op", "value", NULL};
static const char *const counter_fields[] = {"packets", "bytes", NULL};
static const char *const chain_fields[] = {"chain", NULL};
static const char *const nat_fields[] = {"addr", "port", NULL};
static const char *const log_fields[] = {"prefix", NULL};
static const char *const reject_fields[] = {"with", NULL};
static const char *const unknown_fields[] = {"name", NULL};

/* In the order of enum nft_item_kind. */
const struct nft_stmt_desc nft_stmts[NFTI_KIND_COUNT] = {
    {"match", match_fields, "KEY [==|!=] VALUE"},
    {"counter", counter_fields, "counter"},
    {"accept", no_fields, "accept"},
    {"drop", no_fields, "drop"},
    {"reject", reject_fields,
     "reject [with tcp reset | with icmp|icmpv6|icmpx CODE]"},
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

/* As nft 1.0 names them (proto.c's icmp_type_tbl, icmp6_type_tbl and
   the reject code tables of its datatype.c). */
const struct nft_name nft_icmp_types[] = {
    {0, "echo-reply"},           {3, "destination-unreachable"},
    {4, "source-quench"},        {5, "redirect"},
    {8, "echo-request"},         {9, "router-advertisement"},
    {10, "router-solicitation"}, {11, "time-exceeded"},
    {12, "parameter-problem"},   {13, "timestamp-request"},
    {14, "timestamp-reply"},     {15, "info-request"},
    {16, "info-reply"},          {17, "address-mask-request"},
    {18, "address-mask-reply"},  {0, NULL}};

const struct nft_name nft_icmpv6_types[] = {{1, "destination-unreachable"},
                                            {2, "packet-too-big"},
                                            {3, "time-exceeded"},
                                            {4, "parameter-problem"},
                                            {128, "echo-request"},
                                            {129, "echo-reply"},
                                            {130, "mld-listener-query"},
                                            {131, "mld-listener-report"},
                                            {132, "mld-listener-done"},
                                            {133, "nd-router-solicit"},
                                            {134, "nd-router-advert"},
                                            {135, "nd-neighbor-solicit"},
                                            {136, "nd-neighbor-advert"},
                                            {137, "nd-redirect"},
                                            {138, "router-renumbering"},
                                            {141, "ind-neighbor-solicit"},
                                            {142, "ind-neighbor-advert"},
                                            {143, "mld2-listener-report"},
                                            {0, NULL}};

static const struct nft_name icmp_codes[] = {
    {0, "net-unreachable"},  {1, "host-unreachable"},  {2, "prot-unreachable"},
    {3, "port-unreachable"}, {4, "frag-needed"},       {9, "net-prohibited"},
    {10, "host-prohibited"}, {13, "admin-prohibited"}, {0, NULL}};

static const struct nft_name icmpv6_codes[] = {{0, "no-route"},
                                               {1, "admin-prohibited"},
                                               {3, "addr-unreachable"},
                                               {4, "port-unreachable"},
                                               {5, "policy-fail"},
                                               {6, "reject-route"},
                                               {0, NULL}};

static const struct nft_name icmpx_codes[] = {{0, "no-route"},
                                              {1, "port-unreachable"},
                                              {2, "host-unreachable"},
                                              {3, "admin-prohibited"},
                                              {0, NULL}};

const char *const nft_with_words[NFT_WITH_COUNT] = {NULL, "tcp", "icmp",
                                                    "icmpv6", "icmpx"};
const struct nft_name *const nft_with_codes[NFT_WITH_COUNT] = {
    NULL, NULL, icmp_codes, icmpv6_codes, icmpx_codes};

const char *nft_name_of (const struct nft_name *names, unsigned value) {
  for (; names->name; names++)
    if (names->value == value) return names->name;
  return NULL;
}

int nft_value_of (const struct nft_name *names, const char *name) {
  for (; names->name; names++)
    if (!strcmp(names->name, name)) return (int)names->value;
  return -1;
}

const struct nft_name *nft_icmp_type_names (enum nft_key key) {
  return nft_keys[key].l4 == IPPROTO_ICMPV6 ? nft_icmpv6_types : nft_icmp_types;
}

void nft_with_text (enum nft_with with, unsigned code, char *buf, size_t len) {
  const char *name;
  if (with == NFT_WITH_TCP_RESET)
    snprintf(buf, len, "tcp reset");
  else if (with > NFT_WITH_TCP_RESET && with < NFT_WITH_COUNT &&
           (name = nft_name_of(nft_with_codes[with], code)))
    snprintf(buf, len, "%s %s", nft_with_words[with], name);
  else if (with > NFT_WITH_TCP_RESET && with < NFT_WITH_COUNT)
    snprintf(buf, len, "%s %u", nft_with_words[with], code);
  else if (len)
    buf[0] = '\0';
}

/* The largest code nft takes after each word (the kernel has no more
   than 3 for icmpx). */
const unsigned nft_with_max[NFT_WITH_COUNT] = {0, 0, 127, 127, 3};

/* A code: its name, or a number 0..max written in digits. */
static int code_value (const struct nft_name *names, unsigned max,
                       const char *word) {
  char *end;
  if (isdigit((unsigned char)word[0])) {
    unsigned long n = strtoul(word, &end, 10);
    return *end || n > max || strlen(word) > 3 ? -1 : (int)n;
  }
  return nft_value_of(names, word);
}

int nft_with_parse (const char *text, enum nft_with *with, unsigned *code) {
  char word[16], rest[40], extra[2];
  int n = sscanf(text, "%15s %39s %1s", word, rest, extra);
  if (n == 3 && strcmp(rest, "type") == 0) /* "icmp type CODE" */
    n = sscanf(text, "%15s type %39s %1s", word, rest, extra);
  if (n != 2) return -1;
  if (!strcmp(word, "tcp")) {
    if (strcmp(rest, "reset")) return -1;
    *with = NFT_WITH_TCP_RESET;
    *code = 0;
    return 0;
  }
  for (int w = NFT_WITH_ICMP; w < NFT_WITH_COUNT; w++)
    if (!strcmp(word, nft_with_words[w])) {
      int c = code_value(nft_with_codes[w], nft_with_max[w], rest);
      if (c < 0) return -1;
      *with = (enum nft_with)w;
      *code = (unsigned)c;
      return 0;
    }
  return -1;
}

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
