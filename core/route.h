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
  struct ipaddr dst;         /* prefixlen = dst_len; family 0 = default */
  struct ipaddr gateway;     /* family 0 = none */
  struct ipaddr prefsrc;     /* family 0 = none */
  int oif;                   /* 0 = none */
  uint32_t table;            /* RT_TABLE_* or any number */
  uint32_t priority;         /* metric */
  int has_priority;
  unsigned char type;        /* RTN_* */
  unsigned char protocol;    /* RTPROT_* */
  unsigned char scope;       /* RT_SCOPE_*; RT_SCOPE_NOWHERE: derive it */
};

/* Defaults as `ip route add` has them: table main, protocol boot, type
 * unicast, and the scope derived when the route is added (link for a
 * device route without gateway, host for local routes, else universe). */
void route_info_init(struct route_info *r);

int route_add(struct nl *nl, const struct route_info *r, struct err *e);
/* Deletes the first route matching dst, table and whatever else is set;
 * protocol, scope and a unicast type match anything, as with `ip route del`. */
int route_del(struct nl *nl, const struct route_info *r, struct err *e);
/* family AF_UNSPEC for both; table 0 for every table. */
int route_list(struct nl *nl, int family, uint32_t table,
               struct route_info **out, size_t *count, struct err *e);

#endif
