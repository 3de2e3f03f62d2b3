/*
 * route.h - routes over rtnetlink (RTM_NEWROUTE/DELROUTE/GETROUTE).
 */
#ifndef NSLAB_ROUTE_H
#define NSLAB_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "ipaddr.h"
#include "nl.h"

struct route_info {
  int family;
  struct ipaddr dst;     /* prefixlen = dst_len; family 0 = default */
  struct ipaddr gateway; /* family 0 = none */
  struct ipaddr prefsrc; /* family 0 = none */
  int oif;               /* 0 = none */
  int iif;               /* 0 = none (a lookup's input device, RTA_IIF) */
  uint32_t table;        /* RT_TABLE_* or any number */
  uint32_t priority;     /* metric */
  int has_priority;
  unsigned char type;     /* RTN_* */
  unsigned char protocol; /* RTPROT_* */
  unsigned char scope;    /* RT_SCOPE_*; RT_SCOPE_NOWHERE: derive it */
  unsigned flags;         /* rtm_flags as read (RTM_F_CLONED: a cache entry) */
};

/* One route lookup, as `ip route get DST [from SRC] [iif DEV] [oif DEV]
 * [fibmatch]`. With iif the kernel looks the route up as for a packet
 * received on that device (forwarding, rp_filter and martians decide). */
struct route_query {
  struct ipaddr dst;  /* an address (its prefix length is ignored) */
  struct ipaddr from; /* family 0 = none */
  int oif;            /* 0 = any */
  int iif;            /* 0 = none: a packet this namespace sends */
  int fibmatch;       /* the route in the table, not the result */
};

/* Defaults as `ip route add` has them: table main, protocol boot, type
 * unicast, and the scope derived when the route is added (link for a
 * device route without gateway, host for local routes, else universe). */
void route_info_init (struct route_info *r);

int route_add (struct nl *nl, const struct route_info *r, struct err *e);
/* Deletes the first route matching dst, table and whatever else is set;
 * protocol, scope and a unicast type match anything, as with `ip route del`. */
int route_del (struct nl *nl, const struct route_info *r, struct err *e);
/* family AF_UNSPEC for both; table 0 for every table; oif 0 for every
 * device. The kernel filters (strict checking); cache entries are left
 * out. A table that does not exist has no routes. */
int route_list (struct nl *nl, int family, uint32_t table, int oif,
                struct route_info **out, size_t *count, struct err *e);
/* One RTM_GETROUTE: the route the kernel would take to q->dst. */
int route_get (struct nl *nl, const struct route_query *q,
               struct route_info *out, struct err *e);

/* The message route_add (RTM_NEWROUTE) or route_del (RTM_DELROUTE)
 * sends for r, built in buf (MNL_SOCKET_BUFFER_SIZE bytes); NULL when r
 * is no route (e says why). For the unit tests as much as for the above. */
struct nlmsghdr *route_build (struct nl *nl, void *buf, uint16_t type,
                              const struct route_info *r, struct err *e);
/* Read one RTM_NEWROUTE into r: 1, or 0 for what is no IP route (other
 * families), or -1 for a malformed message. */
int route_parse (const struct nlmsghdr *nlh, struct route_info *r);

#endif
