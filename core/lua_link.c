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
#include "lua_netns.h"

/* <net/if.h> (needed by link.h) stops at IFF_DYNAMIC; these are the
 * kernel's values from <linux/if.h>, which cannot be included beside it. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP (1u << 16)
#define IFF_DORMANT (1u << 17)
#define IFF_ECHO (1u << 18)
#endif

/* IPv6 address generation modes, in IN6_ADDR_GEN_MODE_* order. */
static const char *const addrgen_modes[] = {"eui64", "none", "stable_privacy",
                                            "random", NULL};

/*
** {======================================================
** Link tables
** =======================================================
*/

/* Flag names in the order `ip link` prints them. */
static const struct {
  unsigned flag;
  const char *name;
} flag_names[] = {{IFF_LOOPBACK, "LOOPBACK"},
                  {IFF_BROADCAST, "BROADCAST"},
                  {IFF_POINTOPOINT, "POINTOPOINT"},
                  {IFF_MULTICAST, "MULTICAST"},
                  {IFF_NOARP, "NOARP"},
                  {IFF_ALLMULTI, "ALLMULTI"},
                  {IFF_PROMISC, "PROMISC"},
                  {IFF_MASTER, "MASTER"},
                  {IFF_SLAVE, "SLAVE"},
                  {IFF_DEBUG, "DEBUG"},
                  {IFF_DYNAMIC, "DYNAMIC"},
                  {IFF_AUTOMEDIA, "AUTOMEDIA"},
                  {IFF_PORTSEL, "PORTSEL"},
                  {IFF_NOTRAILERS, "NOTRAILERS"},
                  {IFF_UP, "UP"},
                  {IFF_LOWER_UP, "LOWER_UP"},
                  {IFF_DORMANT, "DORMANT"},
                  {IFF_ECHO, "ECHO"}};

