/*
 * nft.c - nf_tables over NETLINK_NETFILTER, with libnftnl building and
 * parsing the messages.
 *
 * The bytecode of each item mirrors what nft 1.0 generates for the same
 * text (netlink_linearize.c there): loads into register 1, the implicit
 * protocol matches nft puts in front of a match that needs them, byte
 * aligned prefixes as shorter loads, the rest through a bitwise mask.
 * Decoding is the inverse (netlink_delinearize.c): the implicit matches
 * are dropped again, so a rule reads back the way nft prints it. Where a
 * key's value is loaded from, and what it needs matched first, is its row
 * in nft_keys (nft_vocab.c); encoder and decoder switch only on the kind
 * of value.
 */
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#define LOGLEVEL_WARNING 4 /* the level log has when none is given */

/*
** {======================================================
** Names
** =======================================================
*/

static const char *net_name (int net) {
  return net == NFPROTO_IPV6 ? "ip6" : "ip";
}

static const char *l4_name (int proto) {
  switch (proto) {
  case IPPROTO_TCP: return "tcp";
  case IPPROTO_UDP: return "udp";
  case IPPROTO_ICMP: return "icmp";
  case IPPROTO_ICMPV6: return "icmpv6";
  default: return "another protocol";
  }
}

static int key_is_port (enum nft_key k) {
  return nft_keys[k].type == NFTT_PORT;
}

static int is_sport (enum nft_key k) {
  return key_is_port(k) && nft_keys[k].offset == 0;
}

static int port_proto (enum nft_key k) {
  return nft_keys[k].l4;
}

void nft_op_init (struct nft_op *op) {
  memset(op, 0, sizeof *op);
  op->family = NFPROTO_IPV4;
  op->hook = -1;
  op->policy = -1;
}

/* Names missing from op (before it is checked) are left out. */
void nft_op_describe (const struct nft_op *op, char *buf, size_t len) {
  static const char *const verbs[] = {"add", "insert", "delete", "flush"};
  static const char *const objects[] = {"table", "chain", "rule", "ruleset"};
  const char *words[3] = {NULL, NULL, NULL};
  size_t used =
      (size_t)snprintf(buf, len, "%s %s", verbs[op->verb], objects[op->object]);
  if (op->object != NFTO_RULESET || op->family != NFPROTO_UNSPEC)
    words[0] = nft_family_name(op->family);
  if (op->object != NFTO_RULESET) words[1] = op->table;
  if (op->object == NFTO_CHAIN || op->object == NFTO_RULE) words[2] = op->chain;
  for (int i = 0; i < 3; i++)
    if (words[i] && used < len)
      used += (size_t)snprintf(buf + used, len - used, " %s", words[i]);
  if (op->object == NFTO_RULE && op->handle && used < len)
    snprintf(buf + used, len - used, " %s %llu",
             op->verb == NFTV_DELETE ? "handle" : "position",
             (unsigned long long)op->handle);
}

/* }====================================================== */

/*
** {======================================================
** Bytecode of one rule
** =======================================================
*/

/* What is known about the packet at this point of the rule, as nft's
 * protocol context: a match on ip needs the network protocol to be ipv4,
 * a port match needs the transport protocol. */
struct enc {
  struct nftnl_rule *r;
  int family; /* the table's */
  int net;    /* NFPROTO_IPV4/IPV6 once known, else 0 */
  int l4;     /* the transport protocol once known, else -1 */
  int oom;
};

static struct nftnl_expr *add_expr (struct enc *c, const char *name) {
  struct nftnl_expr *x = nftnl_expr_alloc(name);
  if (!x) {
    c->oom = 1;
    return NULL;
  }
  nftnl_rule_add_expr(c->r, x);
  return x;
}

