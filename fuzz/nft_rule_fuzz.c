/*
 * nft_rule_fuzz.c - the nf_tables rule decoder (nft_rule_decode) on any
 * input: either raw bytes as the attributes of an NFT_MSG_NEWRULE
 * message, or a list of expressions (meta, payload, cmp, bitwise, ct,
 * fib, immediate, nat, counter, masq, reject, log) with fields taken
 * from the bytes, built with libnftnl as the kernel would report them.
 *
 * No crash, and what decodes into nslab's words means what it says: the
 * rule printed back (nft_rule_format, into buffers of any size), added
 * again (nft_rule_canonical, as nft_apply would encode it) and read back
 * gives the same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "../core/nft.h"

static const int families[] = {NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_INET,
                               NFPROTO_BRIDGE};

/* The input as a stream of bytes; zeros once it runs out. */
struct in {
  const uint8_t *p;
  size_t n;
};

static uint8_t byte (struct in *in) {
  if (!in->n) return 0;
  in->n--;
  return *in->p++;
}

static uint32_t word (struct in *in) {
  uint32_t v = byte(in);
  return v | (uint32_t)byte(in) << 8 | (uint32_t)byte(in) << 16 |
         (uint32_t)byte(in) << 24;
}

/* A small number mostly, sometimes any. */
static uint32_t pick (struct in *in, uint32_t small) {
  uint8_t b = byte(in);
  return b < 0xf0 ? b % small : word(in);
}

static void data (struct in *in, struct nftnl_expr *x, uint16_t attr) {
  uint8_t buf[32];
  uint32_t len = byte(in) % 20;
  for (uint32_t i = 0; i < len; i++) buf[i] = byte(in);
  nftnl_expr_set(x, attr, buf, len);
}

static void reg (struct in *in, struct nftnl_expr *x, uint16_t attr) {
  nftnl_expr_set_u32(x, attr, byte(in) < 0xe0 ? NFT_REG_1 : pick(in, 4));
}

