/*
 * nftrace.c - a temporary table that traces some addresses' packets, and
 * the kernel's trace events.
 */
#include "nftrace.h"

#include <errno.h>
#include <netinet/in.h> /* before the linux headers, which define less */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/trace.h>

#ifndef NFT_TABLE_F_OWNER
#define NFT_TABLE_F_OWNER 2
#endif

/*
** {======================================================
** Words for kernel numbers
** =======================================================
*/

const char *nftrace_type_name (int type) {
  switch (type) {
  case NFT_TRACETYPE_RULE: return "rule";
  case NFT_TRACETYPE_RETURN: return "return";
  case NFT_TRACETYPE_POLICY: return "policy";
  default: return "unknown";
  }
}

const char *nftrace_verdict_name (int verdict) {
  switch (verdict) {
  case NF_ACCEPT: return "accept";
  case NF_DROP: return "drop";
  case NF_STOLEN: return "stolen";
  case NF_QUEUE: return "queue";
  case NF_REPEAT: return "repeat";
  case NFT_CONTINUE: return "continue";
  case NFT_BREAK: return "break";
  case NFT_JUMP: return "jump";
  case NFT_GOTO: return "goto";
  case NFT_RETURN: return "return";
  default: /* a queue verdict carries its queue number in the high bits */
    return (verdict & NF_VERDICT_MASK) == NF_QUEUE ? "queue" : "unknown";
  }
}

/* The ICMP and ICMPv6 types a probe meets, named as nft names them. */
static const struct {
  int protocol, type;
  const char *name;
} icmp_types[] = {
    {IPPROTO_ICMP, 0, "echo-reply"},
    {IPPROTO_ICMP, 3, "destination-unreachable"},
    {IPPROTO_ICMP, 5, "redirect"},
    {IPPROTO_ICMP, 8, "echo-request"},
    {IPPROTO_ICMP, 11, "time-exceeded"},
    {IPPROTO_ICMPV6, 1, "destination-unreachable"},
    {IPPROTO_ICMPV6, 3, "time-exceeded"},
    {IPPROTO_ICMPV6, 128, "echo-request"},
    {IPPROTO_ICMPV6, 129, "echo-reply"},
    {IPPROTO_ICMPV6, 135, "nd-neighbor-solicit"},
    {IPPROTO_ICMPV6, 136, "nd-neighbor-advert"},
};

const char *nftrace_icmp_name (int protocol, int type) {
  for (size_t i = 0; i < sizeof icmp_types / sizeof *icmp_types; i++)
    if (icmp_types[i].protocol == protocol && icmp_types[i].type == type)
      return icmp_types[i].name;
  return NULL;
}

/* }====================================================== */

/*
** {======================================================
** The table
** =======================================================
*/

#define BATCH_SIZE 16384

struct batch {
  char buf[BATCH_SIZE];
  size_t len;
  uint32_t seq, first; /* the next sequence number, the first message's */
};

static struct nlmsghdr *put_hdr (struct batch *b, uint16_t type,
                                 uint16_t flags) {
  return nftnl_nlmsg_build_hdr(b->buf + b->len, type, NFPROTO_INET,
                               flags | NLM_F_ACK, b->seq++);
}

static void commit (struct batch *b, struct nlmsghdr *nlh) {
  b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void put_table (struct batch *b, const char *name, int add) {
  struct nftnl_table *t = nftnl_table_alloc();
  nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
  nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
  if (add) nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, NFT_TABLE_F_OWNER);
  struct nlmsghdr *nlh =
      add ? put_hdr(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL)
          : put_hdr(b, NFT_MSG_DELTABLE, 0);
  nftnl_table_nlmsg_build_payload(nlh, t);
  nftnl_table_free(t);
  commit(b, nlh);
}

static const char *const chain_names[] = {"prerouting", "output"};
static const int chain_hooks[] = {NF_INET_PRE_ROUTING, NF_INET_LOCAL_OUT};

