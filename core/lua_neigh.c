/*
 * lua_neigh.c - the neighbour table and the bridge forwarding database:
 * netns methods neigh_list, neigh_add, neigh_del, fdb_add, fdb_del.
 *
 *   ns:neigh_list()                    --> entries shaped like `ip -j neigh`
 *   ns:neigh_list{family = "bridge"}   --> entries shaped like `bridge -j fdb`
 *   ns:neigh_add("eth0", {dst = "10.0.0.2", lladdr = "02:42:ac:11:00:02"})
 *   ns:fdb_add("veth0", {mac = "02:42:ac:11:00:02"})   -- master static
 *   ns:neigh_add("eth0", {{dst = ..., lladdr = ...}, {dst = ...}})  -- many
 *   core.neigh_add_each{{ns1, "eth0", {...}}, {ns2, "eth0", {{...}, ...}}}
 *
 * Devices are ifindexes in what is returned; the Lua layer adds names.
 */
#include <errno.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "lua_ip.h"
#include "lua_netns.h"
#include "neigh.h"

/*
** {======================================================
** Entry tables
** =======================================================
*/

static const struct {
  unsigned bit;
  const char *name;
} nud_names[] = {{NUD_INCOMPLETE, "INCOMPLETE"}, {NUD_REACHABLE, "REACHABLE"},
                 {NUD_STALE, "STALE"},           {NUD_DELAY, "DELAY"},
                 {NUD_PROBE, "PROBE"},           {NUD_FAILED, "FAILED"},
                 {NUD_NOARP, "NOARP"},           {NUD_PERMANENT, "PERMANENT"}};