static void one_expr (struct in *in, struct nftnl_rule *r) {
  static const char *const names[] = {
      "meta", "payload",   "cmp",       "bitwise", "ct",
      "fib",  "immediate", "immediate", "nat",     "counter",
      "masq", "reject",    "log",       "limit"};
  uint8_t k = byte(in) % (sizeof names / sizeof *names);
  struct nftnl_expr *x = nftnl_expr_alloc(names[k]);
  if (!x) return;
  switch (k) {
  case 0:
    nftnl_expr_set_u32(x, NFTNL_EXPR_META_KEY, pick(in, 20));
    reg(in, x, NFTNL_EXPR_META_DREG);
    break;
  case 1:
    reg(in, x, NFTNL_EXPR_PAYLOAD_DREG);
    nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_BASE, pick(in, 3));
    nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_OFFSET, pick(in, 30));
    nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_LEN, pick(in, 18));
    break;
  case 2:
    reg(in, x, NFTNL_EXPR_CMP_SREG);
    nftnl_expr_set_u32(x, NFTNL_EXPR_CMP_OP, pick(in, 3));
    data(in, x, NFTNL_EXPR_CMP_DATA);
    break;
  case 3:
    reg(in, x, NFTNL_EXPR_BITWISE_SREG);
    reg(in, x, NFTNL_EXPR_BITWISE_DREG);
    if (byte(in) & 1) nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_OP, pick(in, 3));
    nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_LEN, pick(in, 17));
    data(in, x, NFTNL_EXPR_BITWISE_MASK);
    data(in, x, NFTNL_EXPR_BITWISE_XOR);
    break;
  case 4:
    reg(in, x, NFTNL_EXPR_CT_DREG);
    nftnl_expr_set_u32(x, NFTNL_EXPR_CT_KEY, pick(in, 3));
    if (byte(in) == 7) nftnl_expr_set_u8(x, NFTNL_EXPR_CT_DIR, 0);
    break;
  case 5:
    reg(in, x, NFTNL_EXPR_FIB_DREG);
    nftnl_expr_set_u32(x, NFTNL_EXPR_FIB_RESULT, pick(in, 4));
    nftnl_expr_set_u32(x, NFTNL_EXPR_FIB_FLAGS, pick(in, 8));
    break;
  case 6:
    nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_DREG, pick(in, 3));
    data(in, x, NFTNL_EXPR_IMM_DATA);
    break;
  case 7: {
    static const int verdicts[] = {NF_ACCEPT, NF_DROP,  NFT_RETURN,
                                   NFT_JUMP,  NFT_GOTO, 7};
    int v = verdicts[byte(in) % 6];
    char chain[300];
    size_t len = byte(in) % 4 == 0 ? 256 + byte(in) % 30 : byte(in) % 8;
    memset(chain, 'a' + byte(in) % 26, len);
    chain[len] = '\0';
    nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
    if (v == NFT_JUMP || v == NFT_GOTO)
      nftnl_expr_set_str(x, NFTNL_EXPR_IMM_CHAIN, chain);
    break;
  }
  case 8:
    nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_TYPE, pick(in, 3));
    nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_FAMILY,
                       byte(in) & 1 ? NFPROTO_IPV6 : NFPROTO_IPV4);
    reg(in, x, NFTNL_EXPR_NAT_REG_ADDR_MIN);
    if (byte(in) & 1) {
      nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_REG_PROTO_MIN,
                         byte(in) & 1 ? NFT_REG_2 : NFT_REG_1);
      nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_FLAGS, pick(in, 8));
    }
    break;
  case 9:
    nftnl_expr_set_u64(x, NFTNL_EXPR_CTR_PACKETS, word(in));
    nftnl_expr_set_u64(x, NFTNL_EXPR_CTR_BYTES, word(in));
    break;
  case 11:
    nftnl_expr_set_u32(x, NFTNL_EXPR_REJECT_TYPE, pick(in, 3));
    nftnl_expr_set_u8(x, NFTNL_EXPR_REJECT_CODE, byte(in) % 5);
    break;
  case 12:
    if (byte(in) & 1) {
      char prefix[200];
      size_t len = byte(in) % 140;
      for (size_t i = 0; i < len; i++) prefix[i] = (char)(byte(in) | 1);
      prefix[len] = '\0';
      nftnl_expr_set_str(x, NFTNL_EXPR_LOG_PREFIX, prefix);
    }
    if (byte(in) & 1) nftnl_expr_set_u32(x, NFTNL_EXPR_LOG_LEVEL, pick(in, 8));
    break;
  default: break;
  }
  nftnl_rule_add_expr(r, x);
}

/* Printed into buffers of every size from 0 up: never past the end. */
static size_t text_of (int family, const struct nft_item *items, size_t n,
                       char *out, size_t len) {
  size_t need = nft_rule_format(family, items, n, 1, NULL, 0);
  for (size_t small = 0; small < 8; small++) {
    char *buf = malloc(small ? small : 1);
    if (nft_rule_format(family, items, n, 1, small ? buf : NULL, small) != need)
      abort();
    if (small && strlen(buf) >= small) abort();
    free(buf);
  }
  nft_rule_format(family, items, n, 1, out, len);
  return need;
}

/* The items' texts one by one, sorted and joined: what the rule matches
 * and does, whatever order nft's merge of port loads puts them in. */
static void item_set (int family, const struct nft_item *items, size_t n,
                      char *out, size_t len) {
  static char one[256][1024];
  const char *sorted[256];
  size_t used = 0;
  if (n > 256) n = 256;
  for (size_t i = 0; i < n; i++) {
    nft_rule_format(family, &items[i], 1, 1, one[i], sizeof one[i]);
    sorted[i] = one[i];
  }
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
      const char *t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  out[0] = '\0';
  for (size_t i = 0; i < n && used < len; i++)
    used += (size_t)snprintf(out + used, len - used, "%s|", sorted[i]);
}