static void put_chain (struct batch *b, const char *table, int i) {
  struct nftnl_chain *c = nftnl_chain_alloc();
  nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
  nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain_names[i]);
  nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
  nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
  nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)chain_hooks[i]);
  nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NFTRACE_PRIORITY);
  nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
  struct nlmsghdr *nlh = put_hdr(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
  nftnl_chain_nlmsg_build_payload(nlh, c);
  nftnl_chain_free(c);
  commit(b, nlh);
}

static void expr_cmp (struct nftnl_rule *r, const void *data, uint32_t len) {
  struct nftnl_expr *x = nftnl_expr_alloc("cmp");
  nftnl_expr_set_u32(x, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(x, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
  nftnl_expr_set(x, NFTNL_EXPR_CMP_DATA, data, len);
  nftnl_rule_add_expr(r, x);
}

/* meta nfproto ipv4|ipv6 ip[6] saddr|daddr ADDR meta nftrace set 1 */
static void put_rule (struct batch *b, const char *table, int chain,
                      const struct ipaddr *a, int source) {
  int v6 = a->family == AF_INET6;
  uint8_t proto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4, one = 1;
  uint32_t len = (uint32_t)ipaddr_len(a);
  uint32_t offset = v6 ? (source ? 8 : 24) : (source ? 12 : 16);
  struct nftnl_rule *r = nftnl_rule_alloc();
  nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
  nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain_names[chain]);
  nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
  struct nftnl_expr *x = nftnl_expr_alloc("meta");
  nftnl_expr_set_u32(x, NFTNL_EXPR_META_KEY, NFT_META_NFPROTO);
  nftnl_expr_set_u32(x, NFTNL_EXPR_META_DREG, NFT_REG_1);
  nftnl_rule_add_expr(r, x);
  expr_cmp(r, &proto, 1);
  x = nftnl_expr_alloc("payload");
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_LEN, len);
  nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  nftnl_rule_add_expr(r, x);
  expr_cmp(r, a->bytes, len);
  x = nftnl_expr_alloc("immediate");
  nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
  nftnl_expr_set(x, NFTNL_EXPR_IMM_DATA, &one, 1);
  nftnl_rule_add_expr(r, x);
  x = nftnl_expr_alloc("meta");
  nftnl_expr_set_u32(x, NFTNL_EXPR_META_KEY, NFT_META_NFTRACE);
  nftnl_expr_set_u32(x, NFTNL_EXPR_META_SREG, NFT_REG_1);
  nftnl_rule_add_expr(r, x);
  struct nlmsghdr *nlh =
      put_hdr(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
  nftnl_rule_nlmsg_build_payload(nlh, r);
  nftnl_rule_free(r);
  commit(b, nlh);
}

/* Send the batch and read every answer: the first error, else the ACK of
 * each message. The kernel has answered by the time sendmsg returns. */
static int send_batch (struct nl *nl, struct batch *b, struct err *e) {
  char buf[8192];
  uint32_t last = b->seq - 1;
  int fd = mnl_socket_get_fd(nl->sock), code = 0, acked = 0;
  struct nlmsghdr *end = nftnl_batch_end(b->buf + b->len, b->seq++);
  commit(b, end);
  if (mnl_socket_sendto(nl->sock, b->buf, b->len) < 0) return err_errno(e);
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    int left = (int)n;
    for (const struct nlmsghdr *nlh = (const void *)buf; nl_msg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left)) {
      const struct nlmsgerr *ne = mnl_nlmsg_get_payload(nlh);
      if (nlh->nlmsg_type != NLMSG_ERROR ||
          nlh->nlmsg_len < mnl_nlmsg_size(sizeof *ne))
        continue;
      if (ne->error && !code) code = -ne->error;
      if (!ne->error && nlh->nlmsg_seq == last) acked = 1;
    }
  }
  if (code) return err_set(e, code, NULL);
  if (!acked)
    return err_set(e, EPROTO, "the kernel did not acknowledge the batch");
  return 0;
}

