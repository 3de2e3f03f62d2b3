/*
 * kind_vlan.c - an 802.1Q VLAN on a parent: `ip link add eth0.5 link eth0
 * type vlan protocol 802.1Q id 5`. Frames it sends leave the parent
 * tagged with the id; tagged frames the parent receives come out here.
 * (Not in every kernel: specs skip where `ip link add ... type vlan` says
 * "Unknown device type".)
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include "link_kind.h"

struct vlan_opts {
  long id;       /* 0..4094 */
  long protocol; /* ETH_P_8021Q or ETH_P_8021AD */
};

static void put (struct nlmsghdr *nlh, const struct link_spec *s,
                 const void *data) {
  (void)s;
  const struct vlan_opts *o = data;
  struct nlattr *nest = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  if (o->id >= 0) mnl_attr_put_u16(nlh, IFLA_VLAN_ID, (uint16_t)o->id);
  if (o->protocol >= 0)
    mnl_attr_put_u16(nlh, IFLA_VLAN_PROTOCOL, htons((uint16_t)o->protocol));
  mnl_attr_nest_end(nlh, nest);
}

static void parse (const struct nlattr *nest, void *data) {
  struct vlan_opts *o = data;
  const struct nlattr *tb[IFLA_VLAN_MAX + 1];
  if (kind_nested(nest, tb, IFLA_VLAN_MAX) < 0) return;
  o->id = kind_uint_attr(tb[IFLA_VLAN_ID], 2, -1);
  long protocol = kind_uint_attr(tb[IFLA_VLAN_PROTOCOL], 2, -1);
  o->protocol = protocol < 0 ? -1 : ntohs((uint16_t)protocol);
}

static const char *const protocols[] = {"802.1Q", "802.1ad", NULL};
static const long protocol_values[] = {ETH_P_8021Q, ETH_P_8021AD};

static const struct kind_field fields[] = {
    {"id", "id", KF_UINT, offsetof(struct vlan_opts, id), 0, 4094, NULL, NULL,
     KF_REQUIRED, "the VLAN id of the tag"},
    {"protocol", "protocol", KF_CHOICE, offsetof(struct vlan_opts, protocol), 0,
     0, protocols, protocol_values, 0,
     "802.1Q (the default) or 802.1ad (QinQ)"},
    {NULL}};

_Static_assert(sizeof(struct vlan_opts) <= LINK_KIND_DATA, "vlan data");

const struct link_kind kind_vlan = {
    .name = "vlan",
    .kernel = "vlan",
    .size = sizeof(struct vlan_opts),
    .fields = fields,
    .flags = LINK_KIND_NEEDS_LINK,
    .doc = "an 802.1Q VLAN of its parent (link)",
    .put = put,
    .parse = parse,
};
