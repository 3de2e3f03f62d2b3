/*
 * link.c - network devices over rtnetlink.
 */
#include "link.h"
#include "link_kind.h"

#include <ctype.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void bridge_opts_init (struct bridge_opts *b) {
  memset(b, 0, sizeof *b);
  b->forward_delay = b->hello_time = b->max_age = b->ageing_time = -1;
  b->stp = b->priority = b->mcast_snooping = -1;
}

void link_change_init (struct link_change *c) {
  memset(c, 0, sizeof *c);
  c->up = -1;
  c->netns_fd = -1;
  c->master = -1;
  c->addrgenmode = -1;
}

/* The kernel's dev_valid_name(), checked here so the error can say why. */
int link_name_ok (const char *name, struct err *e) {
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

int link_parse_hw (const char *text, unsigned char *out, struct err *e) {
  int n = 0;
  const char *p = text;
  /* Exactly two hex digits per byte: sscanf's %x would take signs,
     spaces and "0x". */
  while (*p && n < LINK_ADDR_MAX) {
    if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1])) break;
    char byte[3] = {p[0], p[1], '\0'};
    out[n++] = (unsigned char)strtoul(byte, NULL, 16);
    p += 2;
    if (*p == ':')
      p++;
    else
      break;
  }
  if (*p || n == 0 || p[-1] == ':')
    return err_set(e, EINVAL, "not a hardware address (aa:bb:cc:dd:ee:ff)");
  return n;
}

void link_format_hw (const unsigned char *a, int len, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < len && used < size; i++)
    used +=
        (size_t)snprintf(buf + used, size - used, i ? ":%02x" : "%02x", a[i]);
}

/* Start an RTM_*LINK message for the device ifindex, or name. */
static struct nlmsghdr *link_msg (struct nl *nl, void *buf, uint16_t type,
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
static void put_one_queue (struct nlmsghdr *nlh) {
  mnl_attr_put_u32(nlh, IFLA_NUM_TX_QUEUES, 1);
  mnl_attr_put_u32(nlh, IFLA_NUM_RX_QUEUES, 1);
}

/* Everything link_add can refuse before building a message: names and
 * the kind's length first (nothing is put before they fit), then what
 * the kind's row takes and needs. */
static int check_spec (const struct link_spec *s, const struct link_kind *k,
                       const void *data, struct err *e) {
  if (link_name_ok(s->name, e) < 0) return -1;
  size_t len = strlen(s->kind);
  if (len == 0 || len > LINK_KIND_NAME_MAX)
    return err_set(e, EINVAL, "kind must be 1..%d bytes", LINK_KIND_NAME_MAX);
  if (s->peer && link_name_ok(s->peer, e) < 0) {
    char why[sizeof e->reason];
    snprintf(why, sizeof why, "%s", e->reason);
    return err_set(e, EINVAL, "peer \"%s\": %s", s->peer, why);
  }
  unsigned flags = k ? k->flags : 0;
  if ((s->peer || s->peer_netns_fd >= 0) && !(flags & LINK_KIND_PEER))
    return err_set(e, EINVAL, "a %s has no peer", s->kind);
  if ((flags & LINK_KIND_NEEDS_LINK) && s->link <= 0)
    return err_set(e, EINVAL, "a %s needs a parent device (link)", s->kind);
  /* the kernel ignores IFLA_LINK where a kind has no use for it */
  if (k && !(flags & LINK_KIND_NEEDS_LINK) && s->link > 0)
    return err_set(e, EINVAL, "a %s has no parent device (link)", s->kind);
  if (s->data && !k)
    return err_set(e, EINVAL, "kind \"%s\" takes no options of its own",
                   s->kind);
  if (k && k->create && s->mtu)
    return err_set(e, EINVAL, "a %s is made with ioctls: set its mtu after",
                   s->kind);
  if (s->addrgen < 0 || s->addrgen > 4)
    return err_set(e, EINVAL, "addrgenmode %d is no IN6_ADDR_GEN_MODE",
                   s->addrgen - 1);
  if (s->addrgen && s->mtu && s->mtu < IPV6_MIN_MTU)
    return err_set(e, EAFNOSUPPORT,
                   "addrgenmode needs IPv6, which is off below mtu %d",
                   IPV6_MIN_MTU);
  if (k && k->check && k->check(s, data, e) < 0) return -1;
  return 0;
}

/* The kind's data: the caller's, else every field unset. */
static const void *kind_data (const struct link_spec *s,
                              const struct link_kind *k, void *scratch) {
  if (s->data || !k) return s->data;
  link_kind_init(k, scratch);
  return scratch;
}

struct nlmsghdr *link_add_msg (struct nl *nl, void *buf,
                               const struct link_spec *s, struct err *e) {
  long scratch[LINK_KIND_DATA / sizeof(long)];
  const struct link_kind *k = link_kind_find(s->kind);
  const void *data = kind_data(s, k, scratch);
  if (check_spec(s, k, data, e) < 0) return NULL;
  struct nlmsghdr *nlh =
      link_msg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, s->name);
  if (s->mtu) mnl_attr_put_u32(nlh, IFLA_MTU, s->mtu);
  if (s->netns_fd >= 0)
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)s->netns_fd);
  if (s->link > 0) mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)s->link);
  if (k && (k->flags & LINK_KIND_ONE_QUEUE)) put_one_queue(nlh);
  struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, k ? k->kernel : s->kind);
  if (k && k->put) k->put(nlh, s, data);
  mnl_attr_nest_end(nlh, info);
  return nlh;
}

