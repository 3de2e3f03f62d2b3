/*
 * route.c - routes over rtnetlink.
 */
#include "route.h"

#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void route_info_init (struct route_info *r) {
  memset(r, 0, sizeof *r);
  r->table = RT_TABLE_MAIN;
  r->protocol = RTPROT_BOOT;
  r->type = RTN_UNICAST;
  r->scope = RT_SCOPE_NOWHERE;
}

/* iproute2's rule: local and nat routes are host scope; broadcast,
 * multicast, anycast and gateway-less unicast are link scope. */
static unsigned char derived_scope (const struct route_info *r) {
  if (r->scope != RT_SCOPE_NOWHERE) return r->scope;
  switch (r->type) {
  case RTN_LOCAL:
  case RTN_NAT: return RT_SCOPE_HOST;
  case RTN_BROADCAST:
  case RTN_MULTICAST:
  case RTN_ANYCAST: return RT_SCOPE_LINK;
  case RTN_UNICAST:
  case RTN_UNSPEC: return r->gateway.family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  default: return RT_SCOPE_UNIVERSE;
  }
}

static int route_family (const struct route_info *r, struct err *e) {
  int f = r->family       ? r->family
          : r->dst.family ? r->dst.family
                          : r->gateway.family;
  if (!f)
    return err_set(e, EINVAL, "a default route needs a family or a gateway");
  if ((r->dst.family && r->dst.family != f) ||
      (r->gateway.family && r->gateway.family != f))
    return err_set(e, EINVAL, "destination and gateway are not of one family");
  return f;
}

static struct nlmsghdr *route_msg (struct nl *nl, void *buf, uint16_t type,
                                   uint16_t flags, const struct route_info *r,
                                   int family) {
  struct nlmsghdr *nlh = nl_msg(nl, buf, type, flags);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
  rtm->rtm_family = (unsigned char)family;
  rtm->rtm_dst_len = r->dst.family ? (unsigned char)r->dst.prefixlen : 0;
  rtm->rtm_table = r->table < 256 ? (unsigned char)r->table : RT_TABLE_UNSPEC;
  mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
  if (r->dst.family)
    mnl_attr_put(nlh, RTA_DST, ipaddr_len(&r->dst), r->dst.bytes);
  if (r->gateway.family)
    mnl_attr_put(nlh, RTA_GATEWAY, ipaddr_len(&r->gateway), r->gateway.bytes);
  if (r->prefsrc.family)
    mnl_attr_put(nlh, RTA_PREFSRC, ipaddr_len(&r->prefsrc), r->prefsrc.bytes);
  if (r->oif > 0) mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
  if (r->has_priority) mnl_attr_put_u32(nlh, RTA_PRIORITY, r->priority);
  return nlh;
}

struct nlmsghdr *route_build (struct nl *nl, void *buf, uint16_t type,
                              const struct route_info *r, struct err *e) {
  int family = route_family(r, e);
  if (family < 0) return NULL;
  int add = type == RTM_NEWROUTE;
  struct nlmsghdr *nlh =
      route_msg(nl, buf, type, add ? NLM_F_CREATE | NLM_F_EXCL : 0, r, family);
  struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
  if (add) {
    rtm->rtm_protocol = r->protocol;
    rtm->rtm_type = r->type;
    rtm->rtm_scope = derived_scope(r);
  } else {
    /* As `ip route del`: protocol, scope and a unicast type match any. */
    rtm->rtm_scope = RT_SCOPE_NOWHERE;
    rtm->rtm_type = r->type == RTN_UNICAST ? RTN_UNSPEC : r->type;
  }
  return nlh;
}

int route_add (struct nl *nl, const struct route_info *r, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = route_build(nl, buf, RTM_NEWROUTE, r, e);
  return nlh ? nl_request(nl, nlh, e) : -1;
}

int route_del (struct nl *nl, const struct route_info *r, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = route_build(nl, buf, RTM_DELROUTE, r, e);
  return nlh ? nl_request(nl, nlh, e) : -1;
}

/*
** {======================================================
** Reading routes
** =======================================================
*/

static void take_addr (struct ipaddr *dst, const struct nlattr *attr,
                       int family, int prefixlen) {
  ipaddr_from_bytes(dst, family, mnl_attr_get_payload(attr),
                    mnl_attr_get_payload_len(attr), prefixlen);
}

static int route_attr (const struct nlattr *attr, void *data) {
  struct route_info *r = data;
  size_t len = mnl_attr_get_payload_len(attr);
  switch (mnl_attr_get_type(attr)) {
  case RTA_DST: take_addr(&r->dst, attr, r->family, r->dst.prefixlen); break;
  case RTA_GATEWAY: take_addr(&r->gateway, attr, r->family, -1); break;
  case RTA_PREFSRC: take_addr(&r->prefsrc, attr, r->family, -1); break;
  case RTA_OIF: /* an ifindex is a positive int: 2^31 and more is none */
    if (len == 4 && mnl_attr_get_u32(attr) <= INT_MAX)
      r->oif = (int)mnl_attr_get_u32(attr);
    break;
  case RTA_IIF:
    if (len == 4 && mnl_attr_get_u32(attr) <= INT_MAX)
      r->iif = (int)mnl_attr_get_u32(attr);
    break;
  case RTA_TABLE:
    if (len == 4) r->table = mnl_attr_get_u32(attr);
    break;
  case RTA_PRIORITY:
    if (len == 4) {
      r->priority = mnl_attr_get_u32(attr);
      r->has_priority = 1;
    }
    break;
  }
  return MNL_CB_OK;
}

