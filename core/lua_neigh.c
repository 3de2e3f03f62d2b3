/*
 * lua_neigh.c - the neighbour table and the bridge forwarding database:
 * netns methods neigh_list, neigh_add, neigh_del, fdb_add, fdb_del.
 *
 *   ns:neigh_list()                    --> entries shaped like `ip -j neigh`
 *   ns:neigh_list{family = "bridge"}   --> entries shaped like `bridge -j fdb`
 *   ns:neigh_add("eth0", {dst = "10.0.0.2", lladdr = "02:42:ac:11:00:02"})
 *   ns:fdb_add("veth0", {mac = "02:42:ac:11:00:02"})   -- master static
 *
 * Devices are ifindexes in what is returned; the Lua layer adds names.
 */
#include <errno.h>
#include <linux/neighbour.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lua_nslab.h"
#include "neigh.h"

/*
** {======================================================
** Entry tables
** =======================================================
*/

static const struct { unsigned bit; const char *name; } nud_names[] = {
    {NUD_INCOMPLETE, "INCOMPLETE"}, {NUD_REACHABLE, "REACHABLE"},
    {NUD_STALE, "STALE"},           {NUD_DELAY, "DELAY"},
    {NUD_PROBE, "PROBE"},           {NUD_FAILED, "FAILED"},
    {NUD_NOARP, "NOARP"},           {NUD_PERMANENT, "PERMANENT"}};

/* `ip -j neigh`'s state: every NUD bit by name, or {"NONE"}. */
static void push_nud(lua_State *L, unsigned state) {
  int n = 0;
  lua_newtable(L);
  for (size_t i = 0; i < sizeof nud_names / sizeof *nud_names; i++)
    if (state & nud_names[i].bit) {
      lua_pushstring(L, nud_names[i].name);
      lua_rawseti(L, -2, ++n);
    }
  if (n == 0) {
    lua_pushliteral(L, "NONE");
    lua_rawseti(L, -2, 1);
  }
}

/* `bridge -j fdb`'s flags, in its order. */
static void push_fdb_flags(lua_State *L, unsigned flags) {
  static const struct { unsigned bit; const char *name; } names[] = {
      {NTF_SELF, "self"},       {NTF_ROUTER, "router"},
      {NTF_EXT_LEARNED, "extern_learn"}, {NTF_OFFLOADED, "offload"},
      {NTF_MASTER, "master"},   {NTF_STICKY, "sticky"}};
  int n = 0;
  lua_newtable(L);
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (flags & names[i].bit) {
      lua_pushstring(L, names[i].name);
      lua_rawseti(L, -2, ++n);
    }
}

/* `bridge -j fdb`'s state: learned entries have "". */
static void push_fdb_state(lua_State *L, unsigned state) {
  if (state & NUD_PERMANENT) lua_pushliteral(L, "permanent");
  else if (state & NUD_NOARP) lua_pushliteral(L, "static");
  else if (state & NUD_STALE) lua_pushliteral(L, "stale");
  else if (state & NUD_REACHABLE) lua_pushliteral(L, "");
  else lua_pushfstring(L, "0x%x", state);
}

static void set_hw(lua_State *L, const char *key, const struct neigh_info *n) {
  char text[LINK_ADDR_MAX * 3 + 1];
  link_format_hw(n->lladdr, n->lladdr_len, text, sizeof text);
  lnslab_set_str(L, key, text);
}

/* The kernel's clock_t ticks (centiseconds) as seconds. */
static void set_seconds(lua_State *L, const char *key, unsigned centis) {
  lua_pushnumber(L, (lua_Number)centis / 100);
  lua_setfield(L, -2, key);
}

/* {mac=, ifindex=, master_index=, vlan=, state=, flags=, updated=, used=};
 * updated is brctl showmacs' ageing timer. */
static void push_fdb(lua_State *L, const struct neigh_info *n) {
  lua_createtable(L, 0, 8);
  set_hw(L, "mac", n);
  lnslab_set_int(L, "ifindex", n->ifindex);
  if (n->master) lnslab_set_int(L, "master_index", n->master);
  if (n->vlan >= 0) lnslab_set_int(L, "vlan", n->vlan);
  push_fdb_state(L, n->state);
  lua_setfield(L, -2, "state");
  push_fdb_flags(L, n->flags);
  lua_setfield(L, -2, "flags");
  if (n->has_cacheinfo) {
    set_seconds(L, "updated", n->updated);
    set_seconds(L, "used", n->used);
  }
}

/* {dst=, ifindex=, lladdr=, state={...}, router=, used=, confirmed=,
 * updated=} */
static void push_neigh(lua_State *L, const void *item) {
  const struct neigh_info *n = item;
  char text[IPADDR_TEXT_MAX];
  if (n->family == AF_BRIDGE) {
    push_fdb(L, n);
    return;
  }
  lua_createtable(L, 0, 8);
  ipaddr_format(&n->dst, 0, text, sizeof text);
  lnslab_set_str(L, "dst", text);
  lnslab_set_int(L, "ifindex", n->ifindex);
  if (n->lladdr_len) set_hw(L, "lladdr", n);
  push_nud(L, n->state);
  lua_setfield(L, -2, "state");
  if (n->flags & NTF_ROUTER) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "router");
  }
  if (n->has_cacheinfo) {
    set_seconds(L, "used", n->used);
    set_seconds(L, "confirmed", n->confirmed);
    set_seconds(L, "updated", n->updated);
  }
}

