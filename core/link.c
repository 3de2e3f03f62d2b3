/*
 * link.c - network devices over rtnetlink.
 */
#include "link.h"

#include <ctype.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

int link_add(struct nl *nl, const struct link_spec *s, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  int is_veth = !strcmp(s->kind, "veth");
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
  mnl_attr_nest_end(nlh, info);
  return nl_request(nl, nlh, e);
}

static void put_addrgenmode(struct nlmsghdr *nlh, int mode) {
  struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
  struct nlattr *inet6 = mnl_attr_nest_start(nlh, AF_INET6);
  mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, (uint8_t)mode);
  mnl_attr_nest_end(nlh, inet6);
  mnl_attr_nest_end(nlh, spec);
}

int link_set(struct nl *nl, int ifindex, const char *name,
             const struct link_change *c, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  if (c->name && link_name_ok(c->name, e) < 0) return -1;
  /* A rename must address the device by index: with no index the kernel
     reads IFLA_IFNAME as the device to look up, not its new name. */
  if (c->name && ifindex <= 0 && (ifindex = link_index(nl, name, e)) < 0)
    return -1;
  struct nlmsghdr *nlh = link_msg(nl, buf, RTM_NEWLINK, 0, ifindex, name);
  struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  if (c->up >= 0) {
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = c->up ? IFF_UP : 0;
  }
  if (c->name) mnl_attr_put_strz(nlh, IFLA_IFNAME, c->name);
  if (c->mtu) mnl_attr_put_u32(nlh, IFLA_MTU, c->mtu);
  if (c->addr_len) mnl_attr_put(nlh, IFLA_ADDRESS, (size_t)c->addr_len, c->address);
  if (c->netns_fd >= 0) mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)c->netns_fd);
  if (c->master >= 0) mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)c->master);
  if (c->addrgenmode >= 0) put_addrgenmode(nlh, c->addrgenmode);
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

static int kind_attr(const struct nlattr *attr, void *data) {
  struct link_info *info = data;
  if (mnl_attr_get_type(attr) == IFLA_INFO_KIND)
    copy_str(info->kind, sizeof info->kind, attr);
  return MNL_CB_OK;
}

static int link_attr(const struct nlattr *attr, void *data) {
  struct link_info *info = data;
  size_t len = mnl_attr_get_payload_len(attr);
  switch (mnl_attr_get_type(attr)) {
  case IFLA_IFNAME: copy_str(info->ifname, sizeof info->ifname, attr); break;
  case IFLA_QDISC: copy_str(info->qdisc, sizeof info->qdisc, attr); break;
  case IFLA_MTU: if (len == 4) info->mtu = mnl_attr_get_u32(attr); break;
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
  case IFLA_LINKINFO: mnl_attr_parse_nested(attr, kind_attr, info); break;
  }
  return MNL_CB_OK;
}

static int parse_link(const struct nlmsghdr *nlh, struct link_info *info) {
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  memset(info, 0, sizeof *info);
  info->link_netnsid = -1;
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
