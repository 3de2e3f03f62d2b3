/*
 * kind_vxlan.c - a VXLAN tunnel end: Ethernet frames in UDP (RFC 7348),
 * `ip link add vx0 type vxlan id 42 dstport 4789 remote 192.0.2.2 dev
 * eth0 nolearning`. Frames go to remote (one peer, unicast), to group (a
 * multicast group of peers), or where the device's FDB says.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <sys/socket.h>

#include "ipaddr.h"
#include "link_kind.h"

struct vxlan_opts {
  long id;       /* the VNI, 24 bits */
  long dstport;  /* the kernel's default is 8472 */
  long dev;      /* ifindex of the underlay device */
  long learning; /* learn remote MACs from packets */
  long proxy;    /* answer ARP from the neighbour table (Docker's overlay) */
  struct ipaddr local, remote, group;
};

static int multicast (const struct ipaddr *a) {
  if (a->family == AF_INET) return (a->bytes[0] & 0xf0) == 0xe0;
  return a->family == AF_INET6 && a->bytes[0] == 0xff;
}

/* The kernel takes remote and group from one attribute, and refuses a
 * mix of families with no words. */
static int check (const struct link_spec *s, const void *data, struct err *e) {
  (void)s;
  const struct vxlan_opts *o = data;
  const struct ipaddr *peer = o->remote.family ? &o->remote : &o->group;
  if (o->id < 0) return err_set(e, EINVAL, "vxlan needs an id (VNI)");
  if (o->remote.family && o->group.family)
    return err_set(e, EINVAL, "vxlan takes remote or group, not both");
  if (o->remote.family && multicast(&o->remote))
    return err_set(
        e, EINVAL,
        "vxlan remote must be unicast (a multicast address is a group)");
  if (o->group.family && !multicast(&o->group))
    return err_set(e, EINVAL, "vxlan group must be a multicast address");
  if (o->local.family && multicast(&o->local))
    return err_set(e, EINVAL, "vxlan local must be unicast");
  if (o->local.family && peer->family && o->local.family != peer->family)
    return err_set(e, EINVAL, "vxlan local and %s must be of one family",
                   o->remote.family ? "remote" : "group");
  return 0;
}

static void put_addr (struct nlmsghdr *nlh, uint16_t v4, uint16_t v6,
                      const struct ipaddr *a) {
  if (a->family)
    mnl_attr_put(nlh, a->family == AF_INET ? v4 : v6, ipaddr_len(a), a->bytes);
}

static void put (struct nlmsghdr *nlh, const struct link_spec *s,
                 const void *data) {
  (void)s;
  const struct vxlan_opts *o = data;
  struct nlattr *nest = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  if (o->id >= 0) mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, (uint32_t)o->id);
  put_addr(nlh, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6,
           o->remote.family ? &o->remote : &o->group);
  put_addr(nlh, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, &o->local);
  if (o->dev > 0) mnl_attr_put_u32(nlh, IFLA_VXLAN_LINK, (uint32_t)o->dev);
  if (o->dstport >= 0)
    mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons((uint16_t)o->dstport));
  if (o->learning >= 0)
    mnl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, (uint8_t)o->learning);
  if (o->proxy >= 0) mnl_attr_put_u8(nlh, IFLA_VXLAN_PROXY, (uint8_t)o->proxy);
  mnl_attr_nest_end(nlh, nest);
}

/* An address of 4 bytes (v4) or 16 (v6), into a when present. */
static void get_addr (const struct nlattr *v4, const struct nlattr *v6,
                      struct ipaddr *a) {
  if (v4 && mnl_attr_get_payload_len(v4) == 4)
    ipaddr_from_bytes(a, AF_INET, mnl_attr_get_payload(v4), 4, -1);
  else if (v6 && mnl_attr_get_payload_len(v6) == 16)
    ipaddr_from_bytes(a, AF_INET6, mnl_attr_get_payload(v6), 16, -1);
}

static void parse (const struct nlattr *nest, void *data) {
  struct vxlan_opts *o = data;
  const struct nlattr *tb[IFLA_VXLAN_MAX + 1];
  struct ipaddr peer = {0};
  if (kind_nested(nest, tb, IFLA_VXLAN_MAX) < 0) return;
  o->id = kind_uint_attr(tb[IFLA_VXLAN_ID], 4, -1);
  o->dev = kind_uint_attr(tb[IFLA_VXLAN_LINK], 4, -1);
  if (o->dev == 0) o->dev = -1;
  o->learning = kind_uint_attr(tb[IFLA_VXLAN_LEARNING], 1, -1);
  if (o->learning > 0) o->learning = 1;
  /* as ip -d shows it: only when on */
  o->proxy = kind_uint_attr(tb[IFLA_VXLAN_PROXY], 1, -1) > 0 ? 1 : -1;
  long port = kind_uint_attr(tb[IFLA_VXLAN_PORT], 2, -1);
  o->dstport = port < 0 ? -1 : ntohs((uint16_t)port);
  get_addr(tb[IFLA_VXLAN_LOCAL], tb[IFLA_VXLAN_LOCAL6], &o->local);
  get_addr(tb[IFLA_VXLAN_GROUP], tb[IFLA_VXLAN_GROUP6], &peer);
  if (peer.family) {
    if (multicast(&peer))
      o->group = peer;
    else
      o->remote = peer;
  }
}

#define F(member) offsetof(struct vxlan_opts, member)

static const struct kind_field fields[] = {
    {"id", "id", KF_UINT, F(id), 0, 16777215, NULL, NULL, KF_REQUIRED,
     "the VXLAN network identifier (VNI)"},
    {"local", "local", KF_ADDR, F(local), 0, 0, NULL, NULL, KF_IP_6,
     "the source address of the tunnel's packets"},
    {"remote", "remote", KF_ADDR, F(remote), 0, 0, NULL, NULL, KF_IP_6,
     "the one peer (unicast) that gets frames with no FDB entry"},
    {"group", "group", KF_ADDR, F(group), 0, 0, NULL, NULL, KF_IP_6,
     "the multicast group of the peers (needs dev)"},
    {"dstport", "port", KF_UINT, F(dstport), 1, 65535, NULL, NULL, 0,
     "UDP destination port (IANA's is 4789; the kernel's default 8472)"},
    {"dev", NULL, KF_DEV, F(dev), 1, 2147483647, NULL, NULL, 0,
     "the underlay device (ifindex when read back)"},
    {"learning", "learning", KF_BOOL, F(learning), 0, 1, NULL, NULL, 0,
     "learn where MAC addresses are from received packets (default on)"},
    {"proxy", "proxy", KF_BOOL, F(proxy), 0, 1, NULL, NULL, 0,
     "answer ARP requests from the device's neighbour table (default off)"},
    {NULL}};

_Static_assert(sizeof(struct vxlan_opts) <= LINK_KIND_DATA, "vxlan data");

const struct link_kind kind_vxlan = {
    .name = "vxlan",
    .kernel = "vxlan",
    .size = sizeof(struct vxlan_opts),
    .fields = fields,
    .doc = "a VXLAN tunnel end: Ethernet over UDP (RFC 7348)",
    .check = check,
    .put = put,
    .parse = parse,
};