/* }====================================================== */

/*
** {======================================================
** Arguments
** =======================================================
*/

/* The required string option key. */
static const char *need_str(lua_State *L, int idx, const char *op, const char *key) {
  const char *v = lnslab_opt_str(L, idx, key, NULL);
  if (!v) lnslab_raise(L, "%s: option '%s' is required", op, key);
  return v;
}

/* dst: an address, not a prefix.
 * neigh add "10.0.0.300": not an IPv4 or IPv6 address */
static void check_dst(lua_State *L, const char *op, const char *text, struct neigh_info *n) {
  struct err e;
  if (ipaddr_parse(text, &n->dst, &e) < 0 || n->dst.prefixlen >= 0) {
    err_set(&e, EINVAL, "not an IPv4 or IPv6 address");
    lnslab_fail(L, op, lua_pushfstring(L, "\"%s\"", text), &e);
  }
  n->family = n->dst.family;
}

static void check_mac(lua_State *L, const char *op, const char *key, const char *text,
                      struct neigh_info *n) {
  struct err e;
  if ((n->lladdr_len = link_parse_hw(text, n->lladdr, &e)) < 0)
    lnslab_raise(L, "%s: %s \"%s\": %s", op, key, text, err_text(&e));
}

/* "10.0.0.9 dev eth0": what the error of op names. */
static const char *object(lua_State *L, const char *key_text, int dev_idx) {
  return lua_pushfstring(L, "%s dev %s", key_text, luaL_tolstring(L, dev_idx, NULL));
}

/* }====================================================== */

/*
** {======================================================
** Methods
** =======================================================
*/

/* neigh_list([{family = "inet" | "inet6" | "bridge"}]): all of IPv4 and
 * IPv6 by default, NOARP entries included (`ip neigh show nud all`). */
static int m_neigh_list(lua_State *L) {
  static const char *const allowed[] = {"family", NULL};
  static const char *const families[] = {"inet", "inet6", "bridge", NULL};
  static const int family_of[] = {AF_INET, AF_INET6, AF_BRIDGE};
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  int family = AF_UNSPEC;
  struct neigh_info *list;
  size_t n;
  struct err e;
  lnslab_check_options(L, 2, "neigh show", allowed);
  const char *name = lnslab_opt_str(L, 2, "family", NULL);
  if (name) {
    int i = 0;
    while (families[i] && strcmp(families[i], name)) i++;
    if (!families[i]) return lnslab_raise(L, "neigh show: family must be inet, inet6 or bridge");
    family = family_of[i];
  }
  if (neigh_list(lnetns_rtnl(L, ns), family, &list, &n, &e) < 0)
    return lnslab_fail(L, family == AF_BRIDGE ? "fdb show" : "neigh show", ns->name, &e);
  lnslab_push_list(L, list, n, sizeof *list, push_neigh);
  free(list);
  return 1;
}

/* neigh_add(dev, {dst=, lladdr=, state=, router=}): `ip neigh replace`;
 * state is permanent (the default), noarp, reachable or stale. */
static int m_neigh_add(lua_State *L) {
  static const char *const allowed[] = {"dst", "lladdr", "state", "router", NULL};
  static const char *const states[] = {"permanent", "noarp", "reachable", "stale", NULL};
  static const unsigned nud_of[] = {NUD_PERMANENT, NUD_NOARP, NUD_REACHABLE, NUD_STALE};
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct neigh_info n;
  struct err e;
  luaL_checktype(L, 3, LUA_TTABLE);
  lnslab_check_options(L, 3, "neigh add", allowed);
  neigh_info_init(&n, AF_UNSPEC, 0);
  const char *dst = need_str(L, 3, "neigh add", "dst");
  check_dst(L, "neigh add", dst, &n);
  const char *what = object(L, dst, 2);
  const char *lladdr = lnslab_opt_str(L, 3, "lladdr", NULL);
  if (lladdr) check_mac(L, lua_pushfstring(L, "neigh add %s", what), "lladdr", lladdr, &n);
  const char *state = lnslab_opt_str(L, 3, "state", "permanent");
  int i = 0;
  while (states[i] && strcmp(states[i], state)) i++;
  if (!states[i])
    return lnslab_raise(L, "neigh add: state must be permanent, noarp, reachable or stale");
  n.state = nud_of[i];
  if (lnslab_opt_bool(L, 3, "neigh add", "router", 0)) n.flags |= NTF_ROUTER;
  struct nl *nl = lnetns_rtnl(L, ns);
  n.ifindex = lnslab_ifindex_of(L, nl, 2, "neigh add", what);
  if (neigh_add(nl, &n, &e) < 0) return lnslab_fail(L, "neigh add", what, &e);
  return 0;
}