/*
** {======================================================
** IPv6 address generation, right after the create
** =======================================================
*/

/* A socket in the namespace fd (-1: nl's own): open already, else
 * opened in *there. */
static struct nl *socket_in (struct nl *nl, int fd, struct nl *open,
                             struct nl *there, struct err *e) {
  if (fd < 0) return nl;
  if (open) return open;
  return nl_open(there, NETLINK_ROUTE, fd, e) < 0 ? NULL : there;
}

/* One end: the device ifindex, else name, in the namespace fd. */
static int addrgen_end (struct nl *nl, int fd, struct nl *open, int ifindex,
                        const char *name, int mode, struct err *e) {
  struct nl there = {0};
  struct nl *at = socket_in(nl, fd, open, &there, e);
  struct link_change c;
  link_change_init(&c);
  c.addrgenmode = mode;
  int rc = at ? link_set(at, ifindex, name, &c, e) : -1;
  nl_close(&there);
  return rc;
}

/* The peer of a veth made without a peer name: its index, as the main
 * end names it (IFLA_LINK, an index in the peer's namespace). */
static int peer_index (struct nl *nl, const struct link_spec *s,
                       const char *name, struct err *e) {
  struct nl there = {0};
  struct nl *at = socket_in(nl, s->netns_fd, s->netns_nl, &there, e);
  struct link_info info;
  int rc = at ? link_get(at, 0, name, &info, e) : -1;
  nl_close(&there);
  if (rc == 0 && info.link <= 0) rc = err_set(e, ENODEV, "it has no peer");
  return rc < 0 ? -1 : info.link;
}

/* The device just made (a veth takes its peer), where it was made; a
 * failure is added to e's reason. */
static void unmake (struct nl *nl, const struct link_spec *s, const char *name,
                    struct err *e) {
  struct nl there = {0};
  struct err u;
  struct nl *at = socket_in(nl, s->netns_fd, s->netns_nl, &there, &u);
  int rc = at ? link_del(at, 0, name, &u) : -1;
  nl_close(&there);
  size_t n = strlen(e->reason);
  if (rc < 0 && n < sizeof e->reason)
    snprintf(e->reason + n, sizeof e->reason - n,
             "; deleting it again failed: %s", err_text(&u));
}

/* s->addrgen on each end of the device name just made, still down:
 * kernel 6.18 refuses IFLA_INET6_ADDR_GEN_MODE inside a creating
 * RTM_NEWLINK (EAFNOSUPPORT), so it is a setlink of its own, and the
 * peer's is sent in the peer's namespace (where the kernel put it: its
 * own fd, else nl's). All or nothing: when one fails, the device goes. */
static int apply_addrgen (struct nl *nl, const struct link_spec *s,
                          const struct link_kind *k, const char *name,
                          struct err *e) {
  int mode = s->addrgen - 1, rc;
  rc = addrgen_end(nl, s->netns_fd, s->netns_nl, 0, name, mode, e);
  if (rc == 0 && k && (k->flags & LINK_KIND_PEER)) {
    int peer = s->peer ? 0 : peer_index(nl, s, name, e);
    rc = peer < 0 ? -1
                  : addrgen_end(nl, s->peer_netns_fd, s->peer_netns_nl, peer,
                                s->peer, mode, e);
  }
  if (rc == 0) return 0;
  char why[sizeof e->reason];
  snprintf(why, sizeof why, "%s", err_text(e));
  err_set(e, e->code, "setting addrgenmode after the create: %s", why);
  unmake(nl, s, name, e);
  return -1;
}

