/*
 * nft_test.c - nf_tables rules without a kernel, in the manner of
 * libnftnl's tests: every rule of spec/nft_syntax_spec.lua (IPv6 NAT
 * included) is encoded as nft_apply would send it, decoded back, and
 * printed; the text must be nft's, the canonical items must encode to the
 * same bytecode, and the round trip must be stable. Bytecode as nft makes
 * it is decoded too, and what nft_apply refuses is refused before any
 * message is sent.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "../../core/nft.h"
#include "unit.h"

/*
** {======================================================
** Items, written short
** =======================================================
*/

static struct nft_item item (enum nft_item_kind kind) {
  struct nft_item it;
  memset(&it, 0, sizeof it);
  it.kind = kind;
  it.addr.prefixlen = -1;
  return it;
}

static struct nft_item val (enum nft_key key, int neq, unsigned v) {
  struct nft_item it = item(NFTI_MATCH);
  it.key = key;
  it.neq = neq;
  it.value = v;
  return it;
}

static struct nft_item addr (enum nft_key key, int neq, const char *text) {
  struct nft_item it = val(key, neq, 0);
  struct err e;
  if (ipaddr_parse(text, &it.addr, &e) < 0) abort();
  return it;
}

static struct nft_item name (enum nft_key key, int neq, const char *text) {
  struct nft_item it = val(key, neq, 0);
  snprintf(it.text, sizeof it.text, "%s", text);
  return it;
}

static struct nft_item with_text (enum nft_item_kind kind, const char *text) {
  struct nft_item it = item(kind);
  snprintf(it.text, sizeof it.text, "%s", text);
  return it;
}

static struct nft_item nat (enum nft_item_kind kind, const char *to,
                            unsigned port) {
  struct nft_item it = item(kind);
  struct err e;
  if (ipaddr_parse(to, &it.addr, &e) < 0) abort();
  it.value = port;
  return it;
}

#define CT(s) nft_ct_bit(s)
#define IP NFPROTO_IPV4
#define IP6 NFPROTO_IPV6
#define INET NFPROTO_INET
#define BRIDGE NFPROTO_BRIDGE
#define N(a) (sizeof(a) / sizeof *(a))

/* }====================================================== */

static int bytecode (int family, const struct nft_item *items, size_t n,
                     char *buf, size_t len) {
  struct err e;
  return nft_rule_bytecode(family, items, n, buf, len, &e);
}

/* items print as want once the kernel holds them; what it holds reads
 * back the same again, to the same bytecode (nslab sends the held form,
 * so replaying the text it explains makes the very same rule). */
static void round_trip (int family, const struct nft_item *items, size_t n,
                        const char *want) {
  struct nft_item *held = NULL, *again = NULL;
  size_t m = 0, k = 0;
  struct err e;
  char text[1024], text2[1024], code[4096], code2[4096];
  int ok = nft_rule_canonical(family, items, n, &held, &m, &e) == 0;
  UNIT_CHECK(ok, "%s encodes (%s)", want, ok ? "ok" : e.reason);
  if (!ok) return;
  nft_rule_format(family, held, m, 0, text, sizeof text);
  UNIT_STREQ(text, want, "%s: the text nft prints", want);
  ok = nft_rule_canonical(family, held, m, &again, &k, &e) == 0;
  if (ok) nft_rule_format(family, again, k, 0, text2, sizeof text2);
  UNIT_CHECK(ok && k == m && !strcmp(text, text2), "%s: stable", want);
  UNIT_CHECK(ok && bytecode(family, held, m, code, sizeof code) > 0 &&
                 bytecode(family, again, k, code2, sizeof code2) > 0 &&
                 !strcmp(code, code2),
             "%s: one bytecode", want);
  free(held);
  free(again);
}

#define RULE(family, want, ...)                                                \
  do {                                                                         \
    const struct nft_item items_[] = {__VA_ARGS__};                            \
    round_trip(family, items_, N(items_), want);                               \
  } while (0)

/* nft_rule_canonical refuses it, as nft_apply would, saying why. */
static void refused (int family, const struct nft_item *items, size_t n,
                     const char *why) {
  struct nft_item *held = NULL;
  size_t m;
  struct err e;
  int rc = nft_rule_canonical(family, items, n, &held, &m, &e);
  UNIT_CHECK(rc < 0 && strstr(e.reason, why), "refused: %s (%s)", why,
             rc < 0 ? e.reason : "taken");
  free(held);
}