static void put_meta (struct enc *c, uint32_t key) {
  struct nftnl_expr *x = add_expr(c, "meta");
  if (!x) return;
  nftnl_expr_set_u32(x, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(x, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

static void put_payload (struct enc *c, uint32_t base, uint32_t offset,
                         uint32_t len) {
  struct nftnl_expr *x = add_expr(c, "payload");
  if (!x) return;
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_LEN, len);
}

static void put_ct (struct enc *c, uint32_t key) {
  struct nftnl_expr *x = add_expr(c, "ct");
  if (!x) return;
  nftnl_expr_set_u32(x, NFTNL_EXPR_CT_KEY, key);
  nftnl_expr_set_u32(x, NFTNL_EXPR_CT_DREG, NFT_REG_1);
}

/* reg1 = the route type of the destination address (RTN_*) */
static void put_fib_daddr_type (struct enc *c) {
  struct nftnl_expr *x = add_expr(c, "fib");
  if (!x) return;
  nftnl_expr_set_u32(x, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
  nftnl_expr_set_u32(x, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
  nftnl_expr_set_u32(x, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
}

/* reg1 = the key's value, as its row says where it is; len overrides
   the length of a payload load (0: the row's). */
static void put_load (struct enc *c, const struct nft_key_desc *k,
                      uint32_t len) {
  switch (k->load) {
  case NFTL_META: put_meta(c, k->meta); break;
  case NFTL_PAYLOAD:
    put_payload(c, k->base, k->offset, len ? len : k->len);
    break;
  case NFTL_CT: put_ct(c, k->meta); break;
  case NFTL_FIB: put_fib_daddr_type(c); break;
  }
}

static void put_cmp (struct enc *c, int neq, const void *data, uint32_t len) {
  struct nftnl_expr *x = add_expr(c, "cmp");
  if (!x) return;
  nftnl_expr_set_u32(x, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(x, NFTNL_EXPR_CMP_OP, neq ? NFT_CMP_NEQ : NFT_CMP_EQ);
  nftnl_expr_set(x, NFTNL_EXPR_CMP_DATA, data, len);
}

/* reg1 = (reg1 & mask) ^ 0 */
static void put_mask (struct enc *c, const void *mask, uint32_t len) {
  static const unsigned char zero[16];
  struct nftnl_expr *x = add_expr(c, "bitwise");
  if (!x) return;
  nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
  nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
  nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
  nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_LEN, len);
  nftnl_expr_set(x, NFTNL_EXPR_BITWISE_MASK, mask, len);
  nftnl_expr_set(x, NFTNL_EXPR_BITWISE_XOR, zero, len);
}

static void put_imm_data (struct enc *c, uint32_t reg, const void *data,
                          uint32_t len) {
  struct nftnl_expr *x = add_expr(c, "immediate");
  if (!x) return;
  nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_DREG, reg);
  nftnl_expr_set(x, NFTNL_EXPR_IMM_DATA, data, len);
}

static void put_verdict (struct enc *c, int verdict, const char *chain) {
  struct nftnl_expr *x = add_expr(c, "immediate");
  if (!x) return;
  nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
  if (chain && nftnl_expr_set_str(x, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
    c->oom = 1;
}

/* The network protocol a match needs: implied by an ip or ip6 table,
 * matched first in inet (meta nfproto) and bridge (meta protocol). */
static int need_net (struct enc *c, int net, struct err *e) {
  if (c->net == net) return 0;
  if (c->net)
    return err_set(e, EINVAL, "conflicting protocols specified: %s vs. %s",
                   net_name(c->net), net_name(net));
  if (c->family == NFPROTO_INET) {
    uint8_t v = (uint8_t)net;
    put_meta(c, NFT_META_NFPROTO);
    put_cmp(c, 0, &v, sizeof v);
  } else {
    uint16_t v = htons(net == NFPROTO_IPV4 ? ETH_P_IP : ETH_P_IPV6);
    put_meta(c, NFT_META_PROTOCOL);
    put_cmp(c, 0, &v, sizeof v);
  }
  c->net = net;
  return 0;
}

/* The transport protocol a port match needs: meta l4proto, unless an
 * earlier match said it already. */
static int need_l4 (struct enc *c, int proto, struct err *e) {
  if (c->l4 == proto) return 0;
  if (c->l4 >= 0)
    return err_set(e, EINVAL, "conflicting protocols specified: %s vs. %s",
                   l4_name(c->l4), l4_name(proto));
  uint8_t v = (uint8_t)proto;
  put_meta(c, NFT_META_L4PROTO);
  put_cmp(c, 0, &v, sizeof v);
  c->l4 = proto;
  return 0;
}

/* An interface name is compared with its NUL padding to IFNAMSIZ, so
 * "eth0" does not match "eth01"; "eth*" compares only "eth". */
static void enc_ifname (struct enc *c, const struct nft_item *it) {
  char name[IFNAMSIZ] = {0};
  size_t len = strlen(it->text);
  int wildcard = len > 0 && it->text[len - 1] == '*';
  if (wildcard) len--;
  memcpy(name, it->text, len < IFNAMSIZ ? len : IFNAMSIZ);
  put_load(c, &nft_keys[it->key], 0);
  put_cmp(c, it->neq, name, wildcard ? (uint32_t)len : IFNAMSIZ);
}

/* An address or prefix: the whole address, a shorter load when the
 * prefix ends on a byte, else the whole address through a mask. The
 * host bits of a prefix are cleared, as nft does. */
static int enc_addr (struct enc *c, const struct nft_item *it, struct err *e) {
  const struct nft_key_desc *k = &nft_keys[it->key];
  uint32_t full = k->len;
  int plen = it->addr.prefixlen;
  unsigned char addr[16] = {0}, mask[16] = {0};
  if (need_net(c, k->net, e) < 0) return -1;
  if (plen < 0 || plen == (int)full * 8) {
    put_load(c, k, 0);
    put_cmp(c, it->neq, it->addr.bytes, full);
    return 0;
  }
  for (int i = 0; i < plen; i++)
    mask[i / 8] |= (unsigned char)(0x80 >> (i % 8));
  for (uint32_t i = 0; i < full; i++) addr[i] = it->addr.bytes[i] & mask[i];
  if (plen % 8 == 0 && plen > 0) {
    put_load(c, k, (uint32_t)plen / 8);
    put_cmp(c, it->neq, addr, (uint32_t)plen / 8);
  } else {
    put_load(c, k, 0);
    put_mask(c, mask, full);
    put_cmp(c, it->neq, addr, full);
  }
  return 0;
}

/* `meta l4proto tcp` and `ip protocol tcp` tell later port matches the
 * protocol; a "!=" tells nothing. */
static int enc_proto (struct enc *c, const struct nft_item *it, struct err *e) {
  const struct nft_key_desc *k = &nft_keys[it->key];
  uint8_t v = (uint8_t)it->value;
  if (k->net && need_net(c, k->net, e) < 0) return -1;
  put_load(c, k, 0);
  put_cmp(c, it->neq, &v, sizeof v);
  if (!it->neq) c->l4 = v;
  return 0;
}

/* Two "==" matches on the ports of one protocol, with no statement
 * between them, are one 4-byte load (nft's payload merge), at the place
 * of the source port match; the other one leaves only its dependency.
 * -1 when the match at i has no partner. */
static long port_partner (const struct nft_item *items, size_t n, size_t i) {
  const struct nft_item *it = &items[i];
  size_t lo = i, hi = i;
  if (it->kind != NFTI_MATCH || it->neq || !key_is_port(it->key)) return -1;
  while (lo > 0 && items[lo - 1].kind == NFTI_MATCH) lo--;
  while (hi + 1 < n && items[hi + 1].kind == NFTI_MATCH) hi++;
  for (size_t j = lo; j <= hi; j++) {
    const struct nft_item *o = &items[j];
    if (j != i && !o->neq && key_is_port(o->key) &&
        port_proto(o->key) == port_proto(it->key) &&
        is_sport(o->key) != is_sport(it->key))
      return (long)j;
  }
  return -1;
}

static int enc_port (struct enc *c, const struct nft_item *items, size_t n,
                     size_t i, struct err *e) {
  const struct nft_item *it = &items[i];
  long partner = port_partner(items, n, i);
  uint16_t ports[2] = {htons((uint16_t)it->value), 0};
  /* only pairs: of two source port matches, the first one pairs */
  if (partner >= 0 && port_partner(items, n, (size_t)partner) != (long)i)
    partner = -1;
  if (need_l4(c, port_proto(it->key), e) < 0) return -1;
  if (partner >= 0 && !is_sport(it->key)) return 0; /* merged later */
  if (partner >= 0) {
    ports[1] = htons((uint16_t)items[partner].value);
    put_payload(c, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 4);
    put_cmp(c, 0, ports, sizeof ports);
    return 0;
  }
  put_load(c, &nft_keys[it->key], 0);
  put_cmp(c, it->neq, ports, sizeof *ports);
  return 0;
}

/* ct state is a set of bits: "==" matches any of them (mask, then not
 * zero); "!=" one state is a plain compare. */
static void enc_ct_state (struct enc *c, const struct nft_item *it) {
  uint32_t bits = it->value, zero = 0;
  put_load(c, &nft_keys[it->key], 0);
  if (it->neq) {
    put_cmp(c, 1, &bits, sizeof bits);
    return;
  }
  put_mask(c, &bits, sizeof bits);
  put_cmp(c, 1, &zero, sizeof zero);
}

/* fib daddr type: the route type as a host order u32, compared whole.
 * It needs no protocol match, but the kernel has fib only for ip, ip6
 * and inet (in bridge it would say "No such file or directory"); it
 * takes it in every hook of those. */
static int enc_fib (struct enc *c, const struct nft_item *it, struct err *e) {
  uint32_t type = it->value;
  if (c->family != NFPROTO_IPV4 && c->family != NFPROTO_IPV6 &&
      c->family != NFPROTO_INET)
    return err_set(e, EOPNOTSUPP,
                   "fib daddr type is only valid in ip, ip6 and inet tables");
  put_load(c, &nft_keys[it->key], 0);
  put_cmp(c, it->neq, &type, sizeof type);
  return 0;
}

/* icmp type, icmpv6 type: one byte of the transport header, after the
 * transport protocol it belongs to (meta l4proto), itself after (in
 * inet) the network protocol, unless earlier matches said them. Like
 * nft, an ip6 table takes icmp type (and an ip table icmpv6 type). */
static int enc_icmp_type (struct enc *c, const struct nft_item *it,
                          struct err *e) {
  const struct nft_key_desc *k = &nft_keys[it->key];
  uint8_t type = (uint8_t)it->value;
  if (c->family == NFPROTO_BRIDGE)
    return err_set(e, EOPNOTSUPP,
                   "%s is only valid in ip, ip6 and inet tables here", k->name);
  if (c->l4 != k->l4) {
    if (c->l4 < 0 && c->family == NFPROTO_INET && need_net(c, k->net, e) < 0)
      return -1;
    if (need_l4(c, k->l4, e) < 0) return -1;
  }
  put_load(c, k, 0);
  put_cmp(c, it->neq, &type, sizeof type);
  return 0;
}

static int enc_match (struct enc *c, const struct nft_item *items, size_t n,
                      size_t i, struct err *e) {
  const struct nft_item *it = &items[i];
  if ((unsigned)it->key >= NFTK_COUNT)
    return err_set(e, EINVAL, "cannot add a match nslab does not know");
  switch (nft_keys[it->key].type) {
  case NFTT_IFNAME: enc_ifname(c, it); return 0;
  case NFTT_ADDR: return enc_addr(c, it, e);
  case NFTT_PROTO: return enc_proto(c, it, e);
  case NFTT_CT_STATE: enc_ct_state(c, it); return 0;
  case NFTT_FIB_TYPE: return enc_fib(c, it, e);
  case NFTT_PORT: return enc_port(c, items, n, i, e);
  case NFTT_ICMP_TYPE: return enc_icmp_type(c, it, e);
  default: return err_set(e, EINVAL, "cannot add a match nslab does not know");
  }
}

static void put_reject (struct enc *c, uint32_t type, uint8_t code) {
  struct nftnl_expr *x = add_expr(c, "reject");
  if (!x) return;
  nftnl_expr_set_u32(x, NFTNL_EXPR_REJECT_TYPE, type);
  nftnl_expr_set_u8(x, NFTNL_EXPR_REJECT_CODE, code);
}

/* reject with nothing after it: ICMP port unreachable in ip and ip6,
 * the family-neutral icmpx form where the packet may be either. With a
 * code of icmp or icmpv6, the network protocol it belongs to (matched
 * first in inet); with tcp reset, the transport protocol. nft's words
 * when it refuses. */
static int enc_reject (struct enc *c, const struct nft_item *it,
                       struct err *e) {
  int net = it->with == NFT_WITH_ICMP ? NFPROTO_IPV4 : NFPROTO_IPV6;
  uint8_t code = (uint8_t)it->value;
  switch (it->with) {
  case NFT_WITH_DEFAULT:
    if (c->family == NFPROTO_IPV4 || c->family == NFPROTO_IPV6)
      put_reject(c, NFT_REJECT_ICMP_UNREACH,
                 c->family == NFPROTO_IPV4 ? ICMP_PORT_UNREACH
                                           : ICMP6_DST_UNREACH_NOPORT);
    else
      put_reject(c, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_PORT_UNREACH);
    return 0;
  case NFT_WITH_TCP_RESET:
    if (c->family == NFPROTO_BRIDGE) break;
    if (c->l4 >= 0 && c->l4 != IPPROTO_TCP)
      return err_set(e, EINVAL, "you cannot use tcp reset with this protocol");
    if (need_l4(c, IPPROTO_TCP, e) < 0) return -1;
    put_reject(c, NFT_REJECT_TCP_RST, 0);
    return 0;
  case NFT_WITH_ICMP:
  case NFT_WITH_ICMPV6:
    if (c->family == NFPROTO_BRIDGE) break;
    if (c->family != NFPROTO_INET && c->family != net)
      return err_set(e, EINVAL, "conflicting protocols specified: ip vs ip6");
    if (c->family == NFPROTO_INET && need_net(c, net, e) < 0) return -1;
    put_reject(c, NFT_REJECT_ICMP_UNREACH, code);
    return 0;
  case NFT_WITH_ICMPX:
    if (c->family == NFPROTO_IPV4 || c->family == NFPROTO_IPV6)
      return err_set(e, EINVAL, "abstracted ICMP unreachable not supported");
    put_reject(c, NFT_REJECT_ICMPX_UNREACH, code);
    return 0;
  default: return err_set(e, EINVAL, "cannot add a reject nslab does not know");
  }
  return err_set(e, EOPNOTSUPP,
                 "reject with %s is only valid in ip, ip6 and inet tables here",
                 it->with == NFT_WITH_TCP_RESET ? "tcp reset"
                                                : nft_with_words[it->with]);
}

/* snat/dnat to ADDR[:PORT]: the address in register 1, the port in 2. */
static int enc_nat (struct enc *c, const struct nft_item *it, struct err *e) {
  int v6 = it->addr.family == AF_INET6;
  uint16_t port = htons((uint16_t)it->value);
  if ((c->family == NFPROTO_IPV4 && v6) || (c->family == NFPROTO_IPV6 && !v6))
    return err_set(e, EINVAL, "conflicting protocols specified: %s vs. %s",
                   net_name(c->family), v6 ? "ip6" : "ip");
  if (it->value && c->l4 < 0)
    return err_set(e, EINVAL,
                   "transport protocol mapping is only valid "
                   "after transport protocol match");
  put_imm_data(c, NFT_REG_1, it->addr.bytes, v6 ? 16 : 4);
  if (it->value) put_imm_data(c, NFT_REG_2, &port, sizeof port);
  struct nftnl_expr *x = add_expr(c, "nat");
  if (!x) return 0;
  nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_TYPE,
                     it->kind == NFTI_SNAT ? NFT_NAT_SNAT : NFT_NAT_DNAT);
  nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_FAMILY,
                     v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
  nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
  if (it->value) {
    nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
    nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
  }
  return 0;
}

/* Counters start at zero unless told otherwise; nft sends no attribute
   for a zero. */
static void enc_counter (struct enc *c, const struct nft_item *it) {
  struct nftnl_expr *x = add_expr(c, "counter");
  if (!x) return;
  if (it->packets) nftnl_expr_set_u64(x, NFTNL_EXPR_CTR_PACKETS, it->packets);
  if (it->bytes) nftnl_expr_set_u64(x, NFTNL_EXPR_CTR_BYTES, it->bytes);
}

static void enc_log (struct enc *c, const struct nft_item *it) {
  struct nftnl_expr *x = add_expr(c, "log");
  if (x && it->text[0] &&
      nftnl_expr_set_str(x, NFTNL_EXPR_LOG_PREFIX, it->text) < 0)
    c->oom = 1;
}

static int enc_item (struct enc *c, const struct nft_item *items, size_t n,
                     size_t i, struct err *e) {
  const struct nft_item *it = &items[i];
  switch (it->kind) {
  case NFTI_MATCH: return enc_match(c, items, n, i, e);
  case NFTI_COUNTER: enc_counter(c, it); return 0;
  case NFTI_ACCEPT: put_verdict(c, NF_ACCEPT, NULL); return 0;
  case NFTI_DROP: put_verdict(c, NF_DROP, NULL); return 0;
  case NFTI_RETURN: put_verdict(c, NFT_RETURN, NULL); return 0;
  case NFTI_JUMP: put_verdict(c, NFT_JUMP, it->text); return 0;
  case NFTI_GOTO: put_verdict(c, NFT_GOTO, it->text); return 0;
  case NFTI_REJECT: return enc_reject(c, it, e);
  case NFTI_MASQUERADE: add_expr(c, "masq"); return 0;
  case NFTI_SNAT:
  case NFTI_DNAT: return enc_nat(c, it, e);
  case NFTI_LOG: enc_log(c, it); return 0;
  default:
    return err_set(e, EINVAL, "cannot add an expression nslab does not know");
  }
}

/* Add the bytecode of items to r. */
static int encode_rule (struct nftnl_rule *r, int family,
                        const struct nft_item *items, size_t n, struct err *e) {
  struct enc c = {r, family, 0, -1, 0};
  if (family == NFPROTO_IPV4 || family == NFPROTO_IPV6) c.net = family;
  for (size_t i = 0; i < n; i++)
    if (enc_item(&c, items, n, i, e) < 0) return -1;
  return c.oom ? err_set(e, ENOMEM, NULL) : 0;
}

/* }====================================================== */

/*
** {======================================================
** Messages of a batch
** =======================================================
*/

/* A batch grows as messages are added; each is built in place, once
 * there is room for the largest it can be. */
struct batch {
  char *buf;
  size_t len, cap;
};

/* Room for a message with n items: each item is at most a few
   expressions of at most two names and 16 bytes of data. */
static size_t message_room (size_t n_items) {
  return 1024 + 2 * NFT_TEXT_MAX + n_items * (512 + NFT_TEXT_MAX);
}

static char *batch_reserve (struct batch *b, size_t room, struct err *e) {
  if (b->cap - b->len < room) {
    size_t cap = b->cap ? b->cap : 16384;
    while (cap - b->len < room) cap *= 2;
    char *grown = realloc(b->buf, cap);
    if (!grown) {
      err_set(e, ENOMEM, NULL);
      return NULL;
    }
    memset(grown + b->len, 0, cap - b->len);
    b->buf = grown;
    b->cap = cap;
  }
  return b->buf + b->len;
}

static void batch_commit (struct batch *b, const struct nlmsghdr *nlh) {
  b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct nlmsghdr *op_header (char *at, uint16_t type,
                                   const struct nft_op *op, uint16_t flags,
                                   uint32_t seq) {
  return nftnl_nlmsg_build_hdr(at, type, (uint16_t)op->family, flags, seq);
}

/* add table; delete table; flush ruleset (a delete with no name). */
static int msg_table (char *at, const struct nft_op *op, uint16_t flags,
                      uint32_t seq, struct err *e) {
  struct nftnl_table *t = nftnl_table_alloc();
  if (!t) return err_set(e, ENOMEM, NULL);
  if (op->table && nftnl_table_set_str(t, NFTNL_TABLE_NAME, op->table) < 0) {
    nftnl_table_free(t);
    return err_set(e, ENOMEM, NULL);
  }
  uint16_t type = op->verb == NFTV_ADD ? NFT_MSG_NEWTABLE : NFT_MSG_DELTABLE;
  if (op->verb == NFTV_ADD) flags |= NLM_F_CREATE;
  nftnl_table_nlmsg_build_payload(op_header(at, type, op, flags, seq), t);
  nftnl_table_free(t);
  return 0;
}

static int chain_fill (struct nftnl_chain *ch, const struct nft_op *op) {
  if (nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, op->table) < 0 ||
      nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, op->chain) < 0)
    return -1;
  if (op->verb != NFTV_ADD || op->hook < 0) return 0;
  nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, (uint32_t)op->hook);
  nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, op->priority);
  if (op->policy >= 0)
    nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, (uint32_t)op->policy);
  return nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE,
                             op->type ? op->type : "filter");
}