/* `ip -j neigh`'s state: every NUD bit by name, or {"NONE"}. */
static void push_nud (lua_State *L, unsigned state) {
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
static void push_fdb_flags (lua_State *L, unsigned flags) {
  static const struct {
    unsigned bit;
    const char *name;
  } names[] = {{NTF_SELF, "self"},
               {NTF_ROUTER, "router"},
               {NTF_EXT_LEARNED, "extern_learn"},
               {NTF_OFFLOADED, "offload"},
               {NTF_MASTER, "master"},
               {NTF_STICKY, "sticky"}};
  int n = 0;
  lua_newtable(L);
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (flags & names[i].bit) {
      lua_pushstring(L, names[i].name);
      lua_rawseti(L, -2, ++n);
    }
}

/* `bridge -j fdb`'s state: learned entries have "". */
static void push_fdb_state (lua_State *L, unsigned state) {
  if (state & NUD_PERMANENT)
    lua_pushliteral(L, "permanent");
  else if (state & NUD_NOARP)
    lua_pushliteral(L, "static");
  else if (state & NUD_STALE)
    lua_pushliteral(L, "stale");
  else if (state & NUD_REACHABLE)
    lua_pushliteral(L, "");
  else
    lua_pushfstring(L, "0x%x", state);
}

static void set_hw (lua_State *L, const char *key, const struct neigh_info *n) {
  char text[LINK_ADDR_MAX * 3 + 1];
  link_format_hw(n->lladdr, n->lladdr_len, text, sizeof text);
  lnslab_set_str(L, key, text);
}

/* The kernel's clock_t ticks (centiseconds) as seconds. */
static void set_seconds (lua_State *L, const char *key, unsigned centis) {
  lua_pushnumber(L, (lua_Number)centis / 100);
  lua_setfield(L, -2, key);
}

/* {mac=, ifindex=, master_index=, vlan=, dst=, state=, flags=, updated=,
 * used=}; dst is a VXLAN entry's VTEP,
 * updated is brctl showmacs' ageing timer. */
static void push_fdb (lua_State *L, const struct neigh_info *n) {
  lua_createtable(L, 0, 8);
  set_hw(L, "mac", n);
  lnslab_set_int(L, "ifindex", n->ifindex);
  if (n->master) lnslab_set_int(L, "master_index", n->master);
  if (n->vlan >= 0) lnslab_set_int(L, "vlan", n->vlan);
  if (n->dst.family) {
    char text[IPADDR_TEXT_MAX];
    ipaddr_format(&n->dst, 0, text, sizeof text);
    lnslab_set_str(L, "dst", text);
  }
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
static void push_neigh (lua_State *L, const void *item) {
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
** Options: one entry per options table, read whole before anything is
** sent (so a list of entries can later be read the same way first)
** =======================================================
*/

static const char *const families[] = {"inet", "inet6", "bridge", NULL};
static const int family_of[] = {AF_INET, AF_INET6, AF_BRIDGE};
static const char *const states[] = {"permanent", "noarp", "reachable", "stale",
                                     NULL};
static const unsigned nud_of[] = {NUD_PERMANENT, NUD_NOARP, NUD_REACHABLE,
                                  NUD_STALE};

enum { S_FAMILY };
static const struct lopt show_spec[] = {
    {"family", LOPT_CHOICE, 0, 0, families, NULL, 0,
     "inet, inet6 (both by default) or bridge (the FDB)"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

enum { N_DST, N_LLADDR, N_STATE, N_ROUTER };
static const struct lopt add_spec[] = {
    {"dst", LOPT_STR, 0, LIP_TEXT_MAX, NULL, NULL, LOPT_REQUIRED,
     "the neighbour's address"},
    {"lladdr", LOPT_STR, 0, LINK_ADDR_MAX * 3, NULL, NULL, 0,
     "its MAC address"},
    {"state", LOPT_CHOICE, 0, 0, states, NULL, 0, "permanent by default"},
    {"router", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "IPv6: the neighbour is a router"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
static const struct lopt del_spec[] = {{"dst", LOPT_STR, 0, LIP_TEXT_MAX, NULL,
                                        NULL, LOPT_REQUIRED,
                                        "the neighbour's address"},
                                       {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

enum { F_MAC, F_MASTER, F_SELF, F_VLAN, F_STATIC, F_PERMANENT, F_DST };
static const struct lopt fdb_add_spec[] = {
    {"mac", LOPT_STR, 0, LINK_ADDR_MAX * 3, NULL, NULL, LOPT_REQUIRED,
     "the MAC address"},
    {"master", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "in the bridge's table (the default)"},
    {"self", LOPT_BOOL, 0, 0, NULL, NULL, 0, "in the device's own table"},
    {"vlan", LOPT_INT, 1, 4094, NULL, NULL, 0, "the VLAN of the entry"},
    {"static", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "forward to the port, never ages (the default); false: a dynamic entry"},
    {"permanent", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "a local entry: the bridge itself receives frames for the MAC"},
    {"dst", LOPT_STR, 0, LIP_TEXT_MAX, NULL, NULL, 0,
     "a VXLAN device's entry (self): the remote VTEP the MAC is behind"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
static const struct lopt fdb_del_spec[] = {
    {"mac", LOPT_STR, 0, LINK_ADDR_MAX * 3, NULL, NULL, LOPT_REQUIRED,
     "the MAC address"},
    {"master", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "in the bridge's table (the default)"},
    {"self", LOPT_BOOL, 0, 0, NULL, NULL, 0, "in the device's own table"},
    {"vlan", LOPT_INT, 1, 4094, NULL, NULL, 0, "the VLAN of the entry"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

static int flag (const struct lopt_val *v, int dflt) {
  return v->set ? v->b : dflt;
}

/* The device argument at 2, checked (resolved later): its label. */
static const char *check_dev (lua_State *L, const char *op, int *ifindex,
                              const char **name) {
  lnslab_check_dev(L, 2, op, ifindex, name);
  return lnslab_dev_label(L, *ifindex, *name);
}

/* A device's ifindex. By name first with SIOCGIFINDEX on the namespace's
 * netlink socket (the kernel answers it for any socket, in the socket's
 * namespace): a few microseconds, where RTM_GETLINK builds the whole link
 * message (30-100 us on a busy machine, per entry of a docker network's
 * probe). A name it does not find goes the netlink way, for its error. */
static int resolve (lua_State *L, struct nl *nl, const char *op,
                    const char *what, int ifindex, const char *name) {
  struct ifreq ifr;
  struct err e;
  if (ifindex > 0) return ifindex;
  memset(&ifr, 0, sizeof ifr);
  if (strlen(name) < sizeof ifr.ifr_name) {
    memcpy(ifr.ifr_name, name, strlen(name));
    if (ioctl(mnl_socket_get_fd(nl->sock), SIOCGIFINDEX, &ifr) == 0 &&
        ifr.ifr_ifindex > 0)
      return ifr.ifr_ifindex;
  }
  if ((ifindex = link_index(nl, name, &e)) < 0) lnslab_fail(L, op, what, &e);
  return ifindex;
}

static void check_mac (lua_State *L, int opts, const char *op, const char *dev,
                       const char *key, struct neigh_info *n) {
  struct err e;
  lua_getfield(L, opts, key);
  if ((n->lladdr_len = link_parse_hw(lua_tostring(L, -1), n->lladdr, &e)) < 0)
    lnslab_raise(
        L,
        "%s %s: option '%s' must be a hardware address (aa:bb:cc:dd:ee:ff), got \"%s\"",
        op, dev, key, lua_tostring(L, -1));
  lua_pop(L, 1);
}

/* The entry argument at opts is a table (an absent one too is an error:
 * lnslab_options would take it as no options). */
static void check_entry (lua_State *L, int opts, const char *op,
                         const char *dev) {
  if (lua_type(L, opts) != LUA_TTABLE)
    lnslab_raise(L, "%s %s: %s must be a table, got %s", op, dev,
                 lnslab_arg_label(L, opts, "entry"), luaL_typename(L, opts));
}

/* A neighbour entry from the options at opts (neigh add when add, else
 * neigh del); the ifindex is set later. Returns "DST dev DEV". */
static const char *read_neigh (lua_State *L, int opts, const char *op,
                               const char *dev, int add, struct neigh_info *n) {
  struct lopt_val v[N_ROUTER + 1];
  check_entry(L, opts, op, dev);
  lnslab_options(L, opts, op, dev, add ? add_spec : del_spec, v);
  neigh_info_init(n, AF_UNSPEC, 0);
  lua_getfield(L, opts, "dst");
  lnslab_check_ip(L, -1, op, dev, "option 'dst'", LIP_ADDRESS, &n->dst);
  lua_pop(L, 1);
  n->family = n->dst.family;
  if (add) {
    if (v[N_LLADDR].set) check_mac(L, opts, op, dev, "lladdr", n);
    n->state = nud_of[v[N_STATE].set ? v[N_STATE].i : 0];
    if (flag(&v[N_ROUTER], 0)) n->flags |= NTF_ROUTER;
  }
  return lua_pushfstring(L, "%s dev %s", v[N_DST].s, dev);
}

/* An FDB entry from the options at opts: mac, vlan, and where it lives:
 * master (the bridge's table, the default) and/or self (the device's
 * own). For fdb add also its kind (see m_fdb_add). Returns "MAC dev DEV". */
static const char *read_fdb (lua_State *L, int opts, const char *op,
                             const char *dev, int add, struct neigh_info *n) {
  struct lopt_val v[F_DST + 1];
  check_entry(L, opts, op, dev);
  lnslab_options(L, opts, op, dev, add ? fdb_add_spec : fdb_del_spec, v);
  neigh_info_init(n, AF_BRIDGE, 0);
  check_mac(L, opts, op, dev, "mac", n);
  int self = flag(&v[F_SELF], 0);
  int master = flag(&v[F_MASTER], !self);
  if (!master && !self)
    lnslab_raise(L, "%s %s: option 'master' or 'self' must be true", op, dev);
  if (master) n->flags |= NTF_MASTER;
  if (self) n->flags |= NTF_SELF;
  n->vlan = v[F_VLAN].set ? (int)v[F_VLAN].i : -1;
  n->state = NUD_PERMANENT; /* as `bridge fdb del` sends it */
  if (add) {
    int permanent = flag(&v[F_PERMANENT], !master);
    int is_static = flag(&v[F_STATIC], !permanent);
    if (permanent && is_static)
      lnslab_raise(L,
                   "%s %s: options 'static' and 'permanent' exclude each other",
                   op, dev);
    n->state = permanent   ? NUD_PERMANENT
               : is_static ? NUD_NOARP
                           : NUD_REACHABLE;
    if (v[F_DST].set) {
      lua_getfield(L, opts, "dst");
      lnslab_check_ip(L, -1, op, dev, "option 'dst'", LIP_ADDRESS, &n->dst);
      lua_pop(L, 1);
    }
  }
  return lua_pushfstring(L, "%s dev %s", v[F_MAC].s, dev);
}

/* }====================================================== */

/*
** {======================================================
** Methods
** =======================================================
*/

/* neigh_list([{family = "inet" | "inet6" | "bridge"}]): all of IPv4 and
 * IPv6 by default, NOARP entries included (`ip neigh show nud all`). */
static int m_neigh_list (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "neigh show");
  struct lopt_val v[S_FAMILY + 1];
  int family = AF_UNSPEC;
  struct neigh_info *list;
  size_t n;
  struct err e;
  lnslab_check_nargs(L, 2, "neigh show");
  lnslab_options(L, 2, "neigh show", ns->name, show_spec, v);
  if (v[S_FAMILY].set) family = family_of[v[S_FAMILY].i];
  if (neigh_list(lnetns_rtnl(L, ns), family, &list, &n, &e) < 0)
    return lnslab_fail(L, family == AF_BRIDGE ? "fdb show" : "neigh show",
                       ns->name, &e);
  lnslab_push_owned_list(L, list, n, sizeof *list, push_neigh);
  return 1;
}

typedef const char *(*read_fn)(lua_State *, int, const char *, const char *,
                               int, struct neigh_info *);

/* Is the table at idx a list of entries ({ {...}, {...} }) rather than
 * one entry? Both at once is an error, naming the table as label says
 * (NULL: the method's argument). */
static size_t entry_list (lua_State *L, int idx, const char *op,
                          const char *dev, const char *label) {
  size_t n;
  if (lua_type(L, idx) != LUA_TTABLE || (n = lua_rawlen(L, idx)) == 0) return 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
        (size_t)lua_tointeger(L, -1) > n)
      lnslab_raise(L,
                   "%s %s: %s must be one entry or a list of entries, not both",
                   op, dev, label ? label : lnslab_arg_label(L, idx, "entry"));
  }
  return n;
}

/* The entries of the list at idx (n of them), read whole before anything
 * is sent; then added in few sends, all or nothing. An error names the
 * entry: "neigh add 10.0.0.9 dev eth0 (entry 3 of 5): why". */
static int list_add (lua_State *L, struct lnetns *ns, const char *op,
                     const char *dev, int ifindex, const char *name, size_t n,
                     read_fn read) {
  struct neigh_info *v = lua_newuserdatauv(L, n * sizeof *v, 0);
  int list = 3, base = lua_gettop(L);
  size_t failed;
  struct err e;
  for (size_t i = 0; i < n; i++) {
    if (lua_rawgeti(L, list, (lua_Integer)i + 1) != LUA_TTABLE)
      lnslab_raise(L, "%s %s: %s item %d must be a table, got %s", op, dev,
                   lnslab_arg_label(L, list, "entry"), (int)i + 1,
                   luaL_typename(L, -1));
    const char *item = lua_pushfstring(L, "%s entry %d", dev, (int)i + 1);
    read(L, base + 1, op, item, 1, &v[i]);
    lua_settop(L, base);
  }
  /* (the socket once the entries are read: their reading runs Lua code) */
  struct nl *nl = lnetns_rtnl(L, ns);
  ifindex =
      resolve(L, nl, op, lua_pushfstring(L, "dev %s", dev), ifindex, name);
  for (size_t i = 0; i < n; i++) v[i].ifindex = ifindex;
  if (neigh_add_many(nl, v, n, &failed, &e) == 0) return 0;
  if (failed >= n)
    return lnslab_fail(
        L, op, lua_pushfstring(L, "dev %s (%d entries)", dev, (int)n), &e);
  lua_rawgeti(L, list, (lua_Integer)failed + 1);
  const char *what = read(L, lua_gettop(L), op, dev, 1, &v[failed]);
  return lnslab_fail(
      L, op,
      lua_pushfstring(L, "%s (entry %d of %d)", what, (int)failed + 1, (int)n),
      &e);
}

/* One entry of op, read by read (neigh or FDB), then sent by change; for
 * an add, a list of them too. */
static int entry_change (lua_State *L, const char *op, int add, read_fn read,
                         int (*change)(struct nl *, const struct neigh_info *,
                                       struct err *)) {
  struct lnetns *ns = lnetns_check(L, 1, op);
  struct neigh_info n;
  const char *name;
  int ifindex;
  struct err e;
  lnslab_check_nargs(L, 3, op);
  lua_settop(L, 3); /* absent arguments are nil, below the device's label */
  const char *dev = check_dev(L, op, &ifindex, &name);
  size_t many = entry_list(L, 3, op, dev, NULL);
  if (many && !add)
    lnslab_raise(L,
                 "%s %s: %s must be one entry, got a list (a list is for adds)",
                 op, dev, lnslab_arg_label(L, 3, "entry"));
  if (many) return list_add(L, ns, op, dev, ifindex, name, many, read);
  const char *what = read(L, 3, op, dev, add, &n);
  struct nl *nl = lnetns_rtnl(L, ns);
  n.ifindex = resolve(L, nl, op, what, ifindex, name);
  if (change(nl, &n, &e) < 0) return lnslab_fail(L, op, what, &e);
  return 0;
}

/* neigh_add(dev, {dst=, lladdr=, state=, router=}): `ip neigh replace`;
 * state is permanent (the default), noarp, reachable or stale.
 * neigh_add(dev, {entry, entry, ...}): all of them on dev, in few sends,
 * all or nothing (neigh_add_many). */
static int m_neigh_add (lua_State *L) {
  return entry_change(L, "neigh add", 1, read_neigh, neigh_add);
}

/* neigh_del(dev, {dst=}) */
static int m_neigh_del (lua_State *L) {
  return entry_change(L, "neigh del", 0, read_neigh, neigh_del);
}

/* fdb_add(dev, {mac=, master=, self=, static=, permanent=, vlan=}):
 * `bridge fdb replace MAC dev PORT master static` by default. static =
 * false is a dynamic entry (it ages); permanent = true a local one (the
 * bridge itself receives frames for that MAC). Unlike `bridge fdb add`,
 * whose default is permanent, the default is static, forwarding to the
 * port: what a lab means by a static MAC. An entry that is only the
 * device's own (self, not master) is permanent: the kernel takes no
 * other kind there. dst: on a VXLAN device (self), the remote VTEP the
 * MAC is behind (`bridge fdb replace MAC dev vxlan0 dst 192.0.2.2 self
 * permanent`, as Docker's overlay driver programs it). A list of entries as
 * neigh_add takes one. */
static int m_fdb_add (lua_State *L) {
  return entry_change(L, "fdb add", 1, read_fdb, neigh_add);
}

/* fdb_del(dev, {mac=, master=, self=, vlan=}). The state says permanent,
 * as `bridge fdb del` sends it: a device's own table refuses any other,
 * and the bridge's ignores it. */
static int m_fdb_del (lua_State *L) {
  return entry_change(L, "fdb del", 0, read_fdb, neigh_del);
}

/* }====================================================== */

/*
** {======================================================
** core.neigh_add_each(items)
** =======================================================
*/

#define EACH_OP "neigh add"        /* an item's messages: a neigh_add's */
#define EACH_CALL "neigh add each" /* the call's own */
#define EACH_MAX 65536             /* items of one call */

/* Push item i's field k (1 netns, 2 dev, 3 its entry or list), checked as
 * fields[k - 1]; v holds what the check read. */
static void push_each_field (lua_State *L, size_t i, int k,
                             struct lopt_val *v) {
  static const struct lopt fields[] = {
      {"netns", LOPT_NETNS, 0, 0, NULL, NULL, LOPT_REQUIRED, NULL},
      {"dev", LOPT_DEV, 0, 0, NULL, NULL, LOPT_REQUIRED, NULL},
      {"entry", LOPT_TABLE, 0, 0, NULL, NULL, LOPT_REQUIRED, NULL},
  };
  lnslab_push_item_field(L, 1, EACH_CALL, "items", i, k, &fields[k - 1], v);
}

/* The object of item i's messages: "DEV (item I of N)". */
static const char *each_label (lua_State *L, size_t i, size_t nb,
                               const struct lopt_val *dev) {
  return lua_pushfstring(L, "%s (item %I of %I)",
                         lnslab_dev_label(L, (int)dev->i, dev->s),
                         (lua_Integer)i + 1, (lua_Integer)nb);
}

/* What the call keeps of item i, in a table at stack index ANCHORS: its
 * fields as checked once, whatever Lua code the reading runs later (an
 * entry's metamethod may change or drop the item), and its messages. */
#define ANCHORS 2
enum { A_NETNS = 1, A_DEV, A_ENTRY, A_LABEL, A_OBJECT, A_SLOTS = A_OBJECT };
#define ANCHOR(i, k) ((lua_Integer)(i)*A_SLOTS + (k))

/* Check item i's fields and keep them (its label too); returns how many
 * entries it holds (read_each says what is wrong with them). */
static size_t anchor_each (lua_State *L, size_t i, size_t nb) {
  struct lopt_val field, dev;
  int base = lua_gettop(L);
  push_each_field(L, i, A_NETNS, &field);
  push_each_field(L, i, A_DEV, &dev);
  push_each_field(L, i, A_ENTRY, &field);
  size_t n = lua_rawlen(L, -1);
  each_label(L, i, nb, &dev);
  lua_rawseti(L, ANCHORS, ANCHOR(i, A_LABEL));
  lua_settop(L, base + A_ENTRY); /* (a device's label may have pushed more) */
  for (int k = A_ENTRY; k >= A_NETNS; k--)
    lua_rawseti(L, ANCHORS, ANCHOR(i, k));
  lua_settop(L, base);
  return n ? n : 1;
}

/* Read item i's entries into v (room for cap); returns how many. Lua code
 * may run here (metamethods of the entries): the namespace and device are
 * taken from the anchors afterwards. */
static size_t read_each (lua_State *L, size_t i, struct neigh_info *v,
                         size_t cap) {
  int base = lua_gettop(L), list = base + 1;
  lua_rawgeti(L, ANCHORS, ANCHOR(i, A_ENTRY));
  lua_rawgeti(L, ANCHORS, ANCHOR(i, A_LABEL));
  const char *label = lua_tostring(L, -1);
  size_t many = entry_list(L, list, EACH_OP, label, "its entry"),
         n = many ? many : 1;
  if (n > cap)
    lnslab_raise(L, "%s: argument 1 (items) changed while it was read",
                 EACH_CALL);
  const char *what = NULL;
  int top = lua_gettop(L); /* (a list's entries read one at a time) */
  for (size_t j = 0; j < n; j++) {
    int at = list;
    if (many) {
      lua_settop(L, top);
      if (lua_rawgeti(L, list, (lua_Integer)j + 1) != LUA_TTABLE)
        lnslab_raise(L, "%s %s: entry %d must be a table, got %s", EACH_OP,
                     label, (int)j + 1, luaL_typename(L, -1));
      at = lua_gettop(L);
    }
    const char *item =
        many ? lua_pushfstring(L, "%s entry %d", label, (int)j + 1) : label;
    what = read_neigh(L, at, EACH_OP, item, 1, &v[j]);
  }
  if (many) what = lua_pushfstring(L, "dev %s", label);
  lua_pushstring(L, what);
  lua_rawseti(L, ANCHORS, ANCHOR(i, A_OBJECT));
  lua_settop(L, base);
  return n;
}

/* Once every item is read (no Lua code runs from here to the sends): item
 * i's namespace, still open, its socket and its device's ifindex. */
static void bind_each (lua_State *L, size_t i, struct neigh_batch *b,
                       struct neigh_info *v) {
  int base = lua_gettop(L);
  lua_rawgeti(L, ANCHORS, ANCHOR(i, A_NETNS));
  const char *op =
      lua_pushfstring(L, "%s: argument 1 (items) item %I [1] (netns)",
                      EACH_CALL, (lua_Integer)i + 1);
  struct lnetns *ns = lnetns_check(L, base + 1, op);
  lua_rawgeti(L, ANCHORS, ANCHOR(i, A_DEV));
  int is_name = lua_type(L, -1) == LUA_TSTRING;
  const char *name = is_name ? lua_tostring(L, -1) : NULL;
  int ifindex = is_name ? 0 : (int)lua_tointeger(L, -1);
  lua_rawgeti(L, ANCHORS, ANCHOR(i, A_OBJECT));
  b->nl = lnetns_rtnl(L, ns);
  ifindex = resolve(L, b->nl, EACH_OP, lua_tostring(L, -1), ifindex, name);
  for (size_t j = 0; j < b->n; j++) v[j].ifindex = ifindex;
  b->v = v;
  lua_settop(L, base);
}

/* Raise the error of batch k, which the kernel refused, in the words a
 * neigh_add of that item alone would have used. */
static int each_fail (lua_State *L, size_t k, const struct neigh_batch *b) {
  struct neigh_info scratch;
  int list = lua_gettop(L) + 1;
  lua_rawgeti(L, ANCHORS, ANCHOR(k, A_ENTRY));
  lua_rawgeti(L, ANCHORS, ANCHOR(k, A_LABEL));
  const char *label = lua_tostring(L, -1);
  size_t many = entry_list(L, list, EACH_OP, label, "its entry");
  if (many && b->failed >= b->n)
    return lnslab_fail(
        L, EACH_OP, lua_pushfstring(L, "dev %s (%d entries)", label, (int)many),
        &b->e);
  int at = list;
  if (many) {
    lua_rawgeti(L, list, (lua_Integer)b->failed + 1);
    at = lua_gettop(L);
  }
  const char *what = read_neigh(L, at, EACH_OP, label, 1, &scratch);
  if (many)
    what = lua_pushfstring(L, "%s (entry %d of %d)", what, (int)b->failed + 1,
                           (int)many);
  return lnslab_fail(L, EACH_OP, what, &b->e);
}

/*
** core.neigh_add_each{{netns, dev, entry}, ...}: what neigh_add would do
** for each item (an entry, or a list of them), in many namespaces at
** once, all or nothing: every item is read before anything is sent, and
** when the kernel refuses an entry every entry the call made goes again
** (neigh_add_each).
*/
static int l_neigh_add_each (lua_State *L) {
  static const struct lopt items = {"items", LOPT_TABLE,    0,   0, NULL,
                                    NULL,    LOPT_REQUIRED, NULL};
  struct lopt_val v;
  lnslab_check_nargs(L, 1, EACH_CALL);
  lua_settop(L, 1);
  lnslab_check_arg(L, 1, EACH_CALL, NULL, "items", &items, &v);
  lua_Integer len = (lua_Integer)lua_rawlen(L, 1);
  if (len > EACH_MAX)
    return lnslab_raise(
        L, "%s: argument 1 (items) must hold at most %d items, got %I",
        EACH_CALL, EACH_MAX, len);
  size_t nb = (size_t)len, total = 0;
  lua_createtable(L, nb < 1u << 26 ? (int)nb * A_SLOTS : 0, 0); /* ANCHORS */
  for (size_t i = 0; i < nb; i++) total += anchor_each(L, i, nb);
  struct neigh_batch *b = lua_newuserdatauv(L, nb ? nb * sizeof *b : 1, 0);
  struct neigh_info *entries =
      lua_newuserdatauv(L, total ? total * sizeof *entries : 1, 0);
  memset(b, 0, nb * sizeof *b);
  for (size_t i = 0, at = 0; i < nb; i++) {
    b[i].n = read_each(L, i, entries + at, total - at);
    at += b[i].n;
  }
  for (size_t i = 0, at = 0; i < nb; i++) {
    bind_each(L, i, &b[i], entries + at);
    at += b[i].n;
  }
  size_t bad;
  if (neigh_add_each(b, nb, &bad) < 0) return each_fail(L, bad, &b[bad]);
  return 0;
}

static const luaL_Reg functions[] = {{"neigh_add_each", l_neigh_add_each},
                                     {NULL, NULL}};

/* }====================================================== */

static const luaL_Reg methods[] = {
    {"neigh_list", m_neigh_list}, {"neigh_add", m_neigh_add},
    {"neigh_del", m_neigh_del},   {"fdb_add", m_fdb_add},
    {"fdb_del", m_fdb_del},       {NULL, NULL}};

static const struct lopt_set option_sets[] = {
    {"neigh show", show_spec}, {"neigh add", add_spec},
    {"neigh del", del_spec},   {"fdb add", fdb_add_spec},
    {"fdb del", fdb_del_spec}, {NULL, NULL}};

const struct lbinding lneigh_binding = {"neigh", functions, methods,
                                        option_sets, NULL};