#define REFUSED(family, why, ...)                                              \
  do {                                                                         \
    const struct nft_item items_[] = {__VA_ARGS__};                            \
    refused(family, items_, N(items_), why);                                   \
  } while (0)

static void syntax_spec_rules (void) {
  RULE(IP, "ip saddr 172.17.0.0/16 oifname != \"docker0\" counter masquerade",
       addr(NFTK_IP_SADDR, 0, "172.17.0.0/16"),
       name(NFTK_OIFNAME, 1, "docker0"), item(NFTI_COUNTER),
       item(NFTI_MASQUERADE));
  RULE(IP, "tcp dport 8080 dnat to 172.17.0.2:80", val(NFTK_TCP_DPORT, 0, 8080),
       nat(NFTI_DNAT, "172.17.0.2", 80));
  RULE(IP, "ct state established,related accept",
       val(NFTK_CT_STATE, 0, CT("related") | CT("established")),
       item(NFTI_ACCEPT));
  RULE(IP, "iifname \"br0\" accept", name(NFTK_IIFNAME, 0, "br0"),
       item(NFTI_ACCEPT));
  RULE(IP, "iifname \"veth*\" accept", name(NFTK_IIFNAME, 0, "veth*"),
       item(NFTI_ACCEPT));
  RULE(IP6, "ip6 daddr != 2001:db8::/32 udp sport 53 drop",
       addr(NFTK_IP6_DADDR, 1, "2001:db8::/32"), val(NFTK_UDP_SPORT, 0, 53),
       item(NFTI_DROP));
  RULE(IP, "meta l4proto icmp log prefix \"ping: \" accept",
       val(NFTK_META_L4PROTO, 0, IPPROTO_ICMP), with_text(NFTI_LOG, "ping: "),
       item(NFTI_ACCEPT));
  RULE(IP, "ip protocol tcp jump DOCKER", val(NFTK_IP_PROTOCOL, 0, IPPROTO_TCP),
       with_text(NFTI_JUMP, "DOCKER"));
  RULE(IP, "snat to 198.51.100.1", nat(NFTI_SNAT, "198.51.100.1", 0));
  RULE(IP, "goto OTHER", with_text(NFTI_GOTO, "OTHER"));
  RULE(IP, "reject", item(NFTI_REJECT));
  RULE(IP6, "reject", item(NFTI_REJECT));
  RULE(INET, "reject", item(NFTI_REJECT));
  RULE(IP, "return", item(NFTI_RETURN));
  RULE(IP, "log", item(NFTI_LOG));
  RULE(IP, "fib daddr type local jump DOCKER", val(NFTK_FIB_DADDR_TYPE, 0, 2),
       with_text(NFTI_JUMP, "DOCKER"));
  RULE(IP, "ip daddr != 127.0.0.0/8 fib daddr type != local accept",
       addr(NFTK_IP_DADDR, 1, "127.0.0.0/8"), val(NFTK_FIB_DADDR_TYPE, 1, 2),
       item(NFTI_ACCEPT));
  RULE(IP, "ct state != new accept", val(NFTK_CT_STATE, 1, CT("new")),
       item(NFTI_ACCEPT));
  RULE(IP, "meta l4proto gre accept", val(NFTK_META_L4PROTO, 0, 47),
       item(NFTI_ACCEPT));
  RULE(BRIDGE, "ip6 daddr ::1 udp dport 53 accept",
       addr(NFTK_IP6_DADDR, 0, "::1"), val(NFTK_UDP_DPORT, 0, 53),
       item(NFTI_ACCEPT));
}

/* nft's canonical form: implied protocol matches dropped, ports merged
 * source first, prefixes masked, /32 and /128 as addresses. */