/* add chain; delete chain. */
static int msg_chain (char *at, const struct nft_op *op, uint16_t flags,
                      uint32_t seq, struct err *e) {
  struct nftnl_chain *ch = nftnl_chain_alloc();
  if (!ch) return err_set(e, ENOMEM, NULL);
  if (chain_fill(ch, op) < 0) {
    nftnl_chain_free(ch);
    return err_set(e, ENOMEM, NULL);
  }
  uint16_t type = op->verb == NFTV_ADD ? NFT_MSG_NEWCHAIN : NFT_MSG_DELCHAIN;
  if (op->verb == NFTV_ADD) flags |= NLM_F_CREATE;
  nftnl_chain_nlmsg_build_payload(op_header(at, type, op, flags, seq), ch);
  nftnl_chain_free(ch);
  return 0;
}

/* add/insert rule; delete rule; flush chain or table (a delete of every
 * rule there). */
static int msg_rule (char *at, const struct nft_op *op, uint16_t flags,
                     uint32_t seq, struct err *e) {
  struct nftnl_rule *r = nftnl_rule_alloc();
  uint16_t type = NFT_MSG_DELRULE;
  int rc = -1;
  if (!r) return err_set(e, ENOMEM, NULL);
  if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, op->table) < 0 ||
      (op->object != NFTO_TABLE &&
       nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, op->chain) < 0)) {
    err_set(e, ENOMEM, NULL);
    goto out;
  }
  if (op->verb == NFTV_ADD || op->verb == NFTV_INSERT) {
    type = NFT_MSG_NEWRULE;
    flags |= NLM_F_CREATE | (op->verb == NFTV_ADD ? NLM_F_APPEND : 0);
    if (op->handle) nftnl_rule_set_u64(r, NFTNL_RULE_POSITION, op->handle);
    if (encode_rule(r, op->family, op->items, op->n_items, e) < 0) goto out;
  } else if (op->handle) {
    nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, op->handle);
  }
  nftnl_rule_nlmsg_build_payload(op_header(at, type, op, flags, seq), r);
  rc = 0;
out:
  nftnl_rule_free(r);
  return rc;
}

/* One op's message at the end of the batch. Flushing a table or a chain
 * deletes rules; flushing the ruleset deletes tables. */
static int batch_add_op (struct batch *b, const struct nft_op *op,
                         uint16_t flags, uint32_t seq, struct err *e) {
  char *at = batch_reserve(b, message_room(op->n_items), e);
  int rc;
  if (!at) return -1;
  if (op->object == NFTO_RULESET)
    rc = msg_table(at, op, flags, seq, e);
  else if (op->object == NFTO_RULE || op->verb == NFTV_FLUSH)
    rc = msg_rule(at, op, flags, seq, e);
  else if (op->object == NFTO_TABLE)
    rc = msg_table(at, op, flags, seq, e);
  else
    rc = msg_chain(at, op, flags, seq, e);
  if (rc == 0) batch_commit(b, (struct nlmsghdr *)at);
  return rc;
}

/* }====================================================== */

/*
** {======================================================
** Sending a batch, reading its answers
** =======================================================
*/

/* What came back for a batch whose ops have sequence numbers first ..
 * first + n - 1 (the begin message has first - 1, the end first + n). */
struct answers {
  uint32_t first;
  size_t n;
  int acked;         /* the last op's ACK: the kernel read it all */
  size_t failed;     /* the first op that failed, n when none */
  uint64_t *handles; /* NULL, or n: the handles the kernel echoed */
  int code;
  char reason[sizeof((struct err *)0)->reason];
};

static int ext_ack_attr (const struct nlattr *attr, void *data) {
  const char **msg = data;
  if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
      mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
    *msg = mnl_attr_get_str(attr);
  return MNL_CB_OK;
}

/* The kernel's own words on an error, when it gave some. */
static const char *ext_ack_text (const struct nlmsghdr *nlh) {
  const struct nlmsgerr *ne = mnl_nlmsg_get_payload(nlh);
  const char *msg = NULL;
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return NULL;
  unsigned off = sizeof *ne;
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
    off += ne->msg.nlmsg_len - sizeof(struct nlmsghdr);
  if (off <= mnl_nlmsg_get_payload_len(nlh))
    mnl_attr_parse(nlh, off, ext_ack_attr, &msg);
  return msg && *msg ? msg : NULL;
}

