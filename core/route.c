/*
 * route.c - routes over rtnetlink.
 */
#include "route.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void route_info_init(struct route_info *r) {
  memset(r, 0, sizeof *r);
  r->table = RT_TABLE_MAIN;
  r->protocol = RTPROT_BOOT;
  r->type = RTN_UNICAST;
  r->scope = RT_SCOPE_NOWHERE;
}

/* iproute2's rule: local and nat routes are host scope; broadcast,
 * multicast, anycast and gateway-less unicast are link scope. */
static unsigned char derived_scope(const struct route_info *r) {
  if (r->scope != RT_SCOPE_NOWHERE) return r->scope;
  switch (r->type) {
  case RTN_LOCAL: case RTN_NAT: return RT_SCOPE_HOST;
  case RTN_BROADCAST: case RTN_MULTICAST: case RTN_ANYCAST:
    return RT_SCOPE_LINK;
  case RTN_UNICAST: case RTN_UNSPEC:
    return r->gateway.family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  default: return RT_SCOPE_UNIVERSE;
  }
}

static int route_family(const struct route_info *r, struct err *e) {
  int f = r->family ? r->family : r->dst.family ? r->dst.family
                                : r->gateway.family;
  if (!f) return err_set(e, EINVAL, "a default route needs a family or a gateway");
  if ((r->dst.family && r->dst.family != f) ||
      (r->gateway.family && r->gateway.family != f))
    return err_set(e, EINVAL, "destination and gateway are not of one family");
  return f;
}

static struct nlmsghdr *route_msg(struct nl *nl, void *buf, uint16_t type,
                                  uint16_t flags, const struct route_info *r,
                                  int family) {
  struct nlmsghdr *nlh = nl_msg(nl, buf, type, flags);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
  rtm->rtm_family = (unsigned char)family;
  rtm->rtm_dst_len = r->dst.family ? (unsigned char)r->dst.prefixlen : 0;
  rtm->rtm_table = r->table < 256 ? (unsigned char)r->table : RT_TABLE_UNSPEC;
  mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
  if (r->dst.family) mnl_attr_put(nlh, RTA_DST, ipaddr_len(&r->dst), r->dst.bytes);
  if (r->gateway.family)
    mnl_attr_put(nlh, RTA_GATEWAY, ipaddr_len(&r->gateway), r->gateway.bytes);
  if (r->prefsrc.family)
    mnl_attr_put(nlh, RTA_PREFSRC, ipaddr_len(&r->prefsrc), r->prefsrc.bytes);
  if (r->oif > 0) mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
  if (r->has_priority) mnl_attr_put_u32(nlh, RTA_PRIORITY, r->priority);
  return nlh;
}

int route_add(struct nl *nl, const struct route_info *r, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  int family = route_family(r, e);
  if (family < 0) return -1;
  struct nlmsghdr *nlh = route_msg(nl, buf, RTM_NEWROUTE,
                                   NLM_F_CREATE | NLM_F_EXCL, r, family);
  struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
  rtm->rtm_protocol = r->protocol;
  rtm->rtm_type = r->type;
  rtm->rtm_scope = derived_scope(r);
  return nl_request(nl, nlh, e);
}

int route_del(struct nl *nl, const struct route_info *r, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  int family = route_family(r, e);
  if (family < 0) return -1;
  struct nlmsghdr *nlh = route_msg(nl, buf, RTM_DELROUTE, 0, r, family);
  struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
  rtm->rtm_scope = RT_SCOPE_NOWHERE;
  rtm->rtm_type = r->type == RTN_UNICAST ? RTN_UNSPEC : r->type;
  return nl_request(nl, nlh, e);
}

/*
** {======================================================
** Reading routes
** =======================================================
*/

static void take_addr(struct ipaddr *dst, const struct nlattr *attr,
                      int family, int prefixlen) {
  ipaddr_from_bytes(dst, family, mnl_attr_get_payload(attr),
                    mnl_attr_get_payload_len(attr), prefixlen);
}

static int route_attr(const struct nlattr *attr, void *data) {
  struct route_info *r = data;
  size_t len = mnl_attr_get_payload_len(attr);
  switch (mnl_attr_get_type(attr)) {
  case RTA_DST: take_addr(&r->dst, attr, r->family, r->dst.prefixlen); break;
  case RTA_GATEWAY: take_addr(&r->gateway, attr, r->family, -1); break;
  case RTA_PREFSRC: take_addr(&r->prefsrc, attr, r->family, -1); break;
  case RTA_OIF: if (len == 4) r->oif = (int)mnl_attr_get_u32(attr); break;
  case RTA_TABLE: if (len == 4) r->table = mnl_attr_get_u32(attr); break;
  case RTA_PRIORITY:
    if (len == 4) {
      r->priority = mnl_attr_get_u32(attr);
      r->has_priority = 1;
    }
    break;
  }
  return MNL_CB_OK;
}

static int parse_route(const struct nlmsghdr *nlh, void *item) {
  const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
  struct route_info *r = item;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof *rtm) return -1;
  if (rtm->rtm_flags & RTM_F_CLONED) return 0; /* a cache entry */
  /* Only IP routes (an AF_UNSPEC dump also holds multicast routing). */
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) return 0;
  memset(r, 0, sizeof *r);
  r->family = rtm->rtm_family;
  r->dst.prefixlen = rtm->rtm_dst_len;
  r->table = rtm->rtm_table;
  r->type = rtm->rtm_type;
  r->protocol = rtm->rtm_protocol;
  r->scope = rtm->rtm_scope;
  if (mnl_attr_parse(nlh, sizeof *rtm, route_attr, r) < 0) return -1;
  /* A default route has no RTA_DST; remember its length as 0. */
  if (!r->dst.family) r->dst.prefixlen = 0;
  return 1;
}

int route_list(struct nl *nl, int family, uint32_t table,
               struct route_info **out, size_t *count, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_GETROUTE, 0);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
  rtm->rtm_family = (unsigned char)family;
  if (nl_collect(nl, nlh, RTM_NEWROUTE, parse_route, sizeof **out,
                 (void **)out, count, e) < 0)
    return -1;
  /* The kernel filters by table only under strict checking; do it here. */
  size_t kept = 0;
  for (size_t i = 0; i < *count; i++)
    if (!table || (*out)[i].table == table) (*out)[kept++] = (*out)[i];
  *count = kept;
  return 0;
}

/* }====================================================== */
