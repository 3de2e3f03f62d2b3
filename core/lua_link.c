/*
 * lua_link.c - devices: netns methods link_add, link_set, link_del,
 * link_get, link_list. Tables use the field names of `ip -j link`; a
 * port's side uses those of `bridge -j link`. A device of a kind with a
 * row (link_kind.h) has linkinfo.info_data as `ip -j -d link` prints it,
 * and the same data under the kind's name as link_add takes it (bridge =
 * {stp =, ageing_time = seconds, ...}, vxlan = {id =, remote =, ...}).
 */
#include <errno.h>
#include <net/if_arp.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>

#include "link.h"
#include "lua_kind.h"
#include "lua_nslab.h"

/* <net/if.h> (needed by link.h) stops at IFF_DYNAMIC; these are the
 * kernel's values from <linux/if.h>, which cannot be included beside it. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP (1u << 16)
#define IFF_DORMANT (1u << 17)
#define IFF_ECHO (1u << 18)
#endif

/* The object of an error message: the name, or "ifindex N". */
static const char *dev_label(lua_State *L, int ifindex, const char *name) {
  if (name) return name;
  return lua_pushfstring(L, "ifindex %d", ifindex);
}

/*
** {======================================================
** Link tables
** =======================================================
*/

/* Flag names in the order `ip link` prints them. */
static const struct { unsigned flag; const char *name; } flag_names[] = {
    {IFF_LOOPBACK, "LOOPBACK"},   {IFF_BROADCAST, "BROADCAST"},
    {IFF_POINTOPOINT, "POINTOPOINT"}, {IFF_MULTICAST, "MULTICAST"},
    {IFF_NOARP, "NOARP"},         {IFF_ALLMULTI, "ALLMULTI"},
    {IFF_PROMISC, "PROMISC"},     {IFF_MASTER, "MASTER"},
    {IFF_SLAVE, "SLAVE"},         {IFF_DEBUG, "DEBUG"},
    {IFF_DYNAMIC, "DYNAMIC"},     {IFF_AUTOMEDIA, "AUTOMEDIA"},
    {IFF_PORTSEL, "PORTSEL"},     {IFF_NOTRAILERS, "NOTRAILERS"},
    {IFF_UP, "UP"},               {IFF_LOWER_UP, "LOWER_UP"},
    {IFF_DORMANT, "DORMANT"},     {IFF_ECHO, "ECHO"}};

static void push_flags(lua_State *L, unsigned flags) {
  int n = 0;
  lua_newtable(L);
  if ((flags & IFF_UP) && !(flags & IFF_RUNNING)) {
    lua_pushliteral(L, "NO-CARRIER");
    lua_rawseti(L, -2, ++n);
  }
  for (size_t i = 0; i < sizeof flag_names / sizeof *flag_names; i++)
    if (flags & flag_names[i].flag) {
      lua_pushstring(L, flag_names[i].name);
      lua_rawseti(L, -2, ++n);
    }
}

static const char *operstate_name(unsigned char s) {
  static const char *const names[] = {"UNKNOWN", "NOTPRESENT", "DOWN",
                                      "LOWERLAYERDOWN", "TESTING", "DORMANT",
                                      "UP"};
  return s < sizeof names / sizeof *names ? names[s] : "UNKNOWN";
}

static void push_hw(lua_State *L, const unsigned char *a, int len) {
  char text[LINK_ADDR_MAX * 3 + 1];
  link_format_hw(a, len, text, sizeof text);
  lua_pushstring(L, text);
}

static void push_link_type(lua_State *L, unsigned short type) {
  switch (type) {
  case ARPHRD_ETHER: lua_pushliteral(L, "ether"); break;
  case ARPHRD_LOOPBACK: lua_pushliteral(L, "loopback"); break;
  case ARPHRD_NONE: lua_pushliteral(L, "none"); break;
  default: lua_pushinteger(L, type);
  }
}