/* Keep the error of the earliest op: later ones often only follow from
 * it (a rule in a chain that failed to be made). */
static void note_answer (struct answers *a, const struct nlmsghdr *nlh) {
  const struct nlmsgerr *ne = mnl_nlmsg_get_payload(nlh);
  uint32_t seq = nlh->nlmsg_seq;
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *ne)) return;
  if (seq < a->first - 1 || seq > a->first + a->n) return; /* not ours */
  size_t op = seq >= a->first && seq < a->first + a->n ? seq - a->first : a->n;
  if (ne->error == 0) {
    if (op == a->n - 1) a->acked = 1;
    return;
  }
  if (a->code && op >= a->failed) return;
  const char *why = ext_ack_text(nlh);
  a->failed = op;
  a->code = -ne->error;
  if (why)
    snprintf(a->reason, sizeof a->reason, "%s (%s)", strerror(a->code), why);
  else
    a->reason[0] = '\0';
}

/* An added rule as the kernel echoes it (NLM_F_ECHO): its handle. */
static void note_echo (struct answers *a, const struct nlmsghdr *nlh) {
  uint32_t seq = nlh->nlmsg_seq;
  if (nlh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE) ||
      seq < a->first || seq >= a->first + a->n)
    return;
  struct nftnl_rule *r = nftnl_rule_alloc();
  if (r && nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
      nftnl_rule_is_set(r, NFTNL_RULE_HANDLE))
    a->handles[seq - a->first] = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
  if (r) nftnl_rule_free(r);
}

/* The kernel handles a batch while it is being sent, so every answer is
 * queued by the time sendmsg returns: read until none is left. A queue
 * that overflowed (ENOBUFS) lost errors only, never the outcome. */
static int read_answers (struct nl *nl, struct answers *a, struct err *e) {
  char buf[32768]; /* the kernel's largest netlink datagram */
  int fd = mnl_socket_get_fd(nl->sock), overflow = 0;
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) {
      overflow = 1;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0) return err_errno(e);
    int left = (int)n;
    for (const struct nlmsghdr *nlh = (const void *)buf;
         mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_pid != nl->portid) continue;
      if (nlh->nlmsg_type == NLMSG_ERROR)
        note_answer(a, nlh);
      else if (a->handles)
        note_echo(a, nlh);
    }
  }
  if (a->code) return 0;
  if (overflow) {
    a->failed = a->n;
    a->code = ENOBUFS;
    snprintf(a->reason, sizeof a->reason, "%s (too many errors to list)",
             strerror(ENOBUFS));
  } else if (!a->acked) {
    a->failed = a->n;
    a->code = EPROTO;
    snprintf(a->reason, sizeof a->reason,
             "%s (the kernel did not acknowledge the batch)", strerror(EPROTO));
  }
  return 0;
}

/* A batch is one datagram: let the socket send one as large as this. */
static void fit_sndbuf (struct nl *nl, size_t len) {
  int size = (int)(len + 4096), fd = mnl_socket_get_fd(nl->sock);
  if (len < 65536) return;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

/* Only the last op asks for an ACK: errors come back anyway, and one ACK
 * per op could overflow the receive queue of a large batch. */
static int build_batch (struct nl *nl, struct batch *b,
                        const struct nft_op *ops, size_t n, uint32_t first,
                        int echo, size_t *failed, struct err *e) {
  char *at = batch_reserve(b, NLMSG_HDRLEN * 4, e);
  if (!at) return -1;
  batch_commit(b, nftnl_batch_begin(at, first - 1));
  for (size_t i = 0; i < n; i++) {
    uint16_t flags = i == n - 1 ? NLM_F_ACK : 0;
    if (echo && ops[i].object == NFTO_RULE &&
        (ops[i].verb == NFTV_ADD || ops[i].verb == NFTV_INSERT))
      flags |= NLM_F_ECHO;
    if (batch_add_op(b, &ops[i], flags, first + (uint32_t)i, e) < 0) {
      *failed = i;
      return -1;
    }
  }
  if (!(at = batch_reserve(b, NLMSG_HDRLEN * 4, e))) return -1;
  batch_commit(b, nftnl_batch_end(at, first + (uint32_t)n));
  nl->seq = first + (uint32_t)n;
  return 0;
}

/* A name the kernel keeps (NFT_NAME_MAXLEN with its NUL), checked before
   any message is built around it. */
static int name_ok (const char *what, const char *name, struct err *e) {
  if (!name || !*name) return err_set(e, EINVAL, "a %s name is required", what);
  if (strlen(name) > NFT_NAME_MAX)
    return err_set(e, ENAMETOOLONG, "%s name longer than %d bytes", what,
                   NFT_NAME_MAX);
  if (!nft_name_ok(name, strlen(name)))
    return err_set(e, EINVAL,
                   "%s name: letters, digits, '_', '.', '/' and '-' only",
                   what);
  return 0;
}

static int in_list (const char *const *names, const char *name) {
  for (; *names; names++)
    if (!strcmp(*names, name)) return 1;
  return 0;
}

/* What the messages of op hold, within the bounds they are built for. */
static int check_op (const struct nft_op *op, struct err *e) {
  if (op->object == NFTO_RULESET) return 0;
  if (name_ok("table", op->table, e) < 0) return -1;
  if (op->object == NFTO_TABLE) return 0;
  if (name_ok("chain", op->chain, e) < 0) return -1;
  if (op->type && !in_list(nft_chain_types, op->type))
    return err_set(e, EINVAL, "unknown chain type \"%.32s\"", op->type);
  for (size_t i = 0; i < op->n_items; i++) {
    const struct nft_item *it = &op->items[i];
    if ((unsigned)it->kind >= NFTI_UNKNOWN ||
        (it->kind == NFTI_MATCH && (unsigned)it->key >= NFTK_COUNT))
      return err_set(e, EINVAL, "cannot add an expression nslab does not know");
    if (memchr(it->text, '\0', sizeof it->text) == NULL)
      return err_set(e, EINVAL, "%s: text not terminated",
                     nft_stmts[it->kind].name);
    if ((it->kind == NFTI_JUMP || it->kind == NFTI_GOTO) &&
        name_ok("chain", it->text, e) < 0)
      return -1;
    if (it->kind == NFTI_LOG && !nft_log_prefix_ok(it->text, strlen(it->text)))
      return err_set(
          e, EINVAL,
          "log prefix: at most %d bytes of printable text without '\"'",
          NFT_LOG_PREFIX_MAX);
    /* a second == match of the transport protocol is dropped or kept
       by nft depending on what follows (found by fuzz/nft_text_fuzz.c) */
    for (size_t j = 0; it->kind == NFTI_MATCH && !it->neq && j < i; j++)
      if (op->items[j].kind == NFTI_MATCH && !op->items[j].neq &&
          nft_keys[op->items[j].key].type == NFTT_PROTO &&
          nft_keys[it->key].type == NFTT_PROTO)
        return err_set(e, EINVAL,
                       "%s: the transport protocol is matched already",
                       nft_keys[it->key].name);
    /* nft merges port loads in ways that depend on their order when a
       port is matched twice (found by fuzz/nft_text_fuzz.c); such a rule
       is redundant or never matches anyway */
    for (size_t j = 0; it->kind == NFTI_MATCH && !it->neq && j < i; j++)
      if (op->items[j].kind == NFTI_MATCH && !op->items[j].neq &&
          op->items[j].key == it->key && nft_keys[it->key].type == NFTT_PORT)
        return err_set(e, EINVAL, "%s: more than one == match in a rule",
                       nft_keys[it->key].name);
    if (it->kind == NFTI_MATCH && nft_keys[it->key].type == NFTT_IFNAME) {
      size_t len = strlen(it->text);
      if (len && it->text[len - 1] == '*') len--;
      if (!nft_ifname_ok(it->text, len))
        return err_set(e, EINVAL, "%s \"%.20s\": not an interface name",
                       nft_keys[it->key].name, it->text);
    }
  }
  return 0;
}

int nft_apply (struct nl *nl, const struct nft_op *ops, size_t n,
               size_t *failed, struct err *e) {
  return nft_apply_echo(nl, ops, n, failed, NULL, e);
}

int nft_apply_echo (struct nl *nl, const struct nft_op *ops, size_t n,
                    size_t *failed, uint64_t *handles, struct err *e) {
  struct batch b = {NULL, 0, 0};
  struct answers a;
  e->code = 0;
  e->reason[0] = '\0';
  *failed = n;
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++)
    if (check_op(&ops[i], e) < 0) {
      *failed = i;
      return -1;
    }
  memset(&a, 0, sizeof a);
  a.first = nl->seq + 2;
  a.n = n;
  a.failed = n;
  /* echoes of a large batch could overflow the receive queue */
  if (handles && n <= NFT_ECHO_MAX) {
    memset(handles, 0, n * sizeof *handles);
    a.handles = handles;
  }
  int rc = build_batch(nl, &b, ops, n, a.first, a.handles != NULL, failed, e);
  if (rc == 0) {
    fit_sndbuf(nl, b.len);
    if (mnl_socket_sendto(nl->sock, b.buf, b.len) < 0)
      rc = err_errno(e);
    else
      rc = read_answers(nl, &a, e);
  }
  free(b.buf);
  if (rc < 0 || !a.code) return rc;
  *failed = a.failed;
  if (a.reason[0]) return err_set(e, a.code, "%s", a.reason);
  return err_set(e, a.code, NULL);
}

/* }====================================================== */

/*
** {======================================================
** Reading bytecode back into items
** =======================================================
*/

/* Register 1 holds what the last load put there; a compare then says
 * what the match is. Data registers 1 and 2 hold what snat/dnat read. */