static void canonical_forms (void) {
  RULE(IP, "tcp dport 80 accept", val(NFTK_IP_PROTOCOL, 0, IPPROTO_TCP),
       val(NFTK_TCP_DPORT, 0, 80), item(NFTI_ACCEPT));
  RULE(IP, "udp dport 53 accept", val(NFTK_META_L4PROTO, 0, IPPROTO_UDP),
       val(NFTK_UDP_DPORT, 0, 53), item(NFTI_ACCEPT));
  RULE(IP, "meta l4proto tcp accept", val(NFTK_META_L4PROTO, 0, IPPROTO_TCP),
       item(NFTI_ACCEPT));
  RULE(IP, "tcp sport 1 tcp dport 2 accept", val(NFTK_TCP_DPORT, 0, 2),
       val(NFTK_TCP_SPORT, 0, 1), item(NFTI_ACCEPT));
  RULE(IP, "ip saddr 10.0.0.0/8 drop", addr(NFTK_IP_SADDR, 0, "10.1.2.3/8"),
       item(NFTI_DROP));
  RULE(IP, "ip saddr 10.128.0.0/9 drop", addr(NFTK_IP_SADDR, 0, "10.200.2.3/9"),
       item(NFTI_DROP));
  RULE(IP, "ip daddr 192.0.2.7 drop", addr(NFTK_IP_DADDR, 0, "192.0.2.7/32"),
       item(NFTI_DROP));
  RULE(IP6, "ip6 saddr 2001:db8::/32 drop",
       addr(NFTK_IP6_SADDR, 0, "2001:db8::1/32"), item(NFTI_DROP));
  RULE(IP6, "ip6 daddr 2001:db8::1 drop",
       addr(NFTK_IP6_DADDR, 0, "2001:db8::1/128"), item(NFTI_DROP));
  RULE(INET, "ip6 daddr 2001:db8:8000::/33 drop",
       addr(NFTK_IP6_DADDR, 0, "2001:db8:ffff::1/33"), item(NFTI_DROP));
  RULE(IP, "meta l4proto ipv6-icmp accept",
       val(NFTK_META_L4PROTO, 0, IPPROTO_ICMPV6), item(NFTI_ACCEPT));
  /* in inet and bridge nft's dependency is meta l4proto: ip protocol stays */
  RULE(INET, "ip protocol tcp tcp dport 80 accept",
       val(NFTK_IP_PROTOCOL, 0, IPPROTO_TCP), val(NFTK_TCP_DPORT, 0, 80),
       item(NFTI_ACCEPT));
  RULE(INET, "tcp dport 80 accept", val(NFTK_META_L4PROTO, 0, IPPROTO_TCP),
       val(NFTK_TCP_DPORT, 0, 80), item(NFTI_ACCEPT));
  RULE(BRIDGE, "ip protocol udp udp sport 1 udp dport 2 accept",
       val(NFTK_IP_PROTOCOL, 0, IPPROTO_UDP), val(NFTK_UDP_DPORT, 0, 2),
       val(NFTK_UDP_SPORT, 0, 1), item(NFTI_ACCEPT));
}

static void ipv6_nat (void) {
  RULE(IP6, "tcp dport 80 dnat to [2001:db8::1]:8080",
       val(NFTK_TCP_DPORT, 0, 80), nat(NFTI_DNAT, "2001:db8::1", 8080));
  RULE(IP6, "dnat to 2001:db8::1", nat(NFTI_DNAT, "2001:db8::1", 0));
  RULE(IP6, "snat to 2001:db8::2", nat(NFTI_SNAT, "2001:db8::2", 0));
  RULE(IP6, "udp sport 53 snat to [2001:db8::2]:53", val(NFTK_UDP_SPORT, 0, 53),
       nat(NFTI_SNAT, "2001:db8::2", 53));
  RULE(INET, "tcp dport 80 dnat ip6 to [2001:db8::1]:8080",
       val(NFTK_TCP_DPORT, 0, 80), nat(NFTI_DNAT, "2001:db8::1", 8080));
  RULE(INET, "snat ip6 to 2001:db8::2", nat(NFTI_SNAT, "2001:db8::2", 0));
  RULE(INET, "ip6 saddr 2001:db8::/32 snat ip6 to 2001:db8::2",
       addr(NFTK_IP6_SADDR, 0, "2001:db8::/32"),
       nat(NFTI_SNAT, "2001:db8::2", 0));
  RULE(INET, "tcp dport 22 dnat ip to 192.0.2.1:2222",
       val(NFTK_TCP_DPORT, 0, 22), nat(NFTI_DNAT, "192.0.2.1", 2222));
  REFUSED(IP, "conflicting protocols specified: ip vs. ip6",
          nat(NFTI_DNAT, "2001:db8::1", 0));
  REFUSED(IP6, "conflicting protocols specified: ip6 vs. ip",
          nat(NFTI_SNAT, "192.0.2.1", 0));
  REFUSED(
      IP6,
      "transport protocol mapping is only valid after transport protocol match",
      nat(NFTI_DNAT, "2001:db8::1", 8080));
}

