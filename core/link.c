/*
 * link.c - network devices over rtnetlink.
 */
#include "link.h"

#include <ctype.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void bridge_opts_init(struct bridge_opts *b) {
  memset(b, 0, sizeof *b);
  b->forward_delay = b->hello_time = b->max_age = b->ageing_time = -1;
  b->stp = b->priority = b->mcast_snooping = -1;
}

void link_change_init(struct link_change *c) {
  memset(c, 0, sizeof *c);
  c->up = -1;
  c->netns_fd = -1;
  c->master = -1;
  c->addrgenmode = -1;
}

/* The kernel's dev_valid_name(), checked here so the error can say why. */
int link_name_ok(const char *name, struct err *e) {
  size_t len = strlen(name);
  if (len == 0) return err_set(e, EINVAL, "empty interface name");
  if (len >= IFNAMSIZ)
    return err_set(e, EINVAL, "interface name longer than %d bytes",
                   IFNAMSIZ - 1);
  if (!strcmp(name, ".") || !strcmp(name, ".."))
    return err_set(e, EINVAL, "interface name cannot be . or ..");
  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
      return err_set(e, EINVAL,
                     "interface name cannot contain '/', ':' or spaces");
  return 0;
}

int link_parse_hw(const char *text, unsigned char *out, struct err *e) {
  int n = 0;
  const char *p = text;
  /* Exactly two hex digits per byte: sscanf's %x would take signs,
     spaces and "0x". */
  while (*p && n < LINK_ADDR_MAX) {
    if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1])) break;
    char byte[3] = {p[0], p[1], '\0'};
    out[n++] = (unsigned char)strtoul(byte, NULL, 16);
    p += 2;
    if (*p == ':') p++;
    else break;
  }
  if (*p || n == 0 || p[-1] == ':')
    return err_set(e, EINVAL, "not a hardware address (aa:bb:cc:dd:ee:ff)");
  return n;
}

void link_format_hw(const unsigned char *a, int len, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < len && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, i ? ":%02x" : "%02x", a[i]);
}

/* Start an RTM_*LINK message for the device ifindex, or name. */
static struct nlmsghdr *link_msg(struct nl *nl, void *buf, uint16_t type,
                                 uint16_t flags, int ifindex,
                                 const char *name) {
  struct nlmsghdr *nlh = nl_msg(nl, buf, type, flags);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex > 0 ? ifindex : 0;
  if (ifindex <= 0 && name) mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  return nlh;
}

/* One queue each way: the default (one per CPU) is shrunk later by the
 * kernel under RTNL with an RCU grace period (PERFORMANCE.md). */
static void put_one_queue(struct nlmsghdr *nlh) {
  mnl_attr_put_u32(nlh, IFLA_NUM_TX_QUEUES, 1);
  mnl_attr_put_u32(nlh, IFLA_NUM_RX_QUEUES, 1);
}

/* VETH_INFO_PEER carries a whole ifinfomsg and attributes of its own; the
 * peer can be born in its namespace with its final name. */
static void put_veth_peer(struct nlmsghdr *nlh, const struct link_spec *s) {
  struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  if (s->peer) mnl_attr_put_strz(nlh, IFLA_IFNAME, s->peer);
  if (s->peer_netns_fd >= 0)
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)s->peer_netns_fd);
  if (s->mtu) mnl_attr_put_u32(nlh, IFLA_MTU, s->mtu);
  put_one_queue(nlh);
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, data);
}

/* IFLA_INFO_DATA of a bridge: only the options that are set. */
static void put_bridge_data(struct nlmsghdr *nlh, const struct bridge_opts *b) {
  struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  if (b->forward_delay >= 0) mnl_attr_put_u32(nlh, IFLA_BR_FORWARD_DELAY, (uint32_t)b->forward_delay);
  if (b->hello_time >= 0) mnl_attr_put_u32(nlh, IFLA_BR_HELLO_TIME, (uint32_t)b->hello_time);
  if (b->max_age >= 0) mnl_attr_put_u32(nlh, IFLA_BR_MAX_AGE, (uint32_t)b->max_age);
  if (b->ageing_time >= 0) mnl_attr_put_u32(nlh, IFLA_BR_AGEING_TIME, (uint32_t)b->ageing_time);
  if (b->stp >= 0) mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, (uint32_t)b->stp);
  if (b->priority >= 0) mnl_attr_put_u16(nlh, IFLA_BR_PRIORITY, (uint16_t)b->priority);
  if (b->mcast_snooping >= 0) mnl_attr_put_u8(nlh, IFLA_BR_MCAST_SNOOPING, (uint8_t)b->mcast_snooping);
  mnl_attr_nest_end(nlh, data);
}