struct dec {
  int family, net, net_pending;
  int l4;       /* the transport protocol once a match said it */
  long l4_item; /* the item that said it: nft's implicit dependency
                   of a port match, dropped when one follows */
  enum { LOAD_NONE, LOAD_META, LOAD_PAYLOAD, LOAD_CT, LOAD_FIB } load;
  uint32_t key, base, offset, len;
  int masked;
  unsigned char mask[16];
  unsigned char imm[3][16];
  uint32_t imm_len[3];
  struct nft_item *items;
  size_t n, cap;
  int oom;
};

enum { DEC_OK, DEC_UNKNOWN };

static struct nft_item *dec_item (struct dec *d, enum nft_item_kind kind) {
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 8;
    struct nft_item *grown = realloc(d->items, cap * sizeof *grown);
    if (!grown) {
      d->oom = 1;
      return NULL;
    }
    d->items = grown;
    d->cap = cap;
  }
  struct nft_item *it = &d->items[d->n++];
  memset(it, 0, sizeof *it);
  it->kind = kind;
  it->addr.prefixlen = -1;
  /* a protocol match before a statement guards the statement too: nft
     keeps it (found by fuzz/nft_rule_fuzz.c) */
  if (kind != NFTI_MATCH) d->l4_item = -1;
  return it;
}

static struct nft_item *dec_match (struct dec *d, enum nft_key key, int neq) {
  struct nft_item *it = dec_item(d, NFTI_MATCH);
  if (it) {
    it->key = key;
    it->neq = neq;
  }
  return it;
}

static int is_reg (const struct nftnl_expr *x, uint16_t attr, uint32_t reg) {
  return nftnl_expr_is_set(x, attr) && nftnl_expr_get_u32(x, attr) == reg;
}

static int dec_meta (struct dec *d, const struct nftnl_expr *x) {
  if (!is_reg(x, NFTNL_EXPR_META_DREG, NFT_REG_1)) return DEC_UNKNOWN;
  d->load = LOAD_META;
  d->key = nftnl_expr_get_u32(x, NFTNL_EXPR_META_KEY);
  d->masked = 0;
  return DEC_OK;
}

static int dec_payload (struct dec *d, const struct nftnl_expr *x) {
  if (!is_reg(x, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1)) return DEC_UNKNOWN;
  d->load = LOAD_PAYLOAD;
  d->base = nftnl_expr_get_u32(x, NFTNL_EXPR_PAYLOAD_BASE);
  d->offset = nftnl_expr_get_u32(x, NFTNL_EXPR_PAYLOAD_OFFSET);
  d->len = nftnl_expr_get_u32(x, NFTNL_EXPR_PAYLOAD_LEN);
  d->masked = 0;
  return DEC_OK;
}

static int dec_ct (struct dec *d, const struct nftnl_expr *x) {
  if (!is_reg(x, NFTNL_EXPR_CT_DREG, NFT_REG_1) ||
      nftnl_expr_is_set(x, NFTNL_EXPR_CT_DIR) ||
      nftnl_expr_get_u32(x, NFTNL_EXPR_CT_KEY) != NFT_CT_STATE)
    return DEC_UNKNOWN;
  d->load = LOAD_CT;
  d->masked = 0;
  return DEC_OK;
}

/* Only the fib nft makes for `fib daddr type`. */
static int dec_fib (struct dec *d, const struct nftnl_expr *x) {
  if (!is_reg(x, NFTNL_EXPR_FIB_DREG, NFT_REG_1) ||
      nftnl_expr_get_u32(x, NFTNL_EXPR_FIB_RESULT) != NFT_FIB_RESULT_ADDRTYPE ||
      nftnl_expr_get_u32(x, NFTNL_EXPR_FIB_FLAGS) != NFTA_FIB_F_DADDR)
    return DEC_UNKNOWN;
  d->load = LOAD_FIB;
  d->masked = 0;
  return DEC_OK;
}

/* Only a mask: (reg1 & mask) ^ 0 */
static int dec_bitwise (struct dec *d, const struct nftnl_expr *x) {
  uint32_t mlen = 0, xlen = 0;
  const unsigned char *mask = nftnl_expr_get(x, NFTNL_EXPR_BITWISE_MASK, &mlen);
  const unsigned char * xor = nftnl_expr_get(x, NFTNL_EXPR_BITWISE_XOR, &xlen);
  if (d->load == LOAD_NONE || d->masked || !mask || !xor || mlen != xlen ||
      mlen > sizeof d->mask || !is_reg(x, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1) ||
      !is_reg(x, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1) ||
      (nftnl_expr_is_set(x, NFTNL_EXPR_BITWISE_OP) &&
       nftnl_expr_get_u32(x, NFTNL_EXPR_BITWISE_OP) != NFT_BITWISE_BOOL))
    return DEC_UNKNOWN;
  for (uint32_t i = 0; i < xlen; i++)
    if (xor[i]) return DEC_UNKNOWN;
  memcpy(d->mask, mask, mlen);
  d->masked = 1;
  return DEC_OK;
}

/* iifname/oifname: the name padded with NULs, or a prefix ("eth*"). */
static int dec_ifname (struct dec *d, enum nft_key key,
                       const unsigned char *data, uint32_t len, int neq) {
  size_t n = strnlen((const char *)data, len);
  if (d->masked || len > IFNAMSIZ || n == 0 || n == IFNAMSIZ ||
      (len < IFNAMSIZ && n != len))
    return DEC_UNKNOWN;
  /* only what reads back as the same name: bytes after the NUL would
     never match, and a '*' or '"' would print as something else */
  for (size_t i = n; i < len; i++)
    if (data[i]) return DEC_UNKNOWN;
  if (!nft_ifname_ok((const char *)data, n)) return DEC_UNKNOWN;
  struct nft_item *it = dec_match(d, key, neq);
  if (!it) return DEC_OK;
  memcpy(it->text, data, n);
  if (len < IFNAMSIZ) it->text[n] = '*';
  return DEC_OK;
}

/* meta l4proto and ip protocol: a match, and maybe the dependency of a
 * port match that follows. */
static int dec_proto (struct dec *d, enum nft_key key,
                      const unsigned char *data, uint32_t len, int neq) {
  if (d->masked || len != 1) return DEC_UNKNOWN;
  struct nft_item *it = dec_match(d, key, neq);
  if (!it) return DEC_OK;
  it->value = data[0];
  if (!neq) {
    /* nft prints a match on the network header's protocol field as a
       dependency only where it is the one nft makes, in ip tables; in
       inet and bridge that is meta l4proto */
    d->l4 = data[0];
    d->l4_item = nft_keys[key].net && d->family != nft_keys[key].net
                     ? -1
                     : (long)(d->n - 1);
  }
  return DEC_OK;
}

/* meta nfproto (inet) and meta protocol (bridge, and netdev: its
 * tables are the nft CLI's, read here) equal to ip or ip6: nft's
 * dependency of the address match that must follow. */
static int dec_net_dependency (struct dec *d, const unsigned char *data,
                               uint32_t len, int neq) {
  if (neq || d->masked || d->net_pending) return DEC_UNKNOWN;
  if (d->key == NFT_META_NFPROTO && d->family == NFPROTO_INET && len == 1 &&
      (data[0] == NFPROTO_IPV4 || data[0] == NFPROTO_IPV6)) {
    d->net = data[0];
  } else if (d->key == NFT_META_PROTOCOL &&
             (d->family == NFPROTO_BRIDGE || d->family == NFPROTO_NETDEV) &&
             len == 2) {
    uint16_t v;
    memcpy(&v, data, 2);
    if (ntohs(v) == ETH_P_IP)
      d->net = NFPROTO_IPV4;
    else if (ntohs(v) == ETH_P_IPV6)
      d->net = NFPROTO_IPV6;
    else
      return DEC_UNKNOWN;
  } else {
    return DEC_UNKNOWN;
  }
  d->net_pending = 1;
  return DEC_OK;
}

/* The key whose row loads what register 1 holds: a meta key, or a
 * payload at an offset of the header of the network or transport
 * protocol known (len 0: any length, a prefix). -1 when none. */
static int key_of_load (const struct dec *d, int net, int l4) {
  for (int k = 0; k < NFTK_COUNT; k++) {
    const struct nft_key_desc *r = &nft_keys[k];
    if (d->load == LOAD_META && r->load == NFTL_META && r->meta == d->key)
      return k;
    if (d->load == LOAD_PAYLOAD && r->load == NFTL_PAYLOAD &&
        r->base == d->base && r->offset == d->offset &&
        (r->base == NFT_PAYLOAD_TRANSPORT_HEADER ? r->l4 == l4 : r->net == net))
      return k;
  }
  return -1;
}

static int dec_cmp_meta (struct dec *d, const unsigned char *data, uint32_t len,
                         int neq) {
  int k = key_of_load(d, 0, 0);
  if (k < 0) return dec_net_dependency(d, data, len, neq);
  switch (nft_keys[k].type) {
  case NFTT_IFNAME: return dec_ifname(d, (enum nft_key)k, data, len, neq);
  case NFTT_PROTO: return dec_proto(d, (enum nft_key)k, data, len, neq);
  default: return DEC_UNKNOWN;
  }
}

/* The prefix length of a mask of leading ones; -1 when it is not one. */
static int mask_prefix (const unsigned char *mask, uint32_t len) {
  int plen = 0;
  uint32_t i = 0;
  for (; i < len && mask[i] == 0xff; i++) plen += 8;
  if (i < len) {
    unsigned char m = mask[i++];
    while (m & 0x80) {
      plen++;
      m = (unsigned char)(m << 1);
    }
    if (m) return -1;
  }
  for (; i < len; i++)
    if (mask[i]) return -1;
  return plen;
}

/* An address: a load of the whole address, of its first bytes (a byte
 * aligned prefix), or of the whole through a mask. */
