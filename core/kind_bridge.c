/*
 * kind_bridge.c - a Linux bridge: `ip link add br0 type bridge stp_state 1
 * ageing_time 30000 ...` (IFLA_BR_*), and the bridge side of its ports
 * (IFLA_BRPORT_*). Times are the kernel's centiseconds (USER_HZ 100).
 */
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>

#include "link_kind.h"

void put_bridge_data (struct nlmsghdr *nlh, const struct bridge_opts *b) {
  struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  if (b->forward_delay >= 0)
    mnl_attr_put_u32(nlh, IFLA_BR_FORWARD_DELAY, (uint32_t)b->forward_delay);
  if (b->hello_time >= 0)
    mnl_attr_put_u32(nlh, IFLA_BR_HELLO_TIME, (uint32_t)b->hello_time);
  if (b->max_age >= 0)
    mnl_attr_put_u32(nlh, IFLA_BR_MAX_AGE, (uint32_t)b->max_age);
  if (b->ageing_time >= 0)
    mnl_attr_put_u32(nlh, IFLA_BR_AGEING_TIME, (uint32_t)b->ageing_time);
  if (b->stp >= 0) mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, (uint32_t)b->stp);
  if (b->priority >= 0)
    mnl_attr_put_u16(nlh, IFLA_BR_PRIORITY, (uint16_t)b->priority);
  if (b->mcast_snooping >= 0)
    mnl_attr_put_u8(nlh, IFLA_BR_MCAST_SNOOPING, (uint8_t)b->mcast_snooping);
  mnl_attr_nest_end(nlh, data);
}

/* The kernel's STP limits (BR_MIN_* .. BR_MAX_*, in centiseconds), checked
 * here because it applies a bridge's options one by one and stops at the
 * first it refuses, with no words: a refused hello_time after an accepted
 * forward_delay would leave half a change. And it clamps a forward delay
 * set together with STP on (checked before STP starts) to 2..30 s. */
int bridge_opts_ok (const struct bridge_opts *b, struct err *e) {
  if (b->hello_time >= 0 && (b->hello_time < 100 || b->hello_time > 1000))
    return err_set(e, ERANGE, "%s (hello_time must be 1..10 s)",
                   strerror(ERANGE));
  if (b->max_age >= 0 && (b->max_age < 600 || b->max_age > 4000))
    return err_set(e, ERANGE, "%s (max_age must be 6..40 s)", strerror(ERANGE));
  if (b->stp > 0 && b->forward_delay >= 0 &&
      (b->forward_delay < 200 || b->forward_delay > 3000))
    return err_set(e, ERANGE, "%s (forward_delay must be 2..30 s with STP on)",
                   strerror(ERANGE));
  return 0;
}

static int check (const struct link_spec *s, const void *data, struct err *e) {
  (void)s;
  return bridge_opts_ok(data, e);
}

static void put (struct nlmsghdr *nlh, const struct link_spec *s,
                 const void *data) {
  (void)s;
  put_bridge_data(nlh, data);
}

/* Every option as the kernel holds it; the id as brctl prints it
 * (8000.024280a4a80e), not ip's 8000.2:42:80:a4:a8:e. */
static void parse (const struct nlattr *nest, void *data) {
  struct bridge_opts *b = data;
  const struct nlattr *tb[IFLA_BR_MAX + 1];
  if (kind_nested(nest, tb, IFLA_BR_MAX) < 0) return;
  b->forward_delay = kind_uint_attr(tb[IFLA_BR_FORWARD_DELAY], 4, 0);
  b->hello_time = kind_uint_attr(tb[IFLA_BR_HELLO_TIME], 4, 0);
  b->max_age = kind_uint_attr(tb[IFLA_BR_MAX_AGE], 4, 0);
  b->ageing_time = kind_uint_attr(tb[IFLA_BR_AGEING_TIME], 4, 0);
  b->stp = kind_uint_attr(tb[IFLA_BR_STP_STATE], 4, 0);
  b->priority = kind_uint_attr(tb[IFLA_BR_PRIORITY], 2, 0);
  b->mcast_snooping = kind_uint_attr(tb[IFLA_BR_MCAST_SNOOPING], 1, 0);
  if (tb[IFLA_BR_BRIDGE_ID] &&
      mnl_attr_get_payload_len(tb[IFLA_BR_BRIDGE_ID]) == sizeof b->id)
    memcpy(b->id, mnl_attr_get_payload(tb[IFLA_BR_BRIDGE_ID]), sizeof b->id);
  const unsigned char *i = b->id;
  snprintf(b->id_text, sizeof b->id_text, "%02x%02x.%02x%02x%02x%02x%02x%02x",
           i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]);
}