/* The kernel's echo of the device just made (NLM_F_ECHO): its ifindex
 * and its peer's, so that the caller need not look them up by name. */
static int echo_cb (const struct nlmsghdr *nlh, void *data) {
  struct link_info info;
  int *made = data;
  if (nlh->nlmsg_type == RTM_NEWLINK && link_parse(nlh, &info) == 0) {
    made[0] = info.ifindex;
    made[1] = info.link;
  }
  return MNL_CB_OK;
}

/* }====================================================== */

int link_add (struct nl *nl, const struct link_spec *s, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  char made[IFNAMSIZ];
  long scratch[LINK_KIND_DATA / sizeof(long)];
  const struct link_kind *k = link_kind_find(s->kind);
  char *name = s->name_out ? s->name_out : made;
  if (k && k->create) {
    const void *data = kind_data(s, k, scratch);
    struct link_spec named = *s;
    named.name_out = name;
    if (check_spec(s, k, data, e) < 0 || k->create(&named, data, e) < 0)
      return -1;
    return s->addrgen ? apply_addrgen(nl, s, k, name, e) : 0;
  }
  struct nlmsghdr *nlh = link_add_msg(nl, buf, s, e);
  if (!nlh) return -1;
  snprintf(name, IFNAMSIZ, "%s", s->name);
  /* The echo goes to the requesting socket only when the device is made
   * in the socket's own namespace (elsewhere it would be sent to a socket
   * of that namespace with our port id). */
  int echo = s->made && s->netns_fd < 0;
  if (s->made) s->made[0] = s->made[1] = 0;
  if (echo) nlh->nlmsg_flags |= NLM_F_ECHO;
  if ((echo ? nl_get(nl, nlh, echo_cb, s->made, e) : nl_request(nl, nlh, e)) <
      0) {
    if (!e->reason[0] && k && k->explain) return k->explain(nl, s, e);
    return -1;
  }
  return s->addrgen ? apply_addrgen(nl, s, k, name, e) : 0;
}

int link_del (struct nl *nl, int ifindex, const char *name, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  if (ifindex <= 0 && link_name_ok(name, e) < 0) return -1;
  return nl_request(nl, link_msg(nl, buf, RTM_DELLINK, 0, ifindex, name), e);
}

/*
** {======================================================
** Reading devices
** =======================================================
*/

static void copy_str (char *dst, size_t size, const struct nlattr *attr) {
  size_t len =
      strnlen(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr));
  if (len >= size) len = size - 1;
  memcpy(dst, mnl_attr_get_payload(attr), len);
  dst[len] = '\0';
}

static int is_nul_str (const struct nlattr *a) {
  return a && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0;
}

/* IFLA_LINKINFO: the kind and its data, read by the kind's row; a port's
 * side, read by its master's row. A second IFLA_LINKINFO replaces the
 * first whole (fuzz/corpus/link/two-linkinfo): no row of another kind. */
static void parse_linkinfo (const struct nlattr *nest, struct link_info *info) {
  const struct nlattr *tb[IFLA_INFO_MAX + 1];
  info->kind[0] = '\0';
  info->row = NULL;
  info->is_port = 0;
  if (kind_nested(nest, tb, IFLA_INFO_MAX) < 0) return;
  if (tb[IFLA_INFO_KIND])
    copy_str(info->kind, sizeof info->kind, tb[IFLA_INFO_KIND]);
  if (is_nul_str(tb[IFLA_INFO_KIND]) &&
      (info->row = link_kind_of(info->kind))) {
    link_kind_init(info->row, info->data);
    if (tb[IFLA_INFO_DATA] && info->row->parse)
      info->row->parse(tb[IFLA_INFO_DATA], info->data);
  }
  if (is_nul_str(tb[IFLA_INFO_SLAVE_KIND]) && tb[IFLA_INFO_SLAVE_DATA]) {
    const struct link_kind *master =
        link_kind_of(mnl_attr_get_str(tb[IFLA_INFO_SLAVE_KIND]));
    if (master && master->parse_port)
      master->parse_port(tb[IFLA_INFO_SLAVE_DATA], info);
  }
}