static int dec_addr (struct dec *d, enum nft_key key, uint32_t full,
                     const unsigned char *data, uint32_t len, int neq) {
  int plen = (int)len * 8;
  if (len != d->len || len == 0 || len > full) return DEC_UNKNOWN;
  if (d->masked && (len != full || (plen = mask_prefix(d->mask, full)) < 0))
    return DEC_UNKNOWN;
  /* bits outside the mask can never match: no prefix says that */
  for (uint32_t i = 0; d->masked && i < len; i++)
    if (data[i] & ~d->mask[i]) return DEC_UNKNOWN;
  struct nft_item *it = dec_match(d, key, neq);
  if (!it) return DEC_OK;
  it->addr.family = full == 4 ? AF_INET : AF_INET6;
  memcpy(it->addr.bytes, data, len);
  it->addr.prefixlen = plen == (int)full * 8 ? -1 : plen;
  return DEC_OK;
}

static int dec_cmp_network (struct dec *d, const unsigned char *data,
                            uint32_t len, int neq) {
  int net = d->family == NFPROTO_IPV4 || d->family == NFPROTO_IPV6 ? d->family
                                                                   : d->net;
  int k = net ? key_of_load(d, net, 0) : -1;
  d->net_pending = 0;
  if (k < 0) return DEC_UNKNOWN;
  if (nft_keys[k].type == NFTT_PROTO && d->len == nft_keys[k].len)
    return dec_proto(d, (enum nft_key)k, data, len, neq);
  if (nft_keys[k].type == NFTT_ADDR)
    return dec_addr(d, (enum nft_key)k, nft_keys[k].len, data, len, neq);
  return DEC_UNKNOWN;
}

/* The match that said the transport protocol, when nft put it there
 * only for what follows and prints no more. */
static void drop_l4_dependency (struct dec *d) {
  if (d->l4_item < 0) return;
  size_t i = (size_t)d->l4_item;
  memmove(&d->items[i], &d->items[i + 1], (d->n - i - 1) * sizeof *d->items);
  d->n--;
  d->l4_item = -1;
}

/* icmp type, icmpv6 type: its protocol's dependency goes, and in inet
 * the network protocol's before it (meta nfproto) too. */
static int dec_icmp_type (struct dec *d, enum nft_key k,
                          const unsigned char *data, uint32_t len, int neq) {
  if (len != 1 || d->len != 1) return DEC_UNKNOWN;
  if (d->net_pending && d->net == nft_keys[k].net) d->net_pending = 0;
  drop_l4_dependency(d);
  struct nft_item *it = dec_match(d, k, neq);
  if (it) it->value = data[0];
  return DEC_OK;
}

/* A port, or both (nft's merged load of source and destination port),
 * or an ICMP type: the protocol comes from the match before, which nft
 * put there only for this one and prints no more. */
static int dec_cmp_transport (struct dec *d, const unsigned char *data,
                              uint32_t len, int neq) {
  int both = d->len == 4 && d->offset == 0, k = key_of_load(d, 0, d->l4);
  if (!d->masked && d->l4 > 0 && k >= 0 && nft_keys[k].type == NFTT_ICMP_TYPE)
    return dec_icmp_type(d, (enum nft_key)k, data, len, neq);
  if (d->masked || len != d->len || d->l4 <= 0 || k < 0 ||
      nft_keys[k].type != NFTT_PORT || !(both ? !neq : d->len == 2))
    return DEC_UNKNOWN;
  drop_l4_dependency(d);
  for (uint32_t off = 0; off < len; off += 2) {
    struct dec at = *d;
    at.offset = d->offset + off;
    int key = key_of_load(&at, 0, d->l4);
    uint16_t port;
    if (key < 0) break;
    memcpy(&port, data + off, 2);
    struct nft_item *it = dec_match(d, (enum nft_key)key, neq);
    if (it) it->value = ntohs(port);
  }
  return DEC_OK;
}

static int known_ct_bits (uint32_t bits) {
  return bits && !(bits & ~nft_ct_all());
}

/* ct state: "==" is (state & bits) != 0; "!=" one state a plain compare. */
static int dec_cmp_ct (struct dec *d, const unsigned char *data, uint32_t len,
                       int neq) {
  uint32_t v, bits;
  if (len != 4 || !neq) return DEC_UNKNOWN;
  memcpy(&v, data, 4);
  if (d->masked) {
    memcpy(&bits, d->mask, 4);
    if (v != 0 || !known_ct_bits(bits)) return DEC_UNKNOWN;
    neq = 0;
  } else {
    if (!known_ct_bits(v) || (v & (v - 1))) return DEC_UNKNOWN;
    bits = v;
  }
  struct nft_item *it = dec_match(d, NFTK_CT_STATE, neq);
  if (it) it->value = bits;
  return DEC_OK;
}

/* fib daddr type: one route type nft has a name for. */
static int dec_cmp_fib (struct dec *d, const unsigned char *data, uint32_t len,
                        int neq) {
  uint32_t type;
  if (d->masked || len != 4) return DEC_UNKNOWN;
  memcpy(&type, data, 4);
  if (type >= NFT_FIB_TYPE_COUNT) return DEC_UNKNOWN;
  struct nft_item *it = dec_match(d, NFTK_FIB_DADDR_TYPE, neq);
  if (it) it->value = type;
  return DEC_OK;
}

static int dec_cmp (struct dec *d, const struct nftnl_expr *x) {
  uint32_t len = 0, op = nftnl_expr_get_u32(x, NFTNL_EXPR_CMP_OP);
  const unsigned char *data = nftnl_expr_get(x, NFTNL_EXPR_CMP_DATA, &len);
  int rc = DEC_UNKNOWN, neq = op == NFT_CMP_NEQ;
  if (!data || !is_reg(x, NFTNL_EXPR_CMP_SREG, NFT_REG_1) ||
      (op != NFT_CMP_EQ && op != NFT_CMP_NEQ))
    return DEC_UNKNOWN;
  if (d->load == LOAD_META)
    rc = dec_cmp_meta(d, data, len, neq);
  else if (d->load == LOAD_CT)
    rc = dec_cmp_ct(d, data, len, neq);
  else if (d->load == LOAD_FIB)
    rc = dec_cmp_fib(d, data, len, neq);
  else if (d->load == LOAD_PAYLOAD && d->base == NFT_PAYLOAD_NETWORK_HEADER)
    rc = dec_cmp_network(d, data, len, neq);
  else if (d->load == LOAD_PAYLOAD && d->base == NFT_PAYLOAD_TRANSPORT_HEADER)
    rc = dec_cmp_transport(d, data, len, neq);
  d->load = LOAD_NONE;
  return rc;
}

static int dec_verdict (struct dec *d, const struct nftnl_expr *x) {
  int v = (int)nftnl_expr_get_u32(x, NFTNL_EXPR_IMM_VERDICT);
  const char *chain = nftnl_expr_get_str(x, NFTNL_EXPR_IMM_CHAIN);
  struct nft_item *it;
  switch (v) {
  case NF_ACCEPT: dec_item(d, NFTI_ACCEPT); return DEC_OK;
  case NF_DROP: dec_item(d, NFTI_DROP); return DEC_OK;
  case NFT_RETURN: dec_item(d, NFTI_RETURN); return DEC_OK;
  case NFT_JUMP:
  case NFT_GOTO:
    if (!chain || !nft_name_ok(chain, strlen(chain))) return DEC_UNKNOWN;
    if ((it = dec_item(d, v == NFT_JUMP ? NFTI_JUMP : NFTI_GOTO)))
      memcpy(it->text, chain, strlen(chain) + 1);
    return DEC_OK;
  default: return DEC_UNKNOWN;
  }
}

/* A verdict, or data for the NAT statement that follows. */
static int dec_immediate (struct dec *d, const struct nftnl_expr *x) {
  uint32_t reg = nftnl_expr_get_u32(x, NFTNL_EXPR_IMM_DREG), len = 0;
  if (reg == NFT_REG_VERDICT) return dec_verdict(d, x);
  const void *data = nftnl_expr_get(x, NFTNL_EXPR_IMM_DATA, &len);
  if ((reg != NFT_REG_1 && reg != NFT_REG_2) || !data || len > 16 ||
      d->imm_len[reg])
    return DEC_UNKNOWN;
  memcpy(d->imm[reg], data, len);
  d->imm_len[reg] = len;
  return DEC_OK;
}

/* Absent, or the register given (the kernel reports a range's end
   equal to its start when there was none). */
static int same_reg (const struct nftnl_expr *x, uint16_t attr, uint32_t reg) {
  return !nftnl_expr_is_set(x, attr) || nftnl_expr_get_u32(x, attr) == reg;
}

static int dec_nat (struct dec *d, const struct nftnl_expr *x) {
  uint32_t type = nftnl_expr_get_u32(x, NFTNL_EXPR_NAT_TYPE);
  uint32_t family = nftnl_expr_get_u32(x, NFTNL_EXPR_NAT_FAMILY);
  uint32_t alen = family == NFPROTO_IPV4 ? 4 : family == NFPROTO_IPV6 ? 16 : 0;
  int port = nftnl_expr_is_set(x, NFTNL_EXPR_NAT_REG_PROTO_MIN);
  uint32_t flags = nftnl_expr_is_set(x, NFTNL_EXPR_NAT_FLAGS)
                       ? nftnl_expr_get_u32(x, NFTNL_EXPR_NAT_FLAGS)
                       : 0;
  uint32_t allowed =
      NF_NAT_RANGE_MAP_IPS | (port ? NF_NAT_RANGE_PROTO_SPECIFIED : 0);
  if ((type != NFT_NAT_SNAT && type != NFT_NAT_DNAT) || !alen ||
      !is_reg(x, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1) ||
      d->imm_len[1] != alen ||
      !same_reg(x, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1) ||
      !same_reg(x, NFTNL_EXPR_NAT_REG_PROTO_MAX, NFT_REG_2) ||
      (flags & ~allowed) ||
      (port && (!is_reg(x, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2) ||
                d->imm_len[2] != 2)) ||
      (!port && d->imm_len[2]))
    return DEC_UNKNOWN;
  struct nft_item *it =
      dec_item(d, type == NFT_NAT_SNAT ? NFTI_SNAT : NFTI_DNAT);
  if (it) {
    uint16_t p = 0;
    it->addr.family = alen == 4 ? AF_INET : AF_INET6;
    memcpy(it->addr.bytes, d->imm[1], alen);
    if (port) memcpy(&p, d->imm[2], 2);
    it->value = ntohs(p);
  }
  d->imm_len[1] = d->imm_len[2] = 0;
  return DEC_OK;
}