static void refusals (void) {
  struct nft_item long_jump = with_text(NFTI_JUMP, "");
  memset(long_jump.text, 'c', sizeof long_jump.text);
  REFUSED(IP, "conflicting protocols specified: ip vs. ip6",
          addr(NFTK_IP6_SADDR, 0, "::1"));
  REFUSED(IP, "conflicting protocols specified: tcp vs. udp",
          val(NFTK_TCP_DPORT, 0, 1), val(NFTK_UDP_DPORT, 0, 2));
  REFUSED(BRIDGE, "fib daddr type is only valid in ip, ip6 and inet tables",
          val(NFTK_FIB_DADDR_TYPE, 0, 2));
  REFUSED(IP, "text not terminated", long_jump);
  REFUSED(IP, "a chain name is required", with_text(NFTI_JUMP, ""));
  /* found by fuzzing: a chain name with a newline printed as two lines */
  REFUSED(IP, "chain name: letters, digits", with_text(NFTI_JUMP, "E6\\\n"));
  REFUSED(IP, "chain name: letters, digits", with_text(NFTI_GOTO, "a b"));
  /* found by fuzzing: nft drops one of two protocol matches, or not */
  REFUSED(IP, "ip protocol: the transport protocol is matched already",
          val(NFTK_IP_PROTOCOL, 0, IPPROTO_TCP),
          val(NFTK_IP_PROTOCOL, 0, IPPROTO_TCP), val(NFTK_TCP_SPORT, 0, 13));
  REFUSED(INET, "meta l4proto: the transport protocol is matched already",
          val(NFTK_IP_PROTOCOL, 0, IPPROTO_TCP),
          val(NFTK_META_L4PROTO, 0, IPPROTO_TCP));
  RULE(IP, "ip protocol != udp meta l4proto tcp accept",
       val(NFTK_IP_PROTOCOL, 1, IPPROTO_UDP),
       val(NFTK_META_L4PROTO, 0, IPPROTO_TCP), item(NFTI_ACCEPT));
  /* found by fuzzing: a name the rule parser splits ("n!=w") */
  REFUSED(IP, "chain name: letters, digits", with_text(NFTI_JUMP, "n!=w"));
  /* found by fuzzing: nft's merge of port loads depends on the order of
     a port matched twice */
  REFUSED(IP, "tcp dport: more than one == match in a rule",
          val(NFTK_TCP_DPORT, 0, 1), val(NFTK_TCP_SPORT, 0, 1),
          val(NFTK_TCP_DPORT, 0, 1));
  RULE(IP, "tcp dport != 1 tcp dport != 2 accept", val(NFTK_TCP_DPORT, 1, 1),
       val(NFTK_TCP_DPORT, 1, 2), item(NFTI_ACCEPT));
}

/*
** {======================================================
** Bytecode as nft makes it, decoded
** =======================================================
*/

static struct nftnl_expr *expr (struct nftnl_rule *r, const char *name) {
  struct nftnl_expr *x = nftnl_expr_alloc(name);
  nftnl_rule_add_expr(r, x);
  return x;
}

static void meta (struct nftnl_rule *r, uint32_t key) {
  struct nftnl_expr *x = expr(r, "meta");
  nftnl_expr_set_u32(x, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(x, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

static void payload (struct nftnl_rule *r, uint32_t base, uint32_t off,
                     uint32_t len) {
  struct nftnl_expr *x = expr(r, "payload");
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_OFFSET, off);
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_LEN, len);
}

static void cmp (struct nftnl_rule *r, const void *data, uint32_t len) {
  struct nftnl_expr *x = expr(r, "cmp");
  nftnl_expr_set_u32(x, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(x, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
  nftnl_expr_set(x, NFTNL_EXPR_CMP_DATA, data, len);
}

static void verdict (struct nftnl_rule *r, int v) {
  struct nftnl_expr *x = expr(r, "immediate");
  nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
}

static void jump (struct nftnl_rule *r, const char *chain) {
  struct nftnl_expr *x = expr(r, "immediate");
  nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_JUMP);
  nftnl_expr_set_str(x, NFTNL_EXPR_IMM_CHAIN, chain);
}

/* r as a NEWRULE message, decoded and printed, then freed. */
static void decoded (struct nftnl_rule *r, int family, const char *want) {
  static char buf[8192];
  struct nft_rule_info info;
  struct err e;
  char text[1024] = "";
  nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "t");
  nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "c");
  struct nlmsghdr *nlh =
      nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, (uint16_t)family, 0, 1);
  nftnl_rule_nlmsg_build_payload(nlh, r);
  nftnl_rule_free(r);
  int ok = nft_rule_decode(nlh, &info, &e) == 0;
  if (ok)
    nft_rule_format(family, info.items, info.n_items, 1, text, sizeof text);
  UNIT_STREQ(ok ? text : e.reason, want, "nft's bytecode of %s", want);
  if (ok) free(info.items);
}

