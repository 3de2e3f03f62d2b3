/*
 * nftrace.h - following packets through nf_tables, as `nft monitor trace`
 * does: a temporary table whose rules set `meta nftrace` on the packets
 * of some addresses, and the trace events the kernel then multicasts to
 * NFNLGRP_NFTRACE (parsed by libnftnl's nftnl_trace_nlmsg_parse).
 *
 * The table is made with NFT_TABLE_F_OWNER: it belongs to the socket
 * that made it, so the kernel removes it when that socket closes, even
 * when the process is killed. Nothing is left behind.
 */
#ifndef NSLAB_NFTRACE_H
#define NSLAB_NFTRACE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "ipaddr.h"
#include "nft.h"
#include "nl.h"

/* Before every other chain of the hook (conntrack, defrag, raw, nat). */
#define NFTRACE_PRIORITY (-2147483647 - 1)
#define NFTRACE_ADDRS_MAX 8

/* One trace event: a packet (id) in a base chain or one of its rules. */
struct nftrace_event {
  uint32_t id; /* the same for every event of one packet */
  int type;    /* NFT_TRACETYPE_*: rule, return, policy */
  int family;  /* of the table (NFPROTO_*) */
  int nfproto; /* of the packet */
  char table[NFT_TEXT_MAX], chain[NFT_TEXT_MAX];
  uint64_t handle; /* the rule's; 0 for a policy or a return */
  int verdict;     /* NF_* or NFT_* (jump, goto, return, continue) */
  int has_verdict;
  char target[NFT_TEXT_MAX]; /* the chain of a jump or goto */
  int policy;                /* the chain's policy (type policy) */
  int has_policy;
  uint32_t iif, oif; /* 0: none */
  uint32_t mark;
  /* From the network and transport headers, when the kernel sent them. */
  struct ipaddr saddr, daddr; /* family 0: not told */
  int protocol;               /* -1: not told */
  int icmp_type;              /* -1: not ICMP or not told */
};

/* Kernel facts as words: an event's type ("rule", "return", "policy"),
 * a verdict ("accept", "drop", "jump", ...), an ICMP or ICMPv6 type
 * ("echo-request"); "unknown" or NULL when they have no name. */
const char *nftrace_type_name (int type);
const char *nftrace_verdict_name (int verdict);
const char *nftrace_icmp_name (int protocol, int type);

/* Make table `name` (family inet) in the namespace of ctl: chains at
 * hooks prerouting and output, priority NFTRACE_PRIORITY, one rule per
 * address and direction setting meta nftrace. ctl keeps owning it. */
int nftrace_table_add (struct nl *ctl, const char *name,
                       const struct ipaddr *addrs, size_t n, struct err *e);
int nftrace_table_del (struct nl *ctl, const char *name, struct err *e);

/* A NETLINK_NETFILTER socket in the namespace netns_fd, joined to
 * NFNLGRP_NFTRACE, that never blocks. */
int nftrace_listen (struct nl *mon, int netns_fd, struct err *e);
/* The events queued on mon now, in order, into a malloc'd array. An
 * overflowed queue (ENOBUFS) sets *lost; what could be read is kept. */
int nftrace_read (struct nl *mon, struct nftrace_event **out, size_t *n,
                  int *lost, struct err *e);
/* Parse one NFT_MSG_TRACE message: 1, 0 for another message, -1 when
 * malformed. For nftrace_read and the unit tests. */
int nftrace_parse (const struct nlmsghdr *nlh, struct nftrace_event *ev);

#endif