/* A zeroed batch: libmnl 1.0.4 leaves an attribute's alignment padding
 * unwritten, and what the kernel is sent should be only what nslab wrote
 * (valgrind says so; nl.c's requests have tools/valgrind.supp's entry). */
static struct batch *batch_new (void) {
  return calloc(1, sizeof(struct batch));
}

static void batch_start (struct nl *nl, struct batch *b) {
  b->len = 0;
  b->seq = nl->seq + 1;
  commit(b, nftnl_batch_begin(b->buf, b->seq++));
  b->first = b->seq;
}

int nftrace_table_add (struct nl *ctl, const char *name,
                       const struct ipaddr *addrs, size_t n, struct err *e) {
  struct batch *b;
  if (!nft_name_ok(name, strlen(name)))
    return err_set(e, EINVAL, "not a table name nslab makes");
  if (n == 0 || n > NFTRACE_ADDRS_MAX)
    return err_set(e, EINVAL, "1..%d addresses to trace", NFTRACE_ADDRS_MAX);
  for (size_t i = 0; i < n; i++)
    if (addrs[i].family != AF_INET && addrs[i].family != AF_INET6)
      return err_set(e, EINVAL, "not an IPv4 or IPv6 address");
  if (!(b = batch_new())) return err_errno(e);
  batch_start(ctl, b);
  put_table(b, name, 1);
  for (int c = 0; c < 2; c++) put_chain(b, name, c);
  for (int c = 0; c < 2; c++)
    for (size_t i = 0; i < n; i++)
      for (int source = 0; source < 2; source++)
        put_rule(b, name, c, &addrs[i], source);
  int rc = send_batch(ctl, b, e);
  ctl->seq = b->seq;
  free(b);
  return rc;
}

int nftrace_table_del (struct nl *ctl, const char *name, struct err *e) {
  struct batch *b;
  if (!(b = batch_new())) return err_errno(e);
  batch_start(ctl, b);
  put_table(b, name, 0);
  int rc = send_batch(ctl, b, e);
  ctl->seq = b->seq;
  free(b);
  return rc;
}

/* }====================================================== */

/*
** {======================================================
** Trace events
** =======================================================
*/

int nftrace_listen (struct nl *mon, int netns_fd, struct err *e) {
  int group = NFNLGRP_NFTRACE, size = 1 << 20;
  if (nl_open(mon, NETLINK_NETFILTER, netns_fd, e) < 0) return -1;
  int fd = mnl_socket_get_fd(mon->sock);
  if (mnl_socket_setsockopt(mon->sock, NETLINK_ADD_MEMBERSHIP, &group,
                            sizeof group) < 0) {
    err_errno(e);
    nl_close(mon);
    return -1;
  }
  /* a probe's few packets make tens of events: room for many more */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return 0;
}

/* Addresses, protocol and ICMP type from the headers the kernel copied. */
static void take_headers (const struct nftnl_trace *t,
                          struct nftrace_event *ev) {
  uint32_t len = 0;
  const uint8_t *h = NULL;
  if (nftnl_trace_is_set(t, NFTNL_TRACE_NETWORK_HEADER))
    h = nftnl_trace_get_data(t, NFTNL_TRACE_NETWORK_HEADER, &len);
  if (h && len >= 20 && h[0] >> 4 == 4) {
    ipaddr_from_bytes(&ev->saddr, AF_INET, h + 12, 4, -1);
    ipaddr_from_bytes(&ev->daddr, AF_INET, h + 16, 4, -1);
    ev->protocol = h[9];
  } else if (h && len >= 40 && h[0] >> 4 == 6) {
    ipaddr_from_bytes(&ev->saddr, AF_INET6, h + 8, 16, -1);
    ipaddr_from_bytes(&ev->daddr, AF_INET6, h + 24, 16, -1);
    ev->protocol = h[6]; /* the next header: extension headers not walked */
  }
  h = NULL;
  if (nftnl_trace_is_set(t, NFTNL_TRACE_TRANSPORT_HEADER))
    h = nftnl_trace_get_data(t, NFTNL_TRACE_TRANSPORT_HEADER, &len);
  if (h && len >= 1 &&
      (ev->protocol == IPPROTO_ICMP || ev->protocol == IPPROTO_ICMPV6))
    ev->icmp_type = h[0];
}

