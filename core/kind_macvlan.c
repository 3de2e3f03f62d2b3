/*
 * kind_macvlan.c - a macvlan: a device with a MAC address of its own on
 * a parent's wire, `ip link add mv0 link eth0 type macvlan mode bridge`.
 * The mode says whom it may reach: other macvlans of the parent directly
 * (bridge), only through an outside switch that sends frames back (vepa),
 * nobody on the parent (private), or it takes the parent over (passthru).
 * Never the parent itself: frames between the two do not cross.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link_kind.h"

struct macvlan_opts {
  long mode; /* MACVLAN_MODE_* */
};

static void put (struct nlmsghdr *nlh, const struct link_spec *s,
                 const void *data) {
  (void)s;
  const struct macvlan_opts *o = data;
  if (o->mode < 0) return;
  struct nlattr *nest = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, (uint32_t)o->mode);
  mnl_attr_nest_end(nlh, nest);
}

static void parse (const struct nlattr *nest, void *data) {
  struct macvlan_opts *o = data;
  const struct nlattr *tb[IFLA_MACVLAN_MAX + 1];
  if (kind_nested(nest, tb, IFLA_MACVLAN_MAX) < 0) return;
  o->mode = kind_uint_attr(tb[IFLA_MACVLAN_MODE], 4, -1);
}

extern const struct link_kind kind_macvlan;

/* The kernel's EINVALs, with words: a parent that is no Ethernet device,
 * or one a passthru macvlan here has taken whole (or that passthru would
 * have to take from other macvlans). */
static int explain (struct nl *nl, const struct link_spec *s, struct err *e) {
  struct link_info parent, *links;
  struct err ignored;
  size_t n;
  char why[128] = "";
  int code = e->code;
  const struct macvlan_opts *o = s->data;
  if (code != EINVAL || link_get(nl, s->link, NULL, &parent, &ignored) < 0)
    return -1;
  if (parent.type != ARPHRD_ETHER || (parent.flags & IFF_LOOPBACK))
    snprintf(why, sizeof why, "parent %s is not an Ethernet device",
             parent.ifname);
  else if (link_list(nl, &links, &n, &ignored) == 0) {
    for (size_t i = 0; i < n && !why[0]; i++) {
      const struct macvlan_opts *other = (const void *)links[i].data;
      if (links[i].row != &kind_macvlan || links[i].link != parent.ifindex ||
          links[i].link_netnsid >= 0)
        continue;
      if (other->mode == MACVLAN_MODE_PASSTHRU)
        snprintf(why, sizeof why, "passthru macvlan %s has %s to itself",
                 links[i].ifname, parent.ifname);
      else if (o && o->mode == MACVLAN_MODE_PASSTHRU)
        snprintf(why, sizeof why,
                 "passthru needs %s alone, and macvlan %s is on it",
                 parent.ifname, links[i].ifname);
    }
    free(links);
  }
  if (!why[0]) return -1;
  return err_set(e, code, "%s (%s)", strerror(code), why);
}

static const char *const modes[] = {"private", "vepa", "bridge", "passthru",
                                    NULL};
static const long mode_values[] = {MACVLAN_MODE_PRIVATE, MACVLAN_MODE_VEPA,
                                   MACVLAN_MODE_BRIDGE, MACVLAN_MODE_PASSTHRU};

static const struct kind_field fields[] = {
    {"mode", "mode", KF_CHOICE, offsetof(struct macvlan_opts, mode), 0, 0,
     modes, mode_values, 0,
     "whom it reaches: private, vepa (the kernel's default), bridge or passthru"},
    {NULL}};

_Static_assert(sizeof(struct macvlan_opts) <= LINK_KIND_DATA, "macvlan data");

const struct link_kind kind_macvlan = {
    .name = "macvlan",
    .kernel = "macvlan",
    .size = sizeof(struct macvlan_opts),
    .fields = fields,
    .flags = LINK_KIND_NEEDS_LINK,
    .doc = "a device with a MAC address of its own on its parent's wire (link)",
    .put = put,
    .parse = parse,
    .explain = explain,
};