/* The kernel's STP limits (BR_MIN_* .. BR_MAX_*, in centiseconds), checked
 * here because it applies a bridge's options one by one and stops at the
 * first it refuses, with no words: a refused hello_time after an accepted
 * forward_delay would leave half a change. And it clamps a forward delay
 * set together with STP on (checked before STP starts) to 2..30 s. */
static int bridge_opts_ok(const struct bridge_opts *b, struct err *e) {
  if (b->hello_time >= 0 && (b->hello_time < 100 || b->hello_time > 1000))
    return err_set(e, ERANGE, "%s (hello_time must be 1..10 s)", strerror(ERANGE));
  if (b->max_age >= 0 && (b->max_age < 600 || b->max_age > 4000))
    return err_set(e, ERANGE, "%s (max_age must be 6..40 s)", strerror(ERANGE));
  if (b->stp > 0 && b->forward_delay >= 0 &&
      (b->forward_delay < 200 || b->forward_delay > 3000))
    return err_set(e, ERANGE, "%s (forward_delay must be 2..30 s with STP on)",
                   strerror(ERANGE));
  return 0;
}

int link_add(struct nl *nl, const struct link_spec *s, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  int is_veth = !strcmp(s->kind, "veth");
  if (s->bridge && strcmp(s->kind, "bridge"))
    return err_set(e, EINVAL, "bridge options need kind \"bridge\"");
  if (s->bridge && bridge_opts_ok(s->bridge, e) < 0) return -1;
  if (link_name_ok(s->name, e) < 0) return -1;
  if (s->peer && link_name_ok(s->peer, e) < 0) {
    char why[sizeof e->reason];
    snprintf(why, sizeof why, "%s", e->reason);
    return err_set(e, EINVAL, "peer \"%s\": %s", s->peer, why);
  }
  struct nlmsghdr *nlh = link_msg(nl, buf, RTM_NEWLINK,
                                  NLM_F_CREATE | NLM_F_EXCL, 0, s->name);
  if (s->mtu) mnl_attr_put_u32(nlh, IFLA_MTU, s->mtu);
  if (s->netns_fd >= 0) mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)s->netns_fd);
  if (is_veth) put_one_queue(nlh);
  struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, s->kind);
  if (is_veth) put_veth_peer(nlh, s);
  if (s->bridge) put_bridge_data(nlh, s->bridge);
  mnl_attr_nest_end(nlh, info);
  return nl_request(nl, nlh, e);
}

int link_del(struct nl *nl, int ifindex, const char *name, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  if (ifindex <= 0 && link_name_ok(name, e) < 0) return -1;
  return nl_request(nl, link_msg(nl, buf, RTM_DELLINK, 0, ifindex, name), e);
}

/*
** {======================================================
** Reading devices
** =======================================================
*/

static void copy_str(char *dst, size_t size, const struct nlattr *attr) {
  size_t len = strnlen(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr));
  if (len >= size) len = size - 1;
  memcpy(dst, mnl_attr_get_payload(attr), len);
  dst[len] = '\0';
}

/* Collect the attributes of a nest by type, the libmnl way; the caller
 * validates each one it uses. */
struct attr_table {
  const struct nlattr **tb;
  unsigned max;
};

static int table_attr(const struct nlattr *attr, void *data) {
  const struct attr_table *t = data;
  unsigned type = mnl_attr_get_type(attr);
  if (type <= t->max) t->tb[type] = attr;
  return MNL_CB_OK;
}

static int nested(const struct nlattr *nest, const struct nlattr **tb,
                  unsigned max) {
  struct attr_table t = {tb, max};
  memset(tb, 0, (max + 1) * sizeof *tb);
  return mnl_attr_parse_nested(nest, table_attr, &t);
}