/* neigh_del(dev, {dst=}) */
static int m_neigh_del(lua_State *L) {
  static const char *const allowed[] = {"dst", NULL};
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct neigh_info n;
  struct err e;
  luaL_checktype(L, 3, LUA_TTABLE);
  lnslab_check_options(L, 3, "neigh del", allowed);
  neigh_info_init(&n, AF_UNSPEC, 0);
  const char *dst = need_str(L, 3, "neigh del", "dst");
  check_dst(L, "neigh del", dst, &n);
  const char *what = object(L, dst, 2);
  struct nl *nl = lnetns_rtnl(L, ns);
  n.ifindex = lnslab_ifindex_of(L, nl, 2, "neigh del", what);
  if (neigh_del(nl, &n, &e) < 0) return lnslab_fail(L, "neigh del", what, &e);
  return 0;
}

/* The FDB entry of the options at 3, for op: mac, vlan, and where it
 * lives: master (the bridge's table, the default) and/or self (the
 * device's own). Returns the mac text. */
static const char *check_fdb(lua_State *L, const char *op, struct neigh_info *n) {
  int self = lnslab_opt_bool(L, 3, op, "self", 0);
  int master = lnslab_opt_bool(L, 3, op, "master", !self);
  const char *mac = need_str(L, 3, op, "mac");
  neigh_info_init(n, AF_BRIDGE, 0);
  struct err e;
  if ((n->lladdr_len = link_parse_hw(mac, n->lladdr, &e)) < 0)
    lnslab_fail(L, op, lua_pushfstring(L, "\"%s\"", mac), &e);
  if (master) n->flags |= NTF_MASTER;
  if (self) n->flags |= NTF_SELF;
  if (!master && !self) lnslab_raise(L, "%s: master or self must be true", op);
  lua_Integer vlan = lnslab_opt_int(L, 3, "vlan", -1);
  if (vlan != -1 && (vlan < 1 || vlan > 4094)) lnslab_raise(L, "%s: vlan must be 1..4094", op);
  n->vlan = (int)vlan;
  return mac;
}

/* fdb_add(dev, {mac=, master=, self=, static=, permanent=, vlan=}):
 * `bridge fdb replace MAC dev PORT master static` by default. static =
 * false is a dynamic entry (it ages); permanent = true a local one (the
 * bridge itself receives frames for that MAC). Unlike `bridge fdb add`,
 * whose default is permanent, the default is static, forwarding to the
 * port: what a lab means by a static MAC. An entry that is only the
 * device's own (self, not master) is permanent: the kernel takes no
 * other kind there. */
static int m_fdb_add(lua_State *L) {
  static const char *const allowed[] = {"mac", "master", "self", "static", "permanent",
                                        "vlan", NULL};
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct neigh_info n;
  struct err e;
  luaL_checktype(L, 3, LUA_TTABLE);
  lnslab_check_options(L, 3, "fdb add", allowed);
  const char *mac = check_fdb(L, "fdb add", &n);
  int permanent = lnslab_opt_bool(L, 3, "fdb add", "permanent", !(n.flags & NTF_MASTER));
  int is_static = lnslab_opt_bool(L, 3, "fdb add", "static", !permanent);
  if (permanent && is_static) return lnslab_raise(L, "fdb add: static and permanent exclude each other");
  n.state = permanent ? NUD_PERMANENT : is_static ? NUD_NOARP : NUD_REACHABLE;
  const char *what = object(L, mac, 2);
  struct nl *nl = lnetns_rtnl(L, ns);
  n.ifindex = lnslab_ifindex_of(L, nl, 2, "fdb add", what);
  if (neigh_add(nl, &n, &e) < 0) return lnslab_fail(L, "fdb add", what, &e);
  return 0;
}

/* fdb_del(dev, {mac=, master=, self=, vlan=}). The state says permanent,
 * as `bridge fdb del` sends it: a device's own table refuses any other,
 * and the bridge's ignores it. */
static int m_fdb_del(lua_State *L) {
  static const char *const allowed[] = {"mac", "master", "self", "vlan", NULL};
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct neigh_info n;
  struct err e;
  luaL_checktype(L, 3, LUA_TTABLE);
  lnslab_check_options(L, 3, "fdb del", allowed);
  const char *what = object(L, check_fdb(L, "fdb del", &n), 2);
  n.state = NUD_PERMANENT;
  struct nl *nl = lnetns_rtnl(L, ns);
  n.ifindex = lnslab_ifindex_of(L, nl, 2, "fdb del", what);
  if (neigh_del(nl, &n, &e) < 0) return lnslab_fail(L, "fdb del", what, &e);
  return 0;
}

/* }====================================================== */

static void lneigh_register(lua_State *L, int module, int methods) {
  static const luaL_Reg method_list[] = {
      {"neigh_list", m_neigh_list}, {"neigh_add", m_neigh_add},
      {"neigh_del", m_neigh_del},   {"fdb_add", m_fdb_add},
      {"fdb_del", m_fdb_del},       {NULL, NULL}};
  (void)module;
  lnslab_add(L, methods, method_list);
}

const struct lbinding lneigh_binding = {"neigh", NULL, NULL, NULL, lneigh_register};