static int dec_counter (struct dec *d, const struct nftnl_expr *x) {
  struct nft_item *it = dec_item(d, NFTI_COUNTER);
  if (it) {
    it->packets = nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_PACKETS);
    it->bytes = nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_BYTES);
  }
  return DEC_OK;
}

static int is_zero (const struct nftnl_expr *x, uint16_t attr) {
  return !nftnl_expr_is_set(x, attr) || nftnl_expr_get_u32(x, attr) == 0;
}

static int dec_masq (struct dec *d, const struct nftnl_expr *x) {
  if (!is_zero(x, NFTNL_EXPR_MASQ_FLAGS) ||
      nftnl_expr_is_set(x, NFTNL_EXPR_MASQ_REG_PROTO_MIN) ||
      nftnl_expr_is_set(x, NFTNL_EXPR_MASQ_REG_PROTO_MAX))
    return DEC_UNKNOWN;
  dec_item(d, NFTI_MASQUERADE);
  return DEC_OK;
}

/* What a reject answers with, as nft reads it back (see enc_reject):
 * its family's port unreachable is plain reject; an icmp or icmpv6 code
 * in inet needs the network protocol known, whose dependency it takes; a
 * tcp reset needs tcp, whose dependency nft prints only in inet. */
static int dec_reject (struct dec *d, const struct nftnl_expr *x) {
  uint32_t type = nftnl_expr_get_u32(x, NFTNL_EXPR_REJECT_TYPE);
  uint8_t code = nftnl_expr_get_u8(x, NFTNL_EXPR_REJECT_CODE);
  int single = d->family == NFPROTO_IPV4 || d->family == NFPROTO_IPV6;
  enum nft_with with;
  if (type == NFT_REJECT_TCP_RST) {
    if (code != 0 || d->l4 != IPPROTO_TCP || d->family == NFPROTO_BRIDGE)
      return DEC_UNKNOWN;
    if (single) drop_l4_dependency(d);
    with = NFT_WITH_TCP_RESET;
  } else if (type == NFT_REJECT_ICMP_UNREACH) {
    int net = single ? d->family : d->family == NFPROTO_INET ? d->net : 0;
    if (!net) return DEC_UNKNOWN;
    d->net_pending = 0;
    with = net == NFPROTO_IPV4 ? NFT_WITH_ICMP : NFT_WITH_ICMPV6;
    if (single && code == (net == NFPROTO_IPV4 ? ICMP_PORT_UNREACH
                                               : ICMP6_DST_UNREACH_NOPORT))
      with = NFT_WITH_DEFAULT;
  } else if (type == NFT_REJECT_ICMPX_UNREACH && !single) {
    with = code == NFT_REJECT_ICMPX_PORT_UNREACH ? NFT_WITH_DEFAULT
                                                 : NFT_WITH_ICMPX;
  } else {
    return DEC_UNKNOWN;
  }
  struct nft_item *it = dec_item(d, NFTI_REJECT);
  if (it) {
    it->with = with;
    it->value = with == NFT_WITH_DEFAULT ? 0 : code;
  }
  return DEC_OK;
}

/* log [prefix "..."]: the kernel reports the default level too. */
static int dec_log (struct dec *d, const struct nftnl_expr *x) {
  const char *prefix = nftnl_expr_get_str(x, NFTNL_EXPR_LOG_PREFIX);
  if (nftnl_expr_is_set(x, NFTNL_EXPR_LOG_GROUP) ||
      !is_zero(x, NFTNL_EXPR_LOG_FLAGS) ||
      nftnl_expr_is_set(x, NFTNL_EXPR_LOG_SNAPLEN) ||
      nftnl_expr_is_set(x, NFTNL_EXPR_LOG_QTHRESHOLD) ||
      (nftnl_expr_is_set(x, NFTNL_EXPR_LOG_LEVEL) &&
       nftnl_expr_get_u32(x, NFTNL_EXPR_LOG_LEVEL) != LOGLEVEL_WARNING) ||
      (prefix && strlen(prefix) > NFT_LOG_PREFIX_MAX))
    return DEC_UNKNOWN;
  if (prefix && !nft_log_prefix_ok(prefix, strlen(prefix))) return DEC_UNKNOWN;
  struct nft_item *it = dec_item(d, NFTI_LOG);
  if (it && prefix) memcpy(it->text, prefix, strlen(prefix) + 1);
  return DEC_OK;
}

static int dec_expr (struct dec *d, const struct nftnl_expr *x,
                     const char *name) {
  static const struct {
    const char *name;
    int (*decode)(struct dec *, const struct nftnl_expr *);
  } decoders[] = {{"meta", dec_meta}, {"payload", dec_payload},
                  {"ct", dec_ct},     {"bitwise", dec_bitwise},
                  {"cmp", dec_cmp},   {"immediate", dec_immediate},
                  {"nat", dec_nat},   {"counter", dec_counter},
                  {"masq", dec_masq}, {"reject", dec_reject},
                  {"log", dec_log},   {"fib", dec_fib}};
  for (size_t i = 0; i < sizeof decoders / sizeof *decoders; i++)
    if (!strcmp(decoders[i].name, name)) {
      /* A load nothing compared, or data no NAT read, is not ours. */
      if (d->load != LOAD_NONE && strcmp(name, "cmp") &&
          strcmp(name, "bitwise"))
        return DEC_UNKNOWN;
      return decoders[i].decode(d, x);
    }
  return DEC_UNKNOWN;
}

/* What a rule does not read as: the load a compare was about ("meta"
   for meta mark), else the expression itself. */
static const char *load_name (int load, const char *name) {
  if (!strcmp(name, "cmp") || !strcmp(name, "bitwise") || !*name)
    return load == LOAD_META      ? "meta"
           : load == LOAD_CT      ? "ct"
           : load == LOAD_PAYLOAD ? "payload"
           : load == LOAD_FIB     ? "fib"
                                  : name;
  return name;
}

/* The whole rule as one NFTI_UNKNOWN item naming the expression. */
static int dec_unknown (struct dec *d, const char *name) {
  d->n = 0;
  struct nft_item *it = dec_item(d, NFTI_UNKNOWN);
  if (it) snprintf(it->text, sizeof it->text, "%s", name);
  return 0;
}

static int decode_exprs (struct dec *d, const struct nftnl_rule *r) {
  struct nftnl_expr_iter *iter = nftnl_expr_iter_create(r);
  struct nftnl_expr *x;
  const char *unknown = NULL;
  if (!iter) return -1;
  while (!unknown && !d->oom && (x = nftnl_expr_iter_next(iter))) {
    const char *name = nftnl_expr_get_str(x, NFTNL_EXPR_NAME);
    int load = d->load;
    if (dec_expr(d, x, name) == DEC_UNKNOWN) unknown = load_name(load, name);
  }
  if (!unknown && d->load != LOAD_NONE) unknown = load_name(d->load, "");
  if (!unknown && d->net_pending) unknown = "meta";
  if (!unknown && (d->imm_len[1] || d->imm_len[2])) unknown = "immediate";
  if (unknown && !d->oom) dec_unknown(d, unknown);
  nftnl_expr_iter_destroy(iter);
  return d->oom ? -1 : 0;
}

static void copy_text (char *dst, const char *src) {
  snprintf(dst, NFT_TEXT_MAX, "%s", src ? src : "");
}

/* libnftnl trusts what it parses: an attribute of a size it does not
 * expect makes it exit the process ("nf_tables kernel ABI is broken").
 * So the attributes it reads are checked here first (found by
 * fuzz/nft_rule_fuzz.c). */
static int exact (const struct nlattr *a, uint16_t len) {
  return mnl_attr_get_payload_len(a) == len;
}

static int name_attr (const struct nlattr *a, size_t max) {
  return mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
         mnl_attr_get_payload_len(a) <= max;
}

static int compat_attr_cb (const struct nlattr *a, void *data) {
  int *bad = data;
  if (!exact(a, 4)) *bad = 1;
  return MNL_CB_OK;
}

static int expr_attr_cb (const struct nlattr *a, void *data) {
  int *bad = data;
  uint16_t type = mnl_attr_get_type(a);
  if (type == NFTA_EXPR_NAME && !name_attr(a, 32)) *bad = 1;
  if (type == NFTA_EXPR_DATA && mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
    *bad = 1;
  return MNL_CB_OK;
}

static int list_attr_cb (const struct nlattr *a, void *data) {
  int *bad = data;
  if (mnl_attr_get_type(a) != NFTA_LIST_ELEM ||
      mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
      mnl_attr_parse_nested(a, expr_attr_cb, bad) < 0)
    *bad = 1;
  return MNL_CB_OK;
}

static int rule_attr_cb (const struct nlattr *a, void *data) {
  int *bad = data;
  switch (mnl_attr_get_type(a)) {
  case NFTA_RULE_TABLE:
  case NFTA_RULE_CHAIN:
    if (!name_attr(a, NFT_TEXT_MAX)) *bad = 1;
    break;
  case NFTA_RULE_HANDLE:
  case NFTA_RULE_POSITION:
    if (!exact(a, 8)) *bad = 1;
    break;
  case NFTA_RULE_ID:
  case NFTA_RULE_POSITION_ID:
  case NFTA_RULE_CHAIN_ID:
    if (!exact(a, 4)) *bad = 1;
    break;
  case NFTA_RULE_COMPAT:
    if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
        mnl_attr_parse_nested(a, compat_attr_cb, bad) < 0)
      *bad = 1;
    break;
  case NFTA_RULE_EXPRESSIONS:
    if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
        mnl_attr_parse_nested(a, list_attr_cb, bad) < 0)
      *bad = 1;
    break;
  default: break;
  }
  return MNL_CB_OK;
}

