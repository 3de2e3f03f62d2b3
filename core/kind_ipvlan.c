/*
 * kind_ipvlan.c - an ipvlan: like a macvlan, but sharing its parent's MAC
 * address and told apart by IP address: `ip link add ipv0 link eth0 type
 * ipvlan mode l2 bridge`. (Not in every kernel: specs skip where `ip link
 * add ... type ipvlan` says "Unknown device type".)
 */
#include <linux/if_link.h>

#include "link_kind.h"

struct ipvlan_opts {
  long mode;  /* IPVLAN_MODE_* */
  long flags; /* 0 (bridge), IPVLAN_F_PRIVATE or IPVLAN_F_VEPA */
};

static void put (struct nlmsghdr *nlh, const struct link_spec *s,
                 const void *data) {
  (void)s;
  const struct ipvlan_opts *o = data;
  struct nlattr *nest = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  if (o->mode >= 0) mnl_attr_put_u16(nlh, IFLA_IPVLAN_MODE, (uint16_t)o->mode);
  if (o->flags >= 0)
    mnl_attr_put_u16(nlh, IFLA_IPVLAN_FLAGS, (uint16_t)o->flags);
  mnl_attr_nest_end(nlh, nest);
}

static void parse (const struct nlattr *nest, void *data) {
  struct ipvlan_opts *o = data;
  const struct nlattr *tb[IFLA_IPVLAN_MAX + 1];
  if (kind_nested(nest, tb, IFLA_IPVLAN_MAX) < 0) return;
  o->mode = kind_uint_attr(tb[IFLA_IPVLAN_MODE], 2, -1);
  o->flags = kind_uint_attr(tb[IFLA_IPVLAN_FLAGS], 2, -1);
}

static const char *const modes[] = {"l2", "l3", "l3s", NULL};
static const long mode_values[] = {IPVLAN_MODE_L2, IPVLAN_MODE_L3,
                                   IPVLAN_MODE_L3S};
static const char *const flags[] = {"bridge", "private", "vepa", NULL};
static const long flag_values[] = {0, IPVLAN_F_PRIVATE, IPVLAN_F_VEPA};

static const struct kind_field fields[] = {
    {"mode", "mode", KF_CHOICE, offsetof(struct ipvlan_opts, mode), 0, 0, modes,
     mode_values, 0, "l2 (switch frames), l3 or l3s (route packets)"},
    {"flags", "flags", KF_CHOICE, offsetof(struct ipvlan_opts, flags), 0, 0,
     flags, flag_values, 0,
     "whom it reaches: bridge (the default), private or vepa, as for a macvlan"},
    {NULL}};

_Static_assert(sizeof(struct ipvlan_opts) <= LINK_KIND_DATA, "ipvlan data");

const struct link_kind kind_ipvlan = {
    .name = "ipvlan",
    .kernel = "ipvlan",
    .size = sizeof(struct ipvlan_opts),
    .fields = fields,
    .flags = LINK_KIND_NEEDS_LINK,
    .doc = "a device on its parent's wire with the parent's MAC (link)",
    .put = put,
    .parse = parse,
};