/* IFLA_AF_SPEC: IPv6's address generation mode (absent when the device
 * has no IPv6, e.g. below MTU 1280). */
static void parse_af_spec (const struct nlattr *nest, struct link_info *info) {
  const struct nlattr *af[AF_INET6 + 1], *tb[IFLA_INET6_MAX + 1];
  if (kind_nested(nest, af, AF_INET6) < 0 || !af[AF_INET6]) return;
  if (kind_nested(af[AF_INET6], tb, IFLA_INET6_MAX) < 0) return;
  info->addrgenmode = (int)kind_uint_attr(tb[IFLA_INET6_ADDR_GEN_MODE], 1, -1);
}

static int link_attr (const struct nlattr *attr, void *data) {
  struct link_info *info = data;
  size_t len = mnl_attr_get_payload_len(attr);
  switch (mnl_attr_get_type(attr)) {
  case IFLA_IFNAME: copy_str(info->ifname, sizeof info->ifname, attr); break;
  case IFLA_QDISC: copy_str(info->qdisc, sizeof info->qdisc, attr); break;
  case IFLA_MTU:
    if (len == 4) info->mtu = mnl_attr_get_u32(attr);
    break;
  case IFLA_MIN_MTU:
    if (len == 4) info->min_mtu = mnl_attr_get_u32(attr);
    break;
  case IFLA_MAX_MTU:
    if (len == 4) info->max_mtu = mnl_attr_get_u32(attr);
    break;
  case IFLA_AF_SPEC: parse_af_spec(attr, info); break;
  case IFLA_TXQLEN:
    if (len == 4) info->txqlen = mnl_attr_get_u32(attr);
    break;
  case IFLA_MASTER:
    if (len == 4) info->master = (int)mnl_attr_get_u32(attr);
    break;
  case IFLA_LINK:
    if (len == 4) info->link = (int)mnl_attr_get_u32(attr);
    break;
  case IFLA_LINK_NETNSID:
    if (len == 4) info->link_netnsid = (int)mnl_attr_get_u32(attr);
    break;
  case IFLA_OPERSTATE:
    if (len == 1) info->operstate = mnl_attr_get_u8(attr);
    break;
  case IFLA_ADDRESS:
    if (len <= LINK_ADDR_MAX) {
      memcpy(info->address, mnl_attr_get_payload(attr), len);
      info->addr_len = (int)len;
    }
    break;
  case IFLA_BROADCAST:
    if (len <= LINK_ADDR_MAX)
      memcpy(info->broadcast, mnl_attr_get_payload(attr), len);
    break;
  case IFLA_LINKINFO: parse_linkinfo(attr, info); break;
  }
  return MNL_CB_OK;
}

int link_parse (const struct nlmsghdr *nlh, struct link_info *info) {
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  memset(info, 0, sizeof *info);
  if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof *ifi) return -1;
  info->link_netnsid = -1;
  info->addrgenmode = -1;
  info->ifindex = ifi->ifi_index;
  info->flags = ifi->ifi_flags;
  info->type = ifi->ifi_type;
  return mnl_attr_parse(nlh, sizeof *ifi, link_attr, info) < 0 ? -1 : 0;
}

static int get_cb (const struct nlmsghdr *nlh, void *data) {
  if (nlh->nlmsg_type != RTM_NEWLINK) return MNL_CB_OK;
  return link_parse(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int link_get (struct nl *nl, int ifindex, const char *name,
              struct link_info *out, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  if (ifindex <= 0 && link_name_ok(name, e) < 0) return -1;
  struct nlmsghdr *nlh = link_msg(nl, buf, RTM_GETLINK, 0, ifindex, name);
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  memset(out, 0, sizeof *out);
  return nl_get(nl, nlh, get_cb, out, e);
}

int link_index (struct nl *nl, const char *name, struct err *e) {
  struct link_info info;
  if (link_get(nl, 0, name, &info, e) < 0) return -1;
  return info.ifindex;
}

static int parse_item (const struct nlmsghdr *nlh, void *item) {
  return link_parse(nlh, item) < 0 ? -1 : 1;
}

int link_list (struct nl *nl, struct link_info **out, size_t *count,
               struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = link_msg(nl, buf, RTM_GETLINK, 0, 0, NULL);
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return nl_collect(nl, nlh, RTM_NEWLINK, parse_item, sizeof **out,
                    (void **)out, count, e);
}

/* }====================================================== */
