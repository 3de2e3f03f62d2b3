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