static void mask (struct nftnl_rule *r, const void *m, uint32_t len) {
  static const uint8_t zero[16];
  struct nftnl_expr *x = expr(r, "bitwise");
  nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
  nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
  nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_LEN, len);
  nftnl_expr_set(x, NFTNL_EXPR_BITWISE_MASK, m, len);
  nftnl_expr_set(x, NFTNL_EXPR_BITWISE_XOR, zero, len);
}

static void nft_bytecode (void) {
  static const uint8_t mask9[4] = {0xff, 0x80, 0, 0}, net9[4] = {10, 128, 0, 0},
                       host_bits[4] = {10, 128, 0, 33};
  uint8_t tcp = IPPROTO_TCP, v4 = NFPROTO_IPV4;
  uint16_t port = htons(22);
  uint32_t mark = 3;
  struct nftnl_rule *r = nftnl_rule_alloc();
  meta(r, NFT_META_L4PROTO);
  cmp(r, &tcp, 1);
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  cmp(r, &port, 2);
  verdict(r, NF_ACCEPT);
  decoded(r, INET, "tcp dport 22 accept");
  r = nftnl_rule_alloc();
  meta(r, NFT_META_NFPROTO);
  cmp(r, &v4, 1);
  payload(r, NFT_PAYLOAD_NETWORK_HEADER, 9, 1);
  cmp(r, &tcp, 1);
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  cmp(r, &port, 2);
  verdict(r, NF_DROP);
  decoded(r, INET, "ip protocol tcp tcp dport 22 drop");
  r = nftnl_rule_alloc();
  meta(r, NFT_META_MARK);
  cmp(r, &mark, 4);
  verdict(r, NF_ACCEPT);
  decoded(r, IP, "<meta>");
  r = nftnl_rule_alloc();
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  cmp(r, &port, 2);
  decoded(r, IP, "<payload>"); /* a port with no protocol known */
  r = nftnl_rule_alloc();
  meta(r, NFT_META_L4PROTO);
  decoded(r, IP, "<meta>"); /* a load nothing compares */
  /* found by fuzzing: a masked compare with bits outside its mask is no
     prefix (it never matches) */
  r = nftnl_rule_alloc();
  payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
  mask(r, mask9, 4);
  cmp(r, host_bits, 4);
  decoded(r, IP, "<payload>");
  r = nftnl_rule_alloc();
  payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
  mask(r, mask9, 4);
  cmp(r, net9, 4);
  decoded(r, IP, "ip saddr 10.128.0.0/9");
  /* an exact name with a '*' is no wildcard; bytes after the NUL never
     match */
  r = nftnl_rule_alloc();
  meta(r, NFT_META_IIFNAME);
  cmp(r, "a*\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
  decoded(r, IP, "<meta>");
  r = nftnl_rule_alloc();
  meta(r, NFT_META_IIFNAME);
  cmp(r, "a\0b\0\0\0\0\0\0\0\0\0\0\0\0", 16);
  decoded(r, IP, "<meta>");
  r = nftnl_rule_alloc();
  meta(r, NFT_META_IIFNAME);
  cmp(r, "a\nb\0\0\0\0\0\0\0\0\0\0\0", 16);
  decoded(r, IP, "<meta>");
  r = nftnl_rule_alloc();
  meta(r, NFT_META_OIFNAME);
  cmp(r, "eth", 3);
  decoded(r, IP, "oifname \"eth*\"");
  r = nftnl_rule_alloc();
  jump(r, "a\nb");
  decoded(r, IP, "<immediate>");
  r = nftnl_rule_alloc();
  jump(r, "DOCKER-USER");
  decoded(r, IP, "jump DOCKER-USER");
  /* found by fuzzing: separate loads of two ports print as nft prints
     them; nft (and nslab) merge them when that text is added again */
  r = nftnl_rule_alloc();
  meta(r, NFT_META_L4PROTO);
  cmp(r, &tcp, 1);
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  cmp(r, &port, 2);
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2);
  cmp(r, &port, 2);
  decoded(r, IP, "tcp dport 22 tcp sport 22");
  /* found by fuzzing: a protocol match before a statement guards it,
     and is no dependency nft drops */
  r = nftnl_rule_alloc();
  meta(r, NFT_META_L4PROTO);
  cmp(r, &tcp, 1);
  expr(r, "counter");
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  cmp(r, &port, 2);
  decoded(r, IP, "meta l4proto tcp counter packets 0 bytes 0 tcp dport 22");
  /* the protocol said twice: the second is the dependency, as nft reads
     it */
  r = nftnl_rule_alloc();
  meta(r, NFT_META_L4PROTO);
  cmp(r, &tcp, 1);
  meta(r, NFT_META_L4PROTO);
  cmp(r, &tcp, 1);
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  cmp(r, &port, 2);
  decoded(r, IP, "meta l4proto tcp tcp dport 22");
}