static int rule_msg_ok (const struct nlmsghdr *nlh) {
  int bad = 0;
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg))) return 0;
  if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), rule_attr_cb, &bad) < 0)
    return 0;
  return !bad;
}

int nft_rule_decode (const struct nlmsghdr *nlh, struct nft_rule_info *info,
                     struct err *e) {
  struct nftnl_rule *r = nftnl_rule_alloc();
  struct dec d;
  memset(info, 0, sizeof *info);
  if (!r) return err_set(e, ENOMEM, NULL);
  if (!rule_msg_ok(nlh) || nftnl_rule_nlmsg_parse(nlh, r) < 0) {
    nftnl_rule_free(r);
    return err_set(e, EBADMSG, "malformed nf_tables rule message");
  }
  memset(&d, 0, sizeof d);
  d.family = (int)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
  d.l4 = -1;
  d.l4_item = -1;
  info->family = d.family;
  copy_text(info->table, nftnl_rule_get_str(r, NFTNL_RULE_TABLE));
  copy_text(info->chain, nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
  info->handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
  int rc = decode_exprs(&d, r);
  nftnl_rule_free(r);
  if (rc < 0) {
    free(d.items);
    return err_set(e, ENOMEM, NULL);
  }
  info->items = d.items;
  info->n_items = d.n;
  return 0;
}

int nft_rule_bytecode (int family, const struct nft_item *items, size_t n,
                       char *buf, size_t len, struct err *e) {
  struct nftnl_rule *r = nftnl_rule_alloc();
  int rc = -1;
  if (!r) return err_set(e, ENOMEM, NULL);
  if (encode_rule(r, family, items, n, e) == 0) {
    rc = nftnl_rule_snprintf(buf, len, r, NFTNL_OUTPUT_DEFAULT, 0);
    if (rc < 0) err_set(e, EINVAL, "cannot print the bytecode");
  }
  nftnl_rule_free(r);
  return rc;
}

int nft_rule_canonical (int family, const struct nft_item *items, size_t n,
                        struct nft_item **out, size_t *n_out, struct err *e) {
  struct nftnl_rule *r = nftnl_rule_alloc();
  struct nft_op op;
  struct nft_rule_info info;
  char *buf = NULL;
  int rc = -1;
  *out = NULL;
  *n_out = 0;
  nft_op_init(&op);
  op.object = NFTO_RULE;
  op.table = op.chain = "canonical";
  op.items = items;
  op.n_items = n;
  if (!r || !(buf = calloc(1, message_room(n)))) {
    err_set(e, ENOMEM, NULL);
    goto out;
  }
  if (check_op(&op, e) < 0) goto out;
  if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, op.table) < 0 ||
      nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, op.chain) < 0) {
    err_set(e, ENOMEM, NULL);
    goto out;
  }
  if (encode_rule(r, family, items, n, e) < 0) goto out;
  struct nlmsghdr *nlh =
      nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, (uint16_t)family, 0, 0);
  nftnl_rule_nlmsg_build_payload(nlh, r);
  if (nft_rule_decode(nlh, &info, e) < 0) goto out;
  *out = info.items;
  *n_out = info.n_items;
  rc = 0;
out:
  if (r) nftnl_rule_free(r);
  free(buf);
  return rc;
}

/* }====================================================== */

/*
** {======================================================
** Listing: one dump each of tables, chains and rules
** =======================================================
*/

struct listing {
  struct nft_ruleset *rs;
  const char *table; /* only this one, or NULL */
  size_t caps[3];
  struct err *e;
};

/* A new zeroed slot at the end of a growing array. */
static void *grow (void **items, size_t *n, size_t *cap, size_t size) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 8;
    void *grown = realloc(*items, c * size);
    if (!grown) return NULL;
    *items = grown;
    *cap = c;
  }
  void *slot = (char *)*items + (*n)++ * size;
  memset(slot, 0, size);
  return slot;
}

static int wanted (const struct listing *l, const char *table) {
  return !l->table || (table && !strcmp(l->table, table));
}

static int table_cb (const struct nlmsghdr *nlh, void *data) {
  struct listing *l = data;
  struct nftnl_table *t = nftnl_table_alloc();
  struct nft_table_info *ti;
  int rc = MNL_CB_ERROR;
  errno = ENOMEM;
  if (!t) return MNL_CB_ERROR;
  if (nftnl_table_nlmsg_parse(nlh, t) < 0)
    errno = EBADMSG;
  else if (!wanted(l, nftnl_table_get_str(t, NFTNL_TABLE_NAME)))
    rc = MNL_CB_OK;
  else if ((ti = grow((void **)&l->rs->tables, &l->rs->n_tables, &l->caps[0],
                      sizeof *ti))) {
    ti->family = (int)nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY);
    copy_text(ti->name, nftnl_table_get_str(t, NFTNL_TABLE_NAME));
    ti->handle = nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE);
    rc = MNL_CB_OK;
  }
  nftnl_table_free(t);
  return rc;
}

static void chain_info (struct nft_chain_info *ci,
                        const struct nftnl_chain *c) {
  ci->family = (int)nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
  copy_text(ci->table, nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
  copy_text(ci->name, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
  ci->handle = nftnl_chain_get_u64(c, NFTNL_CHAIN_HANDLE);
  ci->hook = -1;
  ci->policy = -1;
  if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) return;
  ci->hook = (int)nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
  ci->priority = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY))
    ci->policy = (int)nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
  const char *type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
  snprintf(ci->type, sizeof ci->type, "%s", type ? type : "");
  const char *dev = NULL;
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEV))
    dev = nftnl_chain_get_str(c, NFTNL_CHAIN_DEV);
  else if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEVICES)) {
    const char *const *devs = nftnl_chain_get_array(c, NFTNL_CHAIN_DEVICES);
    dev = devs ? devs[0] : NULL;
  }
  snprintf(ci->device, sizeof ci->device, "%s", dev ? dev : "");
}

static int chain_cb (const struct nlmsghdr *nlh, void *data) {
  struct listing *l = data;
  struct nftnl_chain *c = nftnl_chain_alloc();
  struct nft_chain_info *ci;
  int rc = MNL_CB_ERROR;
  errno = ENOMEM;
  if (!c) return MNL_CB_ERROR;
  if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
    errno = EBADMSG;
  else if (!wanted(l, nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)))
    rc = MNL_CB_OK;
  else if ((ci = grow((void **)&l->rs->chains, &l->rs->n_chains, &l->caps[1],
                      sizeof *ci))) {
    chain_info(ci, c);
    rc = MNL_CB_OK;
  }
  nftnl_chain_free(c);
  return rc;
}

static int rule_cb (const struct nlmsghdr *nlh, void *data) {
  struct listing *l = data;
  struct nft_rule_info r;
  if (nft_rule_decode(nlh, &r, l->e) < 0) {
    errno = l->e->code;
    return MNL_CB_ERROR;
  }
  if (!wanted(l, r.table)) {
    free(r.items);
    return MNL_CB_OK;
  }
  struct nft_rule_info *slot =
      grow((void **)&l->rs->rules, &l->rs->n_rules, &l->caps[2], sizeof *slot);
  if (!slot) {
    free(r.items);
    errno = ENOMEM;
    return MNL_CB_ERROR;
  }
  *slot = r;
  return MNL_CB_OK;
}

static void free_rules (struct nft_ruleset *rs) {
  for (size_t i = 0; i < rs->n_rules; i++) free(rs->rules[i].items);
  rs->n_rules = 0;
}

/* One dump, started over while the kernel says the ruleset changed
 * under it; *n counts what the last try collected. */
static int dump (struct nl *nl, uint16_t type, int family, struct listing *l,
                 mnl_cb_t cb, size_t *n) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  for (int tries = 0; tries < 10; tries++) {
    struct nlmsghdr *nlh =
        nftnl_nlmsg_build_hdr(buf, type, (uint16_t)family, 0, ++nl->seq);
    if (type == NFT_MSG_GETRULE && l->table)
      mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, l->table);
    if (cb == rule_cb) free_rules(l->rs);
    *n = 0;
    if (nl_dump(nl, nlh, cb, l, l->e) == 0) return 0;
    if (l->e->code != EINTR) return -1;
  }
  return -1;
}

int nft_list (struct nl *nl, int family, const char *table,
              struct nft_ruleset *rs, struct err *e) {
  struct listing l = {rs, table, {0, 0, 0}, e};
  memset(rs, 0, sizeof *rs);
  if (table && name_ok("table", table, e) < 0) return -1;
  if (dump(nl, NFT_MSG_GETTABLE, family, &l, table_cb, &rs->n_tables) < 0 ||
      dump(nl, NFT_MSG_GETCHAIN, family, &l, chain_cb, &rs->n_chains) < 0 ||
      dump(nl, NFT_MSG_GETRULE, family, &l, rule_cb, &rs->n_rules) < 0) {
    nft_ruleset_free(rs);
    return -1;
  }
  return 0;
}

void nft_ruleset_free (struct nft_ruleset *rs) {
  free_rules(rs);
  free(rs->tables);
  free(rs->chains);
  free(rs->rules);
  memset(rs, 0, sizeof *rs);
}

/* }====================================================== */
