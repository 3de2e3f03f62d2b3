/*
 * neigh.h - the neighbour table (ARP, NDP) and a bridge's forwarding
 * database, over rtnetlink (RTM_NEWNEIGH/DELNEIGH/GETNEIGH).
 *
 * To rtnetlink both are neighbours: an FDB entry is one of family
 * AF_BRIDGE, keyed by a MAC address (and VLAN) on a port instead of an IP
 * address on a device.
 */
#ifndef NSLAB_NEIGH_H
#define NSLAB_NEIGH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "ipaddr.h"
#include "link.h"
#include "nl.h"

/* One entry, as the kernel reports it or as it is to be made. */
struct neigh_info {
  int family;                          /* AF_INET, AF_INET6 or AF_BRIDGE */
  int ifindex;                         /* the device; for the FDB, the port */
  struct ipaddr dst;                   /* NDA_DST; family 0 in the FDB */
  unsigned char lladdr[LINK_ADDR_MAX]; /* NDA_LLADDR; the FDB's MAC */
  int lladdr_len;    /* 0: none (INCOMPLETE, FAILED entries) */
  unsigned state;    /* NUD_* */
  unsigned flags;    /* NTF_* */
  int master;        /* NDA_MASTER: the bridge, 0 for none */
  int vlan;          /* NDA_VLAN, -1 for none */
  int has_cacheinfo; /* NDA_CACHEINFO came: the times below are set */
  unsigned used, confirmed, updated; /* centiseconds ago (clock_t) */
};

/* An entry to add or delete: family, ifindex, dst (not for AF_BRIDGE),
 * lladdr, state, flags (NTF_ROUTER; NTF_MASTER and/or NTF_SELF for the
 * FDB) and vlan (-1 for none) are used. */
void neigh_info_init (struct neigh_info *n, int family, int ifindex);

/* Add or replace (NLM_F_CREATE | NLM_F_REPLACE, as `ip neigh replace`
 * and `bridge fdb replace`): running a lab step twice is not an error. */
int neigh_add (struct nl *nl, const struct neigh_info *n, struct err *e);
int neigh_del (struct nl *nl, const struct neigh_info *n, struct err *e);

/* Add or replace n entries (any devices, neighbours and FDB entries alike)
 * in few sends: up to NEIGH_PER_SEND requests in one datagram, each
 * acknowledged. All or nothing: every entry is checked before anything is
 * sent; when the kernel refuses one, *failed is its index, e says why in
 * the kernel's words, no later send is made, and the entries this call
 * had added or replaced are deleted again (an entry that is deleted so
 * was there before is not restored). *failed is n when nothing failed or
 * the call as a whole did (e.g. no memory). */
#define NEIGH_PER_SEND 64
int neigh_add_many (struct nl *nl, const struct neigh_info *v, size_t n,
                    size_t *failed, struct err *e);

/* One namespace's part of neigh_add_each: its socket and its entries. */
struct neigh_batch {
  struct nl *nl;
  const struct neigh_info *v;
  size_t n;
  size_t failed; /* out: neigh_add_many's, for the batch that failed */
  struct err e;  /* out: why */
};

/* neigh_add_many for each batch in order (the sockets of many namespaces:
 * a probe from one container to 999 others needs 999 entries in the first
 * and one in each of the others), all or nothing: when the kernel refuses
 * an entry, *bad is its batch, whose failed and e say which and why, no
 * later batch is sent, and what the batches before it added is deleted
 * again, as neigh_add_many takes back its own. (The kernel adds entries
 * one at a time, under RTNL: sending from two threads measured no faster,
 * and spun on the lock.) */
int neigh_add_each (struct neigh_batch *b, size_t nb, size_t *bad);

/* Build the requests of type (RTM_NEWNEIGH or RTM_DELNEIGH) for v[0..n)
 * back to back in buf (n * NEIGH_MSG_MAX bytes), each asking for an ACK,
 * with consecutive sequence numbers from *first: the length, or 0 when
 * an entry is none (*failed is its index, e says why). For the unit tests
 * as much as the above. */
#define NEIGH_MSG_MAX 256
size_t neigh_build_many (struct nl *nl, void *buf, uint16_t type,
                         const struct neigh_info *v, size_t n, uint32_t *first,
                         size_t *failed, struct err *e);

/* family: AF_UNSPEC (IPv4 and IPv6), AF_INET, AF_INET6, or AF_BRIDGE for
 * every FDB entry of the namespace (bridges' and devices' own, as `bridge
 * fdb show`); *out is malloc'd. */
int neigh_list (struct nl *nl, int family, struct neigh_info **out,
                size_t *count, struct err *e);

/* The message neigh_add (RTM_NEWNEIGH) or neigh_del (RTM_DELNEIGH) sends
 * for n, built in buf (MNL_SOCKET_BUFFER_SIZE bytes); NULL when n is no
 * entry (e says why). For the unit tests as much as the above. */
struct nlmsghdr *neigh_build (struct nl *nl, void *buf, uint16_t type,
                              const struct neigh_info *n, struct err *e);
/* Read one RTM_NEWNEIGH (a neighbour or an FDB entry) into n: 1, or -1
 * for a malformed message. */
int neigh_parse (const struct nlmsghdr *nlh, struct neigh_info *n);

#endif