/* }====================================================== */

/* found by fuzzing: libnftnl exits the process on an attribute of a size
 * it does not expect; such a message is refused instead. */
static void malformed (void) {
  static char buf[512];
  struct nft_rule_info info;
  struct err e;
  struct nlmsghdr *nlh =
      nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_IPV4, 0, 1);
  unsigned char six[6] = {0};
  mnl_attr_put(nlh, NFTA_RULE_POSITION_ID, sizeof six, six);
  UNIT_CHECK(nft_rule_decode(nlh, &info, &e) < 0 &&
                 strstr(e.reason, "malformed"),
             "a rule attribute of the wrong size is refused");
  nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_IPV4, 0, 1);
  char name[300];
  memset(name, 'n', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, name);
  UNIT_CHECK(nft_rule_decode(nlh, &info, &e) < 0,
             "a table name longer than the kernel's is refused");
}

/* Names are checked before any message is built, so no socket is needed
 * to see them refused. */
static void names (void) {
  static char huge[16384];
  struct nft_op op;
  struct nft_ruleset rs;
  struct err e;
  size_t failed;
  memset(huge, 't', sizeof huge - 1);
  nft_op_init(&op);
  op.object = NFTO_TABLE;
  op.table = huge;
  UNIT_CHECK(nft_apply(NULL, &op, 1, &failed, &e) < 0 && failed == 0 &&
                 strstr(e.reason, "table name longer than 255 bytes"),
             "a 16 KB table name is refused: %s", e.reason);
  op.table = "";
  UNIT_CHECK(nft_apply(NULL, &op, 1, &failed, &e) < 0 &&
                 strstr(e.reason, "a table name is required"),
             "an empty table name is refused");
  op.object = NFTO_CHAIN;
  op.table = "t";
  op.chain = huge;
  UNIT_CHECK(nft_apply(NULL, &op, 1, &failed, &e) < 0 &&
                 strstr(e.reason, "chain name longer"),
             "a 16 KB chain name is refused");
  op.chain = "";
  UNIT_CHECK(nft_apply(NULL, &op, 1, &failed, &e) < 0 &&
                 strstr(e.reason, "a chain name is required"),
             "an empty chain name is refused");
  huge[4096] = '\0';
  op.object = NFTO_TABLE;
  op.table = "a b";
  UNIT_CHECK(nft_apply(NULL, &op, 1, &failed, &e) < 0 &&
                 strstr(e.reason, "letters, digits"),
             "a table name with a space is refused");
  op.table = "a\nb";
  UNIT_CHECK(nft_apply(NULL, &op, 1, &failed, &e) < 0,
             "a table name with a newline is refused");
  UNIT_CHECK(nft_list(NULL, NFPROTO_IPV4, huge, &rs, &e) < 0 &&
                 strstr(e.reason, "table name longer than 255 bytes"),
             "a 4 KB table name to list is refused");
}

static void vocabulary (void) {
  for (int k = 0; k < NFTK_COUNT; k++)
    UNIT_CHECK(nft_key_value(nft_keys[k].name) == k, "key row %d: %s", k,
               nft_keys[k].name);
  for (int s = 0; s < NFTI_KIND_COUNT; s++)
    UNIT_CHECK(nft_stmt_value(nft_stmts[s].name) == s, "statement row %d: %s",
               s, nft_stmts[s].name);
  UNIT_CHECK(nft_proto_value("icmpv6") == IPPROTO_ICMPV6 &&
                 nft_proto_value("tcp") == IPPROTO_TCP &&
                 nft_proto_value("nope") == -1,
             "protocols by name");
}

int main (void) {
  syntax_spec_rules();
  canonical_forms();
  ipv6_nat();
  refusals();
  nft_bytecode();
  malformed();
  names();
  vocabulary();
  return UNIT_END();
}