static void push_flags (lua_State *L, unsigned flags) {
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

static const char *operstate_name (unsigned char s) {
  static const char *const names[] = {
      "UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN",
      "TESTING", "DORMANT",    "UP"};
  return s < sizeof names / sizeof *names ? names[s] : "UNKNOWN";
}

static void push_hw (lua_State *L, const unsigned char *a, int len) {
  char text[LINK_ADDR_MAX * 3 + 1];
  link_format_hw(a, len, text, sizeof text);
  lua_pushstring(L, text);
}

static void push_link_type (lua_State *L, unsigned short type) {
  switch (type) {
  case ARPHRD_ETHER: lua_pushliteral(L, "ether"); break;
  case ARPHRD_LOOPBACK: lua_pushliteral(L, "loopback"); break;
  case ARPHRD_NONE: lua_pushliteral(L, "none"); break;
  default: lua_pushinteger(L, type);
  }
}

/* port = {state=, priority=, cost=, learning=, flood=} as `bridge -j
 * link` names them (BR_STATE_* order). */
static void push_port (lua_State *L, const struct bridge_port *p) {
  static const char *const states[] = {"disabled", "listening", "learning",
                                       "forwarding", "blocking"};
  lua_createtable(L, 0, 5);
  if (p->state < sizeof states / sizeof *states)
    lnslab_set_str(L, "state", states[p->state]);
  else
    lnslab_set_int(L, "state", p->state);
  lnslab_set_int(L, "priority", p->priority);
  lnslab_set_int(L, "cost", p->cost);
  lnslab_set_bool(L, "learning", p->learning);
  lnslab_set_bool(L, "flood", p->flood);
}

/* linkinfo = {info_kind=, info_data={...}} as `ip -j -d link` has it
 * (the fields nslab reads, in ip's names and units), and the same data
 * under the kind's name in nslab's (bridge = {stp = false, ageing_time =
 * 300, ...}: what link_add{kind = "bridge", bridge = {...}} takes). */
static void push_linkinfo (lua_State *L, const struct link_info *l) {
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
static void push_link (lua_State *L, const void *item) {
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
  /* as `ip -j -d link` names it; absent where the device has no IPv6 */
  if (l->addrgenmode >= 0 && l->addrgenmode < 4)
    lnslab_set_str(L, "inet6_addr_gen_mode", addrgen_modes[l->addrgenmode]);
  if (l->kind[0]) push_linkinfo(L, l);
  if (l->is_port) {
    push_port(L, &l->port);
    lua_setfield(L, -2, "port");
  }
}

/* }====================================================== */

/* "aa:bb:cc:dd:ee:ff" into c->address. */
static void check_hw (lua_State *L, const char *object, const char *text,
                      struct link_change *c) {
  struct err e;
  if ((c->addr_len = link_parse_hw(text, c->address, &e)) < 0)
    lnslab_raise(L,
                 "link set %s: option 'address' must be a hardware address "
                 "(aa:bb:cc:dd:ee:ff), got \"%s\"",
                 object, text);
}

/* master = IFINDEX | NAME | 0 (nomaster); link_set.c looks a name up. */
static void check_master (lua_State *L, int idx, const char *object,
                          struct link_change *c) {
  static const struct lopt dev = {"master", LOPT_DEV, 0, 0,
                                  NULL,     NULL,     0, NULL};
  struct lopt_val v;
  if (lua_getfield(L, idx, "master") == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (lua_type(L, -1) == LUA_TNUMBER && lua_isinteger(L, -1) &&
      lua_tointeger(L, -1) == 0)
    c->master = 0;
  else {
    lnslab_check_value(L, -1, "link set", object, "option 'master'", &dev, &v);
    if (v.s)
      c->master_name = v.s; /* anchored in the options table */
    else
      c->master = (int)v.i;
  }
  lua_pop(L, 1);
}

/* }====================================================== */

/*
** {======================================================
** link_add{name=, kind=, netns=, peer=, peer_netns=, mtu=, link=,
**          KIND = {the kind's options}}
** =======================================================
*/

enum {
  A_NAME,
  A_KIND,
  A_NETNS,
  A_PEER,
  A_PEER_NETNS,
  A_MTU,
  A_LINK,
  A_ADDRGEN,
  A_KINDS
};

/* The options every kind has, then one table per kind that has options
 * of its own (made from the rows by add_spec_init). */
static struct lopt add_spec[A_KINDS + LINK_KINDS_MAX + 1] = {
    /* names are strings here: link_add says what is wrong with one */
    {"name", LOPT_STR, 0, 64, NULL, NULL, LOPT_REQUIRED | LOPT_OBJECT,
     "the new device's name"},
    {"kind", LOPT_STR, 0, LINK_KIND_NAME_MAX, NULL, NULL, LOPT_REQUIRED,
     "a kind of the table (veth, bridge, macvlan, vxlan, ...: its options are the table "
     "of its name below) or any other kind the kernel has (dummy: no options)"},
    {"netns", LOPT_NETNS, 0, 0, NULL, NULL, 0,
     "create it inside this namespace"},
    {"peer", LOPT_STR, 0, 64, NULL, NULL, LOPT_EMPTY,
     "veth: the other end's name"},
    {"peer_netns", LOPT_NETNS, 0, 0, NULL, NULL, 0,
     "veth: the other end's namespace"},
    {"mtu", LOPT_INT, 68, 65535, NULL, NULL, 0, "bytes (both ends of a veth)"},
    {"link", LOPT_DEV, 0, 0, NULL, NULL, 0, "the parent device here (macvlan)"},
    {"addrgenmode", LOPT_CHOICE, 0, 0, addrgen_modes, NULL, 0,
     "IPv6 address generation, set on each end right after the create while "
     "it is down (none: no link-local address); if that fails, nothing is made"},
};

static void add_spec_init (void) {
  int n = A_KINDS;
  if (add_spec[n].key) return;
  for (const struct link_kind *const *k = link_kinds; *k; k++)
    if (lkind_spec(*k)[0].key)
      add_spec[n++] = (struct lopt){(*k)->name, LOPT_TABLE,     0, 0,
                                    NULL,       lkind_spec(*k), 0, (*k)->doc};
}

/* A device option: its ifindex, a name looked up here. */
static int dev_option (lua_State *L, struct nl *nl, const struct lopt_val *v,
                       const char *object, const char *key) {
  struct err e;
  if (!v->s) return (int)v->i;
  int ifindex = link_index(nl, v->s, &e);
  if (ifindex < 0 && e.code == ENODEV)
    lnslab_raise(
        L, "link add %s: option '%s' must be a device here, got \"%s\" (%s)",
        object, key, v->s, err_text(&e));
  if (ifindex < 0) lnslab_fail(L, "link add", object, &e);
  return ifindex;
}

/* Returns the name the device got ("tap%d" -> "tap0"). */
static int m_link_add (lua_State *L) {
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
      return lnslab_raise(L, "link add %s: option '%s' needs kind \"%s\"",
                          object, add_spec[i].key, add_spec[i].key);
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
  if (v[A_ADDRGEN].set) {
    s.addrgen = 1 + (int)v[A_ADDRGEN].i;
    /* the handles' own sockets, not one opened per create */
    if (v[A_NETNS].set) s.netns_nl = lnetns_rtnl(L, v[A_NETNS].ns);
    if (v[A_PEER_NETNS].set)
      s.peer_netns_nl = lnetns_rtnl(L, v[A_PEER_NETNS].ns);
  }
  s.own_netns_fd = ns->fd;
  s.name_out = name;
  int made[2] = {0, 0};
  s.made = made;
  if (link_add(nl, &s, &e) < 0) return lnslab_fail(L, "link add", s.name, &e);
  lua_pushstring(L, name);
  /* the ifindexes when the kernel told them (made here), else nil */
  if (made[0] > 0)
    lua_pushinteger(L, made[0]);
  else
    lua_pushnil(L);
  if (made[1] > 0 && s.peer)
    lua_pushinteger(L, made[1]);
  else
    lua_pushnil(L);
  return 3;
}

/* }====================================================== */

/* link_set(dev, {up=, name=, mtu=, address=, netns=, master=,
 * addrgenmode=, bridge=}): all of it or none (link_set.c). */

enum {
  S_UP,
  S_NAME,
  S_MTU,
  S_ADDRESS,
  S_NETNS,
  S_MASTER,
  S_ADDRGEN,
  S_BRIDGE,
  S_N
};

/* Not const: bridge's fields come from the bridge row (llink_init). */
static struct lopt set_spec[] = {
    [S_UP] = {"up", LOPT_BOOL, 0, 0, NULL, NULL, 0,
              "bring the device up (true) or down"},
    [S_NAME] = {"name", LOPT_IFNAME, 0, 0, NULL, NULL, 0, "rename"},
    [S_MTU] =
        {"mtu", LOPT_INT, 68, 65536, NULL, NULL, 0,
         "bytes, within the device's own range (ip -d link: minmtu..maxmtu)"},
    [S_ADDRESS] = {"address", LOPT_STR, 0, LINK_ADDR_MAX * 3, NULL, NULL, 0,
                   "hardware address, aa:bb:cc:dd:ee:ff"},
    [S_NETNS] = {"netns", LOPT_NETNS, 0, 0, NULL, NULL, 0, "move there"},
    [S_MASTER] = {"master", LOPT_ANY, 0, 0, NULL, NULL, 0,
                  "a bridge (ifindex or name) to be a port of, or 0 for none"},
    [S_ADDRGEN] = {"addrgenmode", LOPT_CHOICE, 0, 0, addrgen_modes, NULL, 0,
                   "how IPv6 makes its link-local address"},
    [S_BRIDGE] = {"bridge", LOPT_TABLE, 0, 0, NULL, NULL, 0,
                  "a bridge's options (times in seconds)"},
    {NULL, LOPT_ANY, 0, 0, NULL, NULL, 0, NULL}};

static int m_link_set (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "link set");
  struct lopt_val v[S_N + 1];
  long bridge[LINK_KIND_DATA / sizeof(long)];
  struct link_change c;
  struct err e;
  int ifindex;
  const char *name;
  lnslab_check_nargs(L, 3, "link set");
  lua_settop(L, 3); /* absent arguments are nil, below the device's label */
  lnslab_check_dev(L, 2, "link set", &ifindex, &name);
  const char *object = lnslab_dev_label(L, ifindex, name);
  /* the table says what to change: link_set(dev) alone changed nothing
     and looked like it had worked */
  if (lua_isnoneornil(
          L, 3)) /* lnslab_options' words for a table that is no table */
    return lnslab_raise(L, "link set %s: options must be a table, got nil",
                        object);
  lnslab_options(L, 3, "link set", object, set_spec, v);
  link_change_init(&c);
  if (v[S_UP].set) c.up = v[S_UP].b;
  if (v[S_NAME].set) c.name = v[S_NAME].s;
  if (v[S_MTU].set) c.mtu = (unsigned)v[S_MTU].i;
  if (v[S_ADDRESS].set) check_hw(L, object, v[S_ADDRESS].s, &c);
  if (v[S_NETNS].set) c.netns_fd = v[S_NETNS].ns->fd;
  if (v[S_MASTER].set) check_master(L, 3, object, &c);
  if (v[S_ADDRGEN].set) c.addrgenmode = (int)v[S_ADDRGEN].i;
  if (v[S_BRIDGE].set) {
    lua_getfield(L, 3, "bridge");
    lkind_read(L, -1, "link set", object, "bridge", link_kind_find("bridge"),
               lnetns_rtnl(L, ns), bridge);
    lua_pop(L, 1);
    c.bridge = (const struct bridge_opts *)bridge;
  }
  if (link_set(lnetns_rtnl(L, ns), ifindex, name, &c, &e) < 0)
    return lnslab_fail(L, "link set", object, &e);
  return 0;
}

static int m_link_del (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "link delete");
  int ifindex;
  const char *name;
  struct err e;
  lnslab_check_nargs(L, 2, "link delete");
  lnslab_check_dev(L, 2, "link delete", &ifindex, &name);
  if (link_del(lnetns_rtnl(L, ns), ifindex, name, &e) < 0)
    return lnslab_fail(L, "link delete", lnslab_dev_label(L, ifindex, name),
                       &e);
  return 0;
}

/* link_get(dev): the table, or nil and the reason when there is no such
 * device (a question, not a failure); other errors raise. One
 * RTM_GETLINK, whatever the number of devices. */
static int m_link_get (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "link show");
  int ifindex;
  const char *name;
  struct link_info info;
  struct err e;
  lnslab_check_nargs(L, 2, "link show");
  lnslab_check_dev(L, 2, "link show", &ifindex, &name);
  if (link_get(lnetns_rtnl(L, ns), ifindex, name, &info, &e) < 0) {
    /* the label first: it is pushed too, and nil must come just before
       the reason (else ns:link(7) got "ifindex 7" as the device) */
    const char *label = lnslab_dev_label(L, ifindex, name);
    if (e.code != ENODEV) return lnslab_fail(L, "link show", label, &e);
    lua_pushnil(L);
    lua_pushfstring(L, "link %s: %s", label, err_text(&e));
    return 2;
  }
  push_link(L, &info);
  return 1;
}

static int m_link_list (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "link show");
  struct link_info *links;
  size_t n;
  struct err e;
  lnslab_check_nargs(L, 1, "link show");
  if (link_list(lnetns_rtnl(L, ns), &links, &n, &e) < 0)
    return lnslab_fail(L, "link show", ns->name, &e);
  lnslab_push_owned_list(L, links, n, sizeof *links, push_link);
  return 1;
}

static const luaL_Reg method_list[] = {
    {"link_add", m_link_add},   {"link_set", m_link_set},
    {"link_del", m_link_del},   {"link_get", m_link_get},
    {"link_list", m_link_list}, {NULL, NULL}};

static const struct lopt_set option_sets[] = {
    {"link add", add_spec}, {"link set", set_spec}, {NULL, NULL}};

static void llink_init (lua_State *L, int module, int methods) {
  (void)L, (void)module, (void)methods;
  add_spec_init();
  set_spec[S_BRIDGE].sub = lkind_spec(link_kind_find("bridge"));
}

const struct lbinding llink_binding = {"link", NULL, method_list, option_sets,
                                       llink_init};