/* port = {state=, priority=, cost=, learning=, flood=} as `bridge -j
 * link` names them (BR_STATE_* order). */
static void push_port(lua_State *L, const struct bridge_port *p) {
  static const char *const states[] = {"disabled", "listening", "learning",
                                       "forwarding", "blocking"};
  lua_createtable(L, 0, 5);
  if (p->state < sizeof states / sizeof *states) lnslab_set_str(L, "state", states[p->state]);
  else lnslab_set_int(L, "state", p->state);
  lnslab_set_int(L, "priority", p->priority);
  lnslab_set_int(L, "cost", p->cost);
  lnslab_set_bool(L, "learning", p->learning);
  lnslab_set_bool(L, "flood", p->flood);
}

/* linkinfo = {info_kind=, info_data={...}} as `ip -j -d link` has it
 * (the fields nslab reads, in ip's names and units), and the same data
 * under the kind's name in nslab's (bridge = {stp = false, ageing_time =
 * 300, ...}: what link_add{kind = "bridge", bridge = {...}} takes). */
static void push_linkinfo(lua_State *L, const struct link_info *l) {
  lua_createtable(L, 0, 2);
  lnslab_set_str(L, "info_kind", l->kind);
  if (l->row && l->row->fields[0].name) {
    lua_newtable(L);
    lkind_set_fields(L, l->row, l->data, 1);
    lua_setfield(L, -2, "info_data");
  }
  lua_setfield(L, -2, "linkinfo");
  if (l->row && l->row->fields[0].name) {
    lua_newtable(L);
    lkind_set_fields(L, l->row, l->data, 0);
    lua_setfield(L, -2, l->row->name);
  }
}

/* master, link_index and link_netnsid are present only when set; the
 * Lua layer turns indexes into names where `ip -j` prints names. */
static void push_link(lua_State *L, const void *item) {
  const struct link_info *l = item;
  lua_createtable(L, 0, 16);
  lnslab_set_int(L, "ifindex", l->ifindex);
  lnslab_set_str(L, "ifname", l->ifname);
  push_flags(L, l->flags);
  lua_setfield(L, -2, "flags");
  lnslab_set_int(L, "mtu", l->mtu);
  if (l->qdisc[0]) lnslab_set_str(L, "qdisc", l->qdisc);
  lnslab_set_str(L, "operstate", operstate_name(l->operstate));
  lnslab_set_int(L, "txqlen", l->txqlen);
  push_link_type(L, l->type);
  lua_setfield(L, -2, "link_type");
  if (l->addr_len) {
    push_hw(L, l->address, l->addr_len);
    lua_setfield(L, -2, "address");
    push_hw(L, l->broadcast, l->addr_len);
    lua_setfield(L, -2, "broadcast");
  }
  if (l->kind[0]) lnslab_set_str(L, "kind", l->kind);
  if (l->master) lnslab_set_int(L, "master_index", l->master);
  if (l->link) lnslab_set_int(L, "link_index", l->link);
  if (l->link_netnsid >= 0) lnslab_set_int(L, "link_netnsid", l->link_netnsid);
  if (l->kind[0]) push_linkinfo(L, l);
  if (l->is_port) {
    push_port(L, &l->port);
    lua_setfield(L, -2, "port");
  }
}

/* }====================================================== */

/* "aa:bb:cc:dd:ee:ff" into c->address. */
static void check_hw(lua_State *L, const char *text, struct link_change *c) {
  struct err e;
  if ((c->addr_len = link_parse_hw(text, c->address, &e)) < 0)
    lnslab_raise(L, "link address \"%s\": %s", text, err_text(&e));
}

/*
** {======================================================
** Bridge options: bridge = {stp=, ageing_time=, ...}
** =======================================================
*/

/* Whole centiseconds fit the kernel's u32 clock_t up to ~497 days. */
#define SECONDS_MAX 42949672.0