/* The value of an attribute of exactly width bytes, else dflt. */
static long uint_attr(const struct nlattr *a, size_t width, long dflt) {
  if (!a || mnl_attr_get_payload_len(a) != width) return dflt;
  switch (width) {
  case 1: return mnl_attr_get_u8(a);
  case 2: return mnl_attr_get_u16(a);
  default: return (long)mnl_attr_get_u32(a);
  }
}

static void parse_bridge(const struct nlattr *data, struct bridge_opts *b) {
  const struct nlattr *tb[IFLA_BR_MAX + 1];
  if (nested(data, tb, IFLA_BR_MAX) < 0) return;
  b->forward_delay = uint_attr(tb[IFLA_BR_FORWARD_DELAY], 4, 0);
  b->hello_time = uint_attr(tb[IFLA_BR_HELLO_TIME], 4, 0);
  b->max_age = uint_attr(tb[IFLA_BR_MAX_AGE], 4, 0);
  b->ageing_time = uint_attr(tb[IFLA_BR_AGEING_TIME], 4, 0);
  b->stp = uint_attr(tb[IFLA_BR_STP_STATE], 4, 0);
  b->priority = uint_attr(tb[IFLA_BR_PRIORITY], 2, 0);
  b->mcast_snooping = uint_attr(tb[IFLA_BR_MCAST_SNOOPING], 1, 0);
  if (tb[IFLA_BR_BRIDGE_ID] &&
      mnl_attr_get_payload_len(tb[IFLA_BR_BRIDGE_ID]) == sizeof b->id)
    memcpy(b->id, mnl_attr_get_payload(tb[IFLA_BR_BRIDGE_ID]), sizeof b->id);
}

static void parse_port(const struct nlattr *data, struct bridge_port *p) {
  const struct nlattr *tb[IFLA_BRPORT_MAX + 1];
  if (nested(data, tb, IFLA_BRPORT_MAX) < 0) return;
  p->state = (unsigned char)uint_attr(tb[IFLA_BRPORT_STATE], 1, 0);
  p->priority = (unsigned)uint_attr(tb[IFLA_BRPORT_PRIORITY], 2, 0);
  p->cost = (unsigned)uint_attr(tb[IFLA_BRPORT_COST], 4, 0);
  p->learning = (int)uint_attr(tb[IFLA_BRPORT_LEARNING], 1, 0);
  p->flood = (int)uint_attr(tb[IFLA_BRPORT_UNICAST_FLOOD], 1, 0);
}

static int is_str(const struct nlattr *a, const char *s) {
  return a && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
         !strcmp(mnl_attr_get_str(a), s);
}

/* IFLA_LINKINFO: the kind, a bridge's own data, a port's bridge data. */
static void parse_linkinfo(const struct nlattr *nest, struct link_info *info) {
  const struct nlattr *tb[IFLA_INFO_MAX + 1];
  if (nested(nest, tb, IFLA_INFO_MAX) < 0) return;
  if (tb[IFLA_INFO_KIND]) copy_str(info->kind, sizeof info->kind, tb[IFLA_INFO_KIND]);
  if (is_str(tb[IFLA_INFO_KIND], "bridge") && tb[IFLA_INFO_DATA]) {
    info->is_bridge = 1;
    parse_bridge(tb[IFLA_INFO_DATA], &info->bridge);
  }
  if (is_str(tb[IFLA_INFO_KIND], "tun") && tb[IFLA_INFO_DATA]) {
    const struct nlattr *tun[IFLA_TUN_MAX + 1];
    if (nested(tb[IFLA_INFO_DATA], tun, IFLA_TUN_MAX) >= 0)
      info->tun_type = (int)uint_attr(tun[IFLA_TUN_TYPE], 1, 0);
  }
  if (is_str(tb[IFLA_INFO_SLAVE_KIND], "bridge") && tb[IFLA_INFO_SLAVE_DATA]) {
    info->is_port = 1;
    parse_port(tb[IFLA_INFO_SLAVE_DATA], &info->port);
  }
}

/* IFLA_AF_SPEC: IPv6's address generation mode (absent when the device
 * has no IPv6, e.g. below MTU 1280). */
