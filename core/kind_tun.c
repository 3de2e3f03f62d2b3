/*
 * kind_tun.c - tun and tap devices as link kinds: made with the clone
 * device's ioctls (tun_add: the kernel refuses RTM_NEWLINK for them),
 * read back from RTM_NEWLINK as kind "tun" with IFLA_TUN_* data. The
 * builder is what the kernel sends, so the parser can be tested with it.
 */
#include <linux/if_link.h>
#include <string.h>

#include "link_kind.h"
#include "tun.h"

static int create (const struct link_spec *s, const void *data,
                   enum tun_mode mode, struct err *e) {
  const struct tun_opts *o = data;
  struct tun_spec t;
  tun_spec_init(&t);
  t.name = s->name;
  t.mode = mode;
  t.pi = o->pi > 0;
  t.vnet_hdr = o->vnet_hdr > 0;
  t.multi_queue = o->multi_queue > 0;
  t.owner = o->owner;
  t.group = o->group;
  return tun_add(s->netns_fd >= 0 ? s->netns_fd : s->own_netns_fd, &t,
                 s->name_out, e);
}

static int create_tun (const struct link_spec *s, const void *data,
                       struct err *e) {
  return create(s, data, TUN_MODE_TUN, e);
}

static int create_tap (const struct link_spec *s, const void *data,
                       struct err *e) {
  return create(s, data, TUN_MODE_TAP, e);
}

static void put (struct nlmsghdr *nlh, const struct link_spec *s,
                 const void *data) {
  (void)s;
  const struct tun_opts *o = data;
  struct nlattr *nest = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  if (o->type >= 0) mnl_attr_put_u8(nlh, IFLA_TUN_TYPE, (uint8_t)o->type);
  if (o->pi >= 0) mnl_attr_put_u8(nlh, IFLA_TUN_PI, (uint8_t)o->pi);
  if (o->vnet_hdr >= 0)
    mnl_attr_put_u8(nlh, IFLA_TUN_VNET_HDR, (uint8_t)o->vnet_hdr);
  if (o->persist >= 0)
    mnl_attr_put_u8(nlh, IFLA_TUN_PERSIST, (uint8_t)o->persist);
  if (o->multi_queue >= 0)
    mnl_attr_put_u8(nlh, IFLA_TUN_MULTI_QUEUE, (uint8_t)o->multi_queue);
  if (o->owner >= 0) mnl_attr_put_u32(nlh, IFLA_TUN_OWNER, (uint32_t)o->owner);
  if (o->group >= 0) mnl_attr_put_u32(nlh, IFLA_TUN_GROUP, (uint32_t)o->group);
  if (o->num_queues >= 0)
    mnl_attr_put_u32(nlh, IFLA_TUN_NUM_QUEUES, (uint32_t)o->num_queues);
  if (o->num_disabled_queues >= 0)
    mnl_attr_put_u32(nlh, IFLA_TUN_NUM_DISABLED_QUEUES,
                     (uint32_t)o->num_disabled_queues);
  mnl_attr_nest_end(nlh, nest);
}

static void parse (const struct nlattr *nest, void *data) {
  struct tun_opts *o = data;
  const struct nlattr *tb[IFLA_TUN_MAX + 1];
  if (kind_nested(nest, tb, IFLA_TUN_MAX) < 0) return;
  long type = kind_uint_attr(tb[IFLA_TUN_TYPE], 1, -1);
  o->type = tun_mode_name((enum tun_mode)type) ? type : -1;
  o->pi = kind_uint_attr(tb[IFLA_TUN_PI], 1, 0) != 0;
  o->vnet_hdr = kind_uint_attr(tb[IFLA_TUN_VNET_HDR], 1, 0) != 0;
  o->persist = kind_uint_attr(tb[IFLA_TUN_PERSIST], 1, 0) != 0;
  o->multi_queue = kind_uint_attr(tb[IFLA_TUN_MULTI_QUEUE], 1, 0) != 0;
  o->owner = kind_uint_attr(tb[IFLA_TUN_OWNER], 4, -1);
  o->group = kind_uint_attr(tb[IFLA_TUN_GROUP], 4, -1);
  if (o->multi_queue) {
    o->num_queues = kind_uint_attr(tb[IFLA_TUN_NUM_QUEUES], 4, -1);
    o->num_disabled_queues =
        kind_uint_attr(tb[IFLA_TUN_NUM_DISABLED_QUEUES], 4, -1);
  }
}

#define F(member) offsetof(struct tun_opts, member)
#define ID_MAX 4294967294L /* (uid_t)-1 means none */

static const char *const types[] = {"tun", "tap", NULL};
static const long type_values[] = {TUN_MODE_TUN, TUN_MODE_TAP};

static const struct kind_field fields[] = {
    {"type", "type", KF_CHOICE, F(type), 0, 0, types, type_values, KF_READONLY,
     "tun (IP packets) or tap (Ethernet frames)"},
    {"pi", "pi", KF_BOOL, F(pi), 0, 1, NULL, NULL, 0,
     "a packet information header before each packet"},
    {"vnet_hdr", "vnet_hdr", KF_BOOL, F(vnet_hdr), 0, 1, NULL, NULL, 0,
     "a virtio-net header before each packet"},
    {"multi_queue", "multi_queue", KF_BOOL, F(multi_queue), 0, 1, NULL, NULL, 0,
     "one queue per opener"},
    {"persist", "persist", KF_BOOL, F(persist), 0, 1, NULL, NULL, KF_READONLY,
     "outlives its file descriptor"},
    {"owner", "user", KF_UINT, F(owner), 0, ID_MAX, NULL, NULL, 0,
     "the uid allowed to attach"},
    {"group", "group", KF_UINT, F(group), 0, ID_MAX, NULL, NULL, 0,
     "the gid allowed to attach"},
    {"numqueues", "numqueues", KF_UINT, F(num_queues), 0, ID_MAX, NULL, NULL,
     KF_READONLY, "queues attached (multi_queue)"},
    {"numdisabled", "numdisabled", KF_UINT, F(num_disabled_queues), 0, ID_MAX,
     NULL, NULL, KF_READONLY, "queues disabled (multi_queue)"},
    {NULL}};

_Static_assert(sizeof(struct tun_opts) <= LINK_KIND_DATA, "tun data");

const struct link_kind kind_tun = {
    .name = "tun",
    .kernel = "tun",
    .size = sizeof(struct tun_opts),
    .fields = fields,
    .doc =
        "a device whose IP packets a program reads and writes (ip tuntap mode tun)",
    .put = put,
    .parse = parse,
    .create = create_tun,
};

const struct link_kind kind_tap = {
    .name = "tap",
    .kernel = "tun",
    .size = sizeof(struct tun_opts),
    .fields = fields,
    .doc =
        "a device whose Ethernet frames a program reads and writes (ip tuntap mode tap)",
    .put = put,
    .parse = parse,
    .create = create_tap,
};