static long opt_seconds(lua_State *L, int t, const char *op, const char *key) {
  long centis = -1;
  if (lua_getfield(L, t, key) != LUA_TNIL) {
    int isnum;
    lua_Number s = lua_tonumberx(L, -1, &isnum);
    if (!isnum || !(s >= 0 && s <= SECONDS_MAX))
      lnslab_raise(L, "%s: bridge option '%s' must be 0..%d seconds", op, key, (int)SECONDS_MAX);
    centis = (long)(s * 100 + 0.5);
  }
  lua_pop(L, 1);
  return centis;
}

static long opt_bool(lua_State *L, int t, const char *op, const char *key) {
  long v = -1;
  int type = lua_getfield(L, t, key);
  if (type == LUA_TBOOLEAN) v = lua_toboolean(L, -1);
  else if (type != LUA_TNIL) lnslab_raise(L, "%s: bridge option '%s' must be a boolean", op, key);
  lua_pop(L, 1);
  return v;
}

/* The table in field "bridge" of the options at idx into b; 0 if absent. */
static int check_bridge(lua_State *L, int idx, const char *op, struct bridge_opts *b) {
  static const char *const allowed[] = {"stp", "ageing_time", "forward_delay", "hello_time",
                                        "max_age", "priority", "mcast_snooping", NULL};
  bridge_opts_init(b);
  int type = lua_getfield(L, idx, "bridge");
  if (type == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (type != LUA_TTABLE) lnslab_raise(L, "%s: option 'bridge' must be a table", op);
  int t = lua_gettop(L);
  lnslab_check_options(L, t, lua_pushfstring(L, "%s: bridge", op), allowed);
  lua_pop(L, 1);
  b->stp = opt_bool(L, t, op, "stp");
  b->mcast_snooping = opt_bool(L, t, op, "mcast_snooping");
  b->ageing_time = opt_seconds(L, t, op, "ageing_time");
  b->forward_delay = opt_seconds(L, t, op, "forward_delay");
  b->hello_time = opt_seconds(L, t, op, "hello_time");
  b->max_age = opt_seconds(L, t, op, "max_age");
  lua_Integer prio = lnslab_opt_int(L, t, "priority", -1);
  if (prio < -1 || prio > 65535) lnslab_raise(L, "%s: bridge option 'priority' must be 0..65535", op);
  b->priority = (long)prio;
  lua_pop(L, 1);
  return 1;
}

/* master = IFINDEX | NAME | 0 (nomaster); link.c looks a name up. */
static void check_master(lua_State *L, int idx, struct link_change *c) {
  int type = lua_getfield(L, idx, "master");
  if (type == LUA_TSTRING) c->master_name = lua_tostring(L, -1);
  else if (type != LUA_TNIL) {
    lua_Integer master = lnslab_opt_int(L, idx, "master", -1);
    if (master < 0 || master > INT_MAX)
      lnslab_raise(L, "link set: master must be an ifindex, a name or 0");
    c->master = (int)master;
  }
  lua_pop(L, 1);  /* a name stays anchored in the options table */
}

/* }====================================================== */

/*
** {======================================================
** link_add{name=, kind=, netns=, peer=, peer_netns=, mtu=, link=,
**          KIND = {the kind's options}}
** =======================================================
*/

enum { A_NAME, A_KIND, A_NETNS, A_PEER, A_PEER_NETNS, A_MTU, A_LINK, A_KINDS };

/* The options every kind has, then one table per kind that has options
 * of its own (made from the rows by add_spec_init). */
static struct lopt add_spec[A_KINDS + LINK_KINDS_MAX + 1] = {
    /* names are strings here: link_add says what is wrong with one */
    {"name", LOPT_STR, 0, 64, NULL, NULL, LOPT_REQUIRED | LOPT_OBJECT, "the new device's name"},
    {"kind", LOPT_STR, 0, LINK_KIND_NAME_MAX, NULL, NULL, LOPT_REQUIRED,
     "a kind of the table (veth, bridge, macvlan, vxlan, ...: its options are the table "
     "of its name below) or any other kind the kernel has (dummy: no options)"},
    {"netns", LOPT_NETNS, 0, 0, NULL, NULL, 0, "create it inside this namespace"},
    {"peer", LOPT_STR, 0, 64, NULL, NULL, LOPT_EMPTY, "veth: the other end's name"},
    {"peer_netns", LOPT_NETNS, 0, 0, NULL, NULL, 0, "veth: the other end's namespace"},
    {"mtu", LOPT_INT, 68, 65535, NULL, NULL, 0, "bytes (both ends of a veth)"},
    {"link", LOPT_DEV, 0, 0, NULL, NULL, 0, "the parent device here (macvlan)"},
};

static void add_spec_init(void) {
  int n = A_KINDS;
  if (add_spec[n].key) return;
  for (const struct link_kind *const *k = link_kinds; *k; k++)
    if (lkind_spec(*k)[0].key)
      add_spec[n++] = (struct lopt){(*k)->name, LOPT_TABLE, 0, 0, NULL, lkind_spec(*k), 0,
                                    (*k)->doc};
}

/* A device option: its ifindex, a name looked up here. */
static int dev_option(lua_State *L, struct nl *nl, const struct lopt_val *v,
                      const char *object, const char *key) {
  struct err e;
  if (!v->s) return (int)v->i;
  int ifindex = link_index(nl, v->s, &e);
  if (ifindex < 0 && e.code == ENODEV)
    lnslab_raise(L, "link add %s: option '%s' must be a device here, got \"%s\" (%s)",
                 object, key, v->s, err_text(&e));
  if (ifindex < 0) lnslab_fail(L, "link add", object, &e);
  return ifindex;
}

/* Returns the name the device got ("tap%d" -> "tap0"). */
static int m_link_add(lua_State *L) {
  struct lopt_val v[A_KINDS + LINK_KINDS_MAX + 1];
  long data[LINK_KIND_DATA / sizeof(long)];
  char name[IFNAMSIZ];
  struct link_spec s = {0};
  struct err e;
  lnslab_check_nargs(L, 2, "link add");
  struct lnetns *ns = lnetns_check(L, 1, "link add");
  const char *object = lnslab_options(L, 2, "link add", NULL, add_spec, v);
  struct nl *nl = lnetns_rtnl(L, ns);
  s.name = v[A_NAME].s;
  s.kind = v[A_KIND].s;
  const struct link_kind *k = link_kind_find(s.kind);
  for (int i = A_KINDS; add_spec[i].key; i++)
    if (v[i].set && k != link_kind_find(add_spec[i].key))
      return lnslab_raise(L, "link add %s: option '%s' needs kind \"%s\"", object,
                          add_spec[i].key, add_spec[i].key);
  if (k && lkind_spec(k)[0].key) {
    lua_getfield(L, 2, k->name);
    lkind_read(L, -1, "link add", object, k->name, k, nl, data);
    lua_pop(L, 1);
    s.data = data;
  }
  s.netns_fd = v[A_NETNS].set ? v[A_NETNS].ns->fd : -1;
  s.peer = v[A_PEER].s;
  s.peer_netns_fd = v[A_PEER_NETNS].set ? v[A_PEER_NETNS].ns->fd : -1;
  s.mtu = v[A_MTU].set ? (unsigned)v[A_MTU].i : 0;
  if (v[A_LINK].set) s.link = dev_option(L, nl, &v[A_LINK], object, "link");
  s.own_netns_fd = ns->fd;
  s.name_out = name;
  if (link_add(nl, &s, &e) < 0) return lnslab_fail(L, "link add", s.name, &e);
  lua_pushstring(L, name);
  return 1;
}

/* }====================================================== */

/* link_set(dev, {up=, name=, mtu=, address=, netns=, master=, addrgenmode=,
 * bridge=}): one message. master is an ifindex, a name, or 0 (nomaster). */
static int m_link_set(lua_State *L) {
  static const char *const allowed[] = {"up", "name", "mtu", "address", "netns",
                                        "master", "addrgenmode", "bridge", NULL};
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct link_change c;
  struct bridge_opts bridge;
  struct err e;
  int ifindex;
  const char *name;
  lnslab_check_dev(L, 2, "link", &ifindex, &name);
  luaL_checktype(L, 3, LUA_TTABLE);
  lnslab_check_options(L, 3, "link set", allowed);
  link_change_init(&c);
  c.up = lnslab_opt_bool(L, 3, "link set", "up", -1);
  c.name = lnslab_opt_str(L, 3, "name", NULL);
  c.mtu = (unsigned)lnslab_opt_range(L, 3, "link set", "mtu", 0, 1, UINT32_MAX);
  const char *hw = lnslab_opt_str(L, 3, "address", NULL);
  if (hw) check_hw(L, hw, &c);
  lua_getfield(L, 3, "netns");
  if (!lua_isnil(L, -1)) c.netns_fd = lnetns_check(L, -1, NULL)->fd;
  check_master(L, 3, &c);
  if (check_bridge(L, 3, "link set", &bridge)) c.bridge = &bridge;
  const char *gen = lnslab_opt_str(L, 3, "addrgenmode", NULL);
  if (gen) {
    if (!strcmp(gen, "none")) c.addrgenmode = IN6_ADDR_GEN_MODE_NONE;
    else if (!strcmp(gen, "eui64")) c.addrgenmode = IN6_ADDR_GEN_MODE_EUI64;
    else if (!strcmp(gen, "random")) c.addrgenmode = IN6_ADDR_GEN_MODE_RANDOM;
    else return lnslab_raise(L, "link set: addrgenmode must be none, eui64 or random");
  }
  if (link_set(lnetns_rtnl(L, ns), ifindex, name, &c, &e) < 0)
    return lnslab_fail(L, "link set", dev_label(L, ifindex, name), &e);
  return 0;
}

static int m_link_del(lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  int ifindex;
  const char *name;
  struct err e;
  lnslab_check_dev(L, 2, "link", &ifindex, &name);
  if (link_del(lnetns_rtnl(L, ns), ifindex, name, &e) < 0)
    return lnslab_fail(L, "link delete", dev_label(L, ifindex, name), &e);
  return 0;
}

/* link_get(dev): the table, or nil and the reason when there is no such
 * device (a question, not a failure); other errors raise. */
static int m_link_get(lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  int ifindex;
  const char *name;
  struct link_info info;
  struct err e;
  lnslab_check_dev(L, 2, "link", &ifindex, &name);
  if (link_get(lnetns_rtnl(L, ns), ifindex, name, &info, &e) < 0) {
    if (e.code != ENODEV) return lnslab_fail(L, "link show", dev_label(L, ifindex, name), &e);
    lua_pushnil(L);
    lua_pushfstring(L, "link %s: %s", dev_label(L, ifindex, name), err_text(&e));
    return 2;
  }
  push_link(L, &info);
  return 1;
}

static int m_link_list(lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct link_info *links;
  size_t n;
  struct err e;
  if (link_list(lnetns_rtnl(L, ns), &links, &n, &e) < 0)
    return lnslab_fail(L, "link show", ns->name, &e);
  lnslab_push_list(L, links, n, sizeof *links, push_link);
  free(links);
  return 1;
}

static const luaL_Reg method_list[] = {
    {"link_add", m_link_add}, {"link_set", m_link_set},
    {"link_del", m_link_del}, {"link_get", m_link_get},
    {"link_list", m_link_list}, {NULL, NULL}};

static const struct lopt_set option_sets[] = {{"link add", add_spec}, {NULL, NULL}};

static void llink_init(lua_State *L, int module, int methods) {
  (void)L, (void)module, (void)methods;
  add_spec_init();
}

const struct lbinding llink_binding = {"link", NULL, method_list, option_sets, llink_init};