/* A protocol match just before a port match of its protocol that nft
 * would read as the port's implicit dependency: it reads as a match of
 * its own only when bytecode said the protocol twice (nft prints it so
 * too), and then the text, added again, loses it, as with nft. */
static int reads_as_dependency (int family, const struct nft_item *items,
                                size_t n) {
  for (size_t i = 0; i + 1 < n; i++) {
    const struct nft_item *a = &items[i], *b = &items[i + 1];
    if (a->kind == NFTI_MATCH && b->kind == NFTI_MATCH && !a->neq &&
        nft_keys[a->key].type == NFTT_PROTO &&
        nft_keys[b->key].type == NFTT_PORT &&
        (int)a->value == nft_keys[b->key].l4 &&
        (!nft_keys[a->key].net || nft_keys[a->key].net == family))
      return 1;
  }
  return 0;
}

/* Decoded, the rule prints into any buffer; what it says in nslab's
 * words, added again as nft_apply would, holds the same matches and
 * statements, and is then a fixed point (found by this harness: nft's
 * own text of separate port loads merges when added again, as nft does,
 * so the order may change once). */
static void check (const struct nlmsghdr *nlh) {
  struct nft_rule_info info;
  struct nft_item *again = NULL, *third = NULL;
  size_t m, k;
  struct err e;
  static char text[1 << 16], text2[1 << 16], text3[1 << 16];
  static char set[1 << 18], set2[1 << 18];
  if (nft_rule_decode(nlh, &info, &e) < 0) return;
  text_of(info.family, info.items, info.n_items, text, sizeof text);
  int unknown = 0;
  for (size_t i = 0; i < info.n_items; i++)
    unknown |= info.items[i].kind == NFTI_UNKNOWN;
  if (!unknown && info.n_items &&
      nft_rule_canonical(info.family, info.items, info.n_items, &again, &m,
                         &e) == 0) {
    text_of(info.family, again, m, text2, sizeof text2);
    item_set(info.family, info.items, info.n_items, set, sizeof set);
    item_set(info.family, again, m, set2, sizeof set2);
    if (strcmp(set, set2) &&
        !reads_as_dependency(info.family, info.items, info.n_items)) {
      fprintf(stderr, "read back as another rule:\n  %s\n  %s\n", text, text2);
      abort();
    }
    if (nft_rule_canonical(info.family, again, m, &third, &k, &e) < 0) {
      fprintf(stderr, "added, not added again: %s: %s\n", text2, e.reason);
      abort();
    }
    text_of(info.family, third, k, text3, sizeof text3);
    if (strcmp(text2, text3)) {
      fprintf(stderr, "not stable:\n  %s\n  %s\n", text2, text3);
      abort();
    }
  }
  free(third);
  free(again);
  free(info.items);
}

int LLVMFuzzerTestOneInput (const uint8_t *p, size_t size) {
  static char buf[1 << 17];
  struct in in = {p, size};
  if (size > 4096) return 0;
  uint8_t head = byte(&in);
  int family = families[(head >> 1) % 4];
  memset(buf, 0, sizeof buf);
  if (head & 1) {
    /* raw attributes after the headers */
    struct nlmsghdr *nlh =
        nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, (uint16_t)family, 0, 1);
    void *at = mnl_nlmsg_get_payload_tail(nlh);
    memcpy(at, in.p, in.n);
    nlh->nlmsg_len += (uint32_t)in.n;
    check(nlh);
    return 0;
  }
  struct nftnl_rule *r = nftnl_rule_alloc();
  if (!r) return 0;
  nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "t");
  nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "c");
  nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, 1);
  for (int i = 0; in.n && i < 24; i++) one_expr(&in, r);
  struct nlmsghdr *nlh =
      nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, (uint16_t)family, 0, 1);
  nftnl_rule_nlmsg_build_payload(nlh, r);
  nftnl_rule_free(r);
  check(nlh);
  return 0;
}