static void take_str (char *dst, const struct nftnl_trace *t, uint16_t attr) {
  const char *s =
      nftnl_trace_is_set(t, attr) ? nftnl_trace_get_str(t, attr) : NULL;
  dst[0] = '\0';
  if (s) {
    strncpy(dst, s, NFT_TEXT_MAX - 1);
    dst[NFT_TEXT_MAX - 1] = '\0';
  }
}

static uint32_t take_u32 (const struct nftnl_trace *t, uint16_t attr,
                          int *set) {
  int is = nftnl_trace_is_set(t, attr);
  if (set) *set = is;
  return is ? nftnl_trace_get_u32(t, attr) : 0;
}

/* The type each trace attribute has. libnftnl's parser exit()s the whole
 * process on an attribute of another shape ("ABI breakage"), so every
 * one is checked here first, with the same mnl_attr_validate. */
static const enum mnl_attr_data_type trace_types[NFTA_TRACE_MAX + 1] = {
    [NFTA_TRACE_TABLE] = MNL_TYPE_NUL_STRING,
    [NFTA_TRACE_CHAIN] = MNL_TYPE_NUL_STRING,
    [NFTA_TRACE_RULE_HANDLE] = MNL_TYPE_U64,
    [NFTA_TRACE_TYPE] = MNL_TYPE_U32,
    [NFTA_TRACE_VERDICT] = MNL_TYPE_NESTED,
    [NFTA_TRACE_ID] = MNL_TYPE_U32,
    [NFTA_TRACE_LL_HEADER] = MNL_TYPE_BINARY,
    [NFTA_TRACE_NETWORK_HEADER] = MNL_TYPE_BINARY,
    [NFTA_TRACE_TRANSPORT_HEADER] = MNL_TYPE_BINARY,
    [NFTA_TRACE_IIF] = MNL_TYPE_U32,
    [NFTA_TRACE_IIFTYPE] = MNL_TYPE_U16,
    [NFTA_TRACE_OIF] = MNL_TYPE_U32,
    [NFTA_TRACE_OIFTYPE] = MNL_TYPE_U16,
    [NFTA_TRACE_MARK] = MNL_TYPE_U32,
    [NFTA_TRACE_NFPROTO] = MNL_TYPE_U32,
    [NFTA_TRACE_POLICY] = MNL_TYPE_U32,
};

/* The verdict's code, and the chain a jump or goto needs. */
struct seen_verdict {
  const struct nlattr *code, *chain;
};

static int verdict_ok (const struct nlattr *attr, void *data) {
  struct seen_verdict *v = data;
  switch (mnl_attr_get_type(attr)) {
  case NFTA_VERDICT_CODE:
    v->code = attr;
    return mnl_attr_validate(attr, MNL_TYPE_U32);
  case NFTA_VERDICT_CHAIN:
    v->chain = attr;
    return mnl_attr_validate(attr, MNL_TYPE_NUL_STRING);
  default: return MNL_CB_OK;
  }
}