static void parse_af_spec(const struct nlattr *nest, struct link_info *info) {
  const struct nlattr *af[AF_INET6 + 1], *tb[IFLA_INET6_MAX + 1];
  if (nested(nest, af, AF_INET6) < 0 || !af[AF_INET6]) return;
  if (nested(af[AF_INET6], tb, IFLA_INET6_MAX) < 0) return;
  info->addrgenmode = (int)uint_attr(tb[IFLA_INET6_ADDR_GEN_MODE], 1, -1);
}

static int link_attr(const struct nlattr *attr, void *data) {
  struct link_info *info = data;
  size_t len = mnl_attr_get_payload_len(attr);
  switch (mnl_attr_get_type(attr)) {
  case IFLA_IFNAME: copy_str(info->ifname, sizeof info->ifname, attr); break;
  case IFLA_QDISC: copy_str(info->qdisc, sizeof info->qdisc, attr); break;
  case IFLA_MTU: if (len == 4) info->mtu = mnl_attr_get_u32(attr); break;
  case IFLA_MIN_MTU: if (len == 4) info->min_mtu = mnl_attr_get_u32(attr); break;
  case IFLA_MAX_MTU: if (len == 4) info->max_mtu = mnl_attr_get_u32(attr); break;
  case IFLA_AF_SPEC: parse_af_spec(attr, info); break;
  case IFLA_TXQLEN: if (len == 4) info->txqlen = mnl_attr_get_u32(attr); break;
  case IFLA_MASTER: if (len == 4) info->master = (int)mnl_attr_get_u32(attr); break;
  case IFLA_LINK: if (len == 4) info->link = (int)mnl_attr_get_u32(attr); break;
  case IFLA_LINK_NETNSID:
    if (len == 4) info->link_netnsid = (int)mnl_attr_get_u32(attr);
    break;
  case IFLA_OPERSTATE: if (len == 1) info->operstate = mnl_attr_get_u8(attr); break;
  case IFLA_ADDRESS:
    if (len <= LINK_ADDR_MAX) {
      memcpy(info->address, mnl_attr_get_payload(attr), len);
      info->addr_len = (int)len;
    }
    break;
  case IFLA_BROADCAST:
    if (len <= LINK_ADDR_MAX) memcpy(info->broadcast, mnl_attr_get_payload(attr), len);
    break;
  case IFLA_LINKINFO: parse_linkinfo(attr, info); break;
  }
  return MNL_CB_OK;
}

static int parse_link(const struct nlmsghdr *nlh, struct link_info *info) {
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  memset(info, 0, sizeof *info);
  info->link_netnsid = -1;
  info->addrgenmode = -1;
  info->ifindex = ifi->ifi_index;
  info->flags = ifi->ifi_flags;
  info->type = ifi->ifi_type;
  return mnl_attr_parse(nlh, sizeof *ifi, link_attr, info) < 0 ? -1 : 0;
}

static int get_cb(const struct nlmsghdr *nlh, void *data) {
  if (nlh->nlmsg_type != RTM_NEWLINK) return MNL_CB_OK;
  return parse_link(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int link_get(struct nl *nl, int ifindex, const char *name,
             struct link_info *out, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  if (ifindex <= 0 && link_name_ok(name, e) < 0) return -1;
  struct nlmsghdr *nlh = link_msg(nl, buf, RTM_GETLINK, 0, ifindex, name);
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  memset(out, 0, sizeof *out);
  return nl_get(nl, nlh, get_cb, out, e);
}

int link_index(struct nl *nl, const char *name, struct err *e) {
  struct link_info info;
  if (link_get(nl, 0, name, &info, e) < 0) return -1;
  return info.ifindex;
}

static int parse_item(const struct nlmsghdr *nlh, void *item) {
  return parse_link(nlh, item) < 0 ? -1 : 1;
}

int link_list(struct nl *nl, struct link_info **out, size_t *count,
              struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = link_msg(nl, buf, RTM_GETLINK, 0, 0, NULL);
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return nl_collect(nl, nlh, RTM_NEWLINK, parse_item, sizeof **out,
                    (void **)out, count, e);
}

/* }====================================================== */

void link_put_bridge_data(struct nlmsghdr *nlh, const struct bridge_opts *b) {
  put_bridge_data(nlh, b);
}

int link_bridge_opts_ok(const struct bridge_opts *b, struct err *e) {
  return bridge_opts_ok(b, e);
}
