/*
 * nft_text.c - a rule as `nft list ruleset` prints it. The items given
 * are what the kernel holds (nft_list, or nft_rule_canonical for a rule
 * about to be added), so the text is the kernel's rule in nft's words.
 */
#include "nft.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>

/* Appending to a buffer that may be too small: used counts it all. */
struct out {
  char *buf;
  size_t len, used;
};

static void put (struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put (struct out *o, const char *fmt, ...) {
  va_list ap;
  size_t room = o->used < o->len ? o->len - o->used : 0;
  va_start(ap, fmt);
  int n = vsnprintf(room ? o->buf + o->used : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0) o->used += (size_t)n;
}

static void put_value (struct out *o, const struct nft_item *it) {
  char text[IPADDR_TEXT_MAX];
  const char *name;
  int first = 1;
  switch (nft_keys[it->key].type) {
  case NFTT_IFNAME: put(o, "\"%s\"", it->text); break;
  case NFTT_ADDR:
    ipaddr_format(&it->addr, 1, text, sizeof text);
    put(o, "%s", text);
    break;
  case NFTT_PROTO:
    put(o, "%s", nft_proto_name(it->value, text, sizeof text));
    break;
  case NFTT_PORT: put(o, "%u", it->value); break;
  case NFTT_CT_STATE:
    for (const struct nft_ct_state *s = nft_ct_states; s->name; s++)
      if (it->value & s->bit) {
        put(o, "%s%s", first ? "" : ",", s->name);
        first = 0;
      }
    break;
  case NFTT_FIB_TYPE:
    put(o, "%s",
        it->value < NFT_FIB_TYPE_COUNT ? nft_fib_types[it->value] : "?");
    break;
  case NFTT_ICMP_TYPE:
    if ((name = nft_name_of(nft_icmp_type_names(it->key), it->value)))
      put(o, "%s", name);
    else
      put(o, "%u", it->value);
    break;
  default: break;
  }
}

/* snat/dnat [ip|ip6] to ADDR[:PORT]: an IPv6 address with a port in
   brackets; in inet the family is said. */
static void put_nat (struct out *o, int family, const struct nft_item *it) {
  char addr[IPADDR_TEXT_MAX];
  int v6 = it->addr.family == AF_INET6;
  ipaddr_format(&it->addr, 0, addr, sizeof addr);
  put(o, "%s%s to ", nft_stmts[it->kind].name,
      family == NFPROTO_INET ? (v6 ? " ip6" : " ip") : "");
  if (v6 && it->value)
    put(o, "[%s]:%u", addr, it->value);
  else if (it->value)
    put(o, "%s:%u", addr, it->value);
  else
    put(o, "%s", addr);
}

static void put_item (struct out *o, int family, const struct nft_item *it,
                      int with_counts) {
  switch (it->kind) {
  case NFTI_MATCH:
    put(o, "%s %s", nft_keys[it->key].name, it->neq ? "!= " : "");
    put_value(o, it);
    break;
  case NFTI_COUNTER:
    if (with_counts)
      put(o, "counter packets %" PRIu64 " bytes %" PRIu64, it->packets,
          it->bytes);
    else
      put(o, "counter");
    break;
  case NFTI_JUMP:
  case NFTI_GOTO: put(o, "%s %s", nft_stmts[it->kind].name, it->text); break;
  case NFTI_SNAT:
  case NFTI_DNAT: put_nat(o, family, it); break;
  case NFTI_LOG:
    if (it->text[0])
      put(o, "log prefix \"%s\"", it->text);
    else
      put(o, "log");
    break;
  case NFTI_REJECT:
    put(o, "reject");
    if (it->with != NFT_WITH_DEFAULT) {
      char with[48];
      nft_with_text(it->with, it->value, with, sizeof with);
      put(o, " with %s", with);
    }
    break;
  case NFTI_UNKNOWN: put(o, "<%s>", it->text); break;
  default: put(o, "%s", nft_stmts[it->kind].name);
  }
}

size_t nft_rule_format (int family, const struct nft_item *items, size_t n,
                        int with_counts, char *buf, size_t len) {
  struct out o = {buf, len, 0};
  if (len) buf[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (i) put(&o, " ");
    put_item(&o, family, &items[i], with_counts);
  }
  return o.used;
}