static void parse_port (const struct nlattr *nest, struct link_info *info) {
  struct bridge_port *p = &info->port;
  const struct nlattr *tb[IFLA_BRPORT_MAX + 1];
  if (kind_nested(nest, tb, IFLA_BRPORT_MAX) < 0) return;
  info->is_port = 1;
  p->state = (unsigned char)kind_uint_attr(tb[IFLA_BRPORT_STATE], 1, 0);
  p->priority = (unsigned)kind_uint_attr(tb[IFLA_BRPORT_PRIORITY], 2, 0);
  p->cost = (unsigned)kind_uint_attr(tb[IFLA_BRPORT_COST], 4, 0);
  p->learning = (int)kind_uint_attr(tb[IFLA_BRPORT_LEARNING], 1, 0);
  p->flood = (int)kind_uint_attr(tb[IFLA_BRPORT_UNICAST_FLOOD], 1, 0);
}

/* Whole centiseconds fit the kernel's u32 clock_t up to ~497 days. */
#define CENTIS_MAX 4294967200L
#define F(member) offsetof(struct bridge_opts, member)

static const struct kind_field fields[] = {
    {"stp", "stp_state", KF_BOOL, F(stp), 0, 1, NULL, NULL, KF_IP_INT,
     "spanning tree protocol on (stp_state 1)"},
    {"ageing_time", "ageing_time", KF_SECONDS, F(ageing_time), 0, CENTIS_MAX,
     NULL, NULL, 0, "seconds a learned MAC address is kept"},
    {"forward_delay", "forward_delay", KF_SECONDS, F(forward_delay), 0,
     CENTIS_MAX, NULL, NULL, 0,
     "seconds in the listening and learning states (2..30 with STP on)"},
    /* the kernel's BR_MIN_* .. BR_MAX_* (bridge_opts_ok checks them too,
       for callers of the core that bring their own data) */
    {"hello_time", "hello_time", KF_SECONDS, F(hello_time), 100, 1000, NULL,
     NULL, 0, "seconds between STP hellos"},
    {"max_age", "max_age", KF_SECONDS, F(max_age), 600, 4000, NULL, NULL, 0,
     "seconds an STP hello is valid"},
    {"priority", "priority", KF_UINT, F(priority), 0, 65535, NULL, NULL, 0,
     "bridge priority, the first two bytes of its id"},
    {"mcast_snooping", "mcast_snooping", KF_BOOL, F(mcast_snooping), 0, 1, NULL,
     NULL, KF_IP_INT, "IGMP/MLD snooping"},
    {"bridge_id", NULL, KF_TEXT, F(id_text), 0, 0, NULL, NULL, KF_READONLY,
     "priority and MAC, as brctl show prints it"},
    {NULL}};

_Static_assert(sizeof(struct bridge_opts) <= LINK_KIND_DATA, "bridge data");
_Static_assert(sizeof(((struct bridge_opts *)0)->id_text) <= KF_TEXT_MAX,
               "id_text");

extern const struct link_kind kind_bridge;

const struct bridge_opts *link_info_bridge (const struct link_info *l) {
  return l->row == &kind_bridge ? (const struct bridge_opts *)l->data : NULL;
}

const struct link_kind kind_bridge = {
    .name = "bridge",
    .kernel = "bridge",
    .size = sizeof(struct bridge_opts),
    .fields = fields,
    .doc = "a software switch (docker0, lxcbr0, br0)",
    .check = check,
    .put = put,
    .parse = parse,
    .parse_port = parse_port,
};