int route_parse (const struct nlmsghdr *nlh, struct route_info *r) {
  const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *rtm)) return -1;
  /* Only IP routes (an AF_UNSPEC dump also holds multicast routing). */
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) return 0;
  memset(r, 0, sizeof *r);
  r->family = rtm->rtm_family;
  r->dst.prefixlen = rtm->rtm_dst_len;
  r->table = rtm->rtm_table;
  r->type = rtm->rtm_type;
  r->protocol = rtm->rtm_protocol;
  r->scope = rtm->rtm_scope;
  r->flags = rtm->rtm_flags;
  if (mnl_attr_parse(nlh, sizeof *rtm, route_attr, r) < 0) return -1;
  /* A default route has no RTA_DST; remember its length as 0. */
  if (!r->dst.family) r->dst.prefixlen = 0;
  return 1;
}

/* A dump's entry: the routes of the tables, not the cache. */
static int parse_listed (const struct nlmsghdr *nlh, void *item) {
  int keep = route_parse(nlh, item);
  return keep == 1 && (((struct route_info *)item)->flags & RTM_F_CLONED)
             ? 0
             : keep;
}

/* With strict checking the kernel filters a dump by the header and the
 * attributes it was given (table, device) instead of ignoring them. */
static int strict (struct nl *nl, int on) {
  return setsockopt(mnl_socket_get_fd(nl->sock), SOL_NETLINK,
                    NETLINK_GET_STRICT_CHK, &on, sizeof on);
}

int route_list (struct nl *nl, int family, uint32_t table, int oif,
                struct route_info **out, size_t *count, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_GETROUTE, 0);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
  rtm->rtm_family = (unsigned char)family;
  if (table) {
    rtm->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
    mnl_attr_put_u32(nlh, RTA_TABLE, table);
  }
  if (oif > 0) mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
  int filtered = strict(nl, 1) == 0;
  int rc = nl_collect(nl, nlh, RTM_NEWROUTE, parse_listed, sizeof **out,
                      (void **)out, count, e);
  if (filtered) strict(nl, 0);
  if (rc < 0 && e->code == ENOENT && table) { /* "FIB table does not exist" */
    *out = NULL;
    *count = 0;
    return 0;
  }
  if (rc < 0) return -1;
  /* Kernels without strict checking send everything. */
  size_t kept = 0;
  for (size_t i = 0; i < *count; i++)
    if ((!table || (*out)[i].table == table) &&
        (oif <= 0 || (*out)[i].oif == oif))
      (*out)[kept++] = (*out)[i];
  *count = kept;
  return 0;
}

struct route_answer {
  struct route_info *r;
  int found;
};

static int answer_cb (const struct nlmsghdr *nlh, void *data) {
  struct route_answer *a = data;
  if (nlh->nlmsg_type != RTM_NEWROUTE || a->found) return MNL_CB_OK;
  int rc = route_parse(nlh, a->r);
  if (rc < 0) {
    errno = EPROTO;
    return MNL_CB_ERROR;
  }
  a->found = rc;
  return MNL_CB_OK;
}

int route_get (struct nl *nl, const struct route_query *q,
               struct route_info *out, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct route_answer a = {out, 0};
  if (!q->dst.family)
    return err_set(e, EINVAL, "a destination address is required");
  if (q->from.family && q->from.family != q->dst.family)
    return err_set(e, EINVAL, "destination and source are not of one family");
  struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_GETROUTE, 0);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
  rtm->rtm_family = (unsigned char)q->dst.family;
  rtm->rtm_dst_len = (unsigned char)(ipaddr_len(&q->dst) * 8);
  if (q->fibmatch) rtm->rtm_flags |= RTM_F_FIB_MATCH;
  mnl_attr_put(nlh, RTA_DST, ipaddr_len(&q->dst), q->dst.bytes);
  if (q->from.family) {
    rtm->rtm_src_len = (unsigned char)(ipaddr_len(&q->from) * 8);
    mnl_attr_put(nlh, RTA_SRC, ipaddr_len(&q->from), q->from.bytes);
  }
  if (q->oif > 0) mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)q->oif);
  if (q->iif > 0) mnl_attr_put_u32(nlh, RTA_IIF, (uint32_t)q->iif);
  if (nl_get(nl, nlh, answer_cb, &a, e) < 0) return -1;
  if (!a.found) return err_set(e, ENETUNREACH, NULL);
  return 0;
}

/* }====================================================== */