/* Also what libnftnl requires: the packet's id and the event's type. */
static int attr_ok (const struct nlattr *attr, void *data) {
  const struct nlattr **seen = data;
  uint16_t type = mnl_attr_get_type(attr);
  if (type > NFTA_TRACE_MAX || !trace_types[type]) return MNL_CB_OK;
  if (mnl_attr_validate(attr, trace_types[type]) < 0) return MNL_CB_ERROR;
  /* a copied header of no bytes is ABI breakage to libnftnl too */
  if (trace_types[type] == MNL_TYPE_BINARY && !mnl_attr_get_payload_len(attr))
    return MNL_CB_ERROR;
  seen[type] = attr;
  if (type == NFTA_TRACE_VERDICT) {
    struct seen_verdict v = {NULL, NULL};
    if (mnl_attr_parse_nested(attr, verdict_ok, &v) < 0 || !v.code)
      return MNL_CB_ERROR;
    int32_t code = (int32_t)ntohl(mnl_attr_get_u32(v.code));
    if ((code == NFT_JUMP || code == NFT_GOTO) && !v.chain) return MNL_CB_ERROR;
  }
  return MNL_CB_OK;
}

static int trace_ok (const struct nlmsghdr *nlh) {
  const struct nlattr *seen[NFTA_TRACE_MAX + 1] = {NULL};
  return nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct nfgenmsg)) &&
         mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_ok, seen) >= 0 &&
         seen[NFTA_TRACE_ID] && seen[NFTA_TRACE_TYPE];
}

int nftrace_parse (const struct nlmsghdr *nlh, struct nftrace_event *ev) {
  if (nlh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE))
    return 0;
  if (!trace_ok(nlh)) return -1;
  struct nftnl_trace *t = nftnl_trace_alloc();
  if (!t) return -1;
  if (nftnl_trace_nlmsg_parse(nlh, t) < 0) {
    nftnl_trace_free(t);
    return -1;
  }
  memset(ev, 0, sizeof *ev);
  ev->protocol = ev->icmp_type = -1;
  ev->id = take_u32(t, NFTNL_TRACE_ID, NULL);
  ev->type = (int)take_u32(t, NFTNL_TRACE_TYPE, NULL);
  ev->family = (int)take_u32(t, NFTNL_TRACE_FAMILY, NULL);
  ev->nfproto = (int)take_u32(t, NFTNL_TRACE_NFPROTO, NULL);
  take_str(ev->table, t, NFTNL_TRACE_TABLE);
  take_str(ev->chain, t, NFTNL_TRACE_CHAIN);
  take_str(ev->target, t, NFTNL_TRACE_JUMP_TARGET);
  if (nftnl_trace_is_set(t, NFTNL_TRACE_RULE_HANDLE))
    ev->handle = nftnl_trace_get_u64(t, NFTNL_TRACE_RULE_HANDLE);
  ev->verdict = (int)take_u32(t, NFTNL_TRACE_VERDICT, &ev->has_verdict);
  ev->policy = (int)take_u32(t, NFTNL_TRACE_POLICY, &ev->has_policy);
  ev->iif = take_u32(t, NFTNL_TRACE_IIF, NULL);
  ev->oif = take_u32(t, NFTNL_TRACE_OIF, NULL);
  ev->mark = take_u32(t, NFTNL_TRACE_MARK, NULL);
  take_headers(t, ev);
  nftnl_trace_free(t);
  return 1;
}

int nftrace_read (struct nl *mon, struct nftrace_event **out, size_t *n,
                  int *lost, struct err *e) {
  char buf[32768];
  int fd = mnl_socket_get_fd(mon->sock);
  size_t cap = 0;
  *out = NULL;
  *n = 0;
  *lost = 0;
  for (;;) {
    ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == ENOBUFS) {
      *lost = 1;
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (got < 0) {
      err_errno(e);
      free(*out);
      *out = NULL;
      *n = 0;
      return -1;
    }
    int left = (int)got;
    for (const struct nlmsghdr *nlh = (const void *)buf; nl_msg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left)) {
      if (*n == cap) {
        size_t more = cap ? cap * 2 : 32;
        struct nftrace_event *grown = realloc(*out, more * sizeof **out);
        if (!grown) {
          free(*out);
          *out = NULL;
          *n = 0;
          return err_errno(e);
        }
        *out = grown;
        cap = more;
      }
      if (nftrace_parse(nlh, &(*out)[*n]) == 1) (*n)++;
    }
  }
}

/* }====================================================== */
