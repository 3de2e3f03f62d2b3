/*
 * lua_netns.c - namespaces as Lua values ("nslab.netns" userdata).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "link.h"
#include "lua_ip.h"
#include "lua_netns.h"
#include "ns_pool.h"
#include "netns.h"

/* Every live handle of this Lua state, by namespace: LIVE[inode] is a
 * weak-keyed set of the handles of that namespace, so deleting one
 * closes the handles of its own namespace without walking (and
 * fstat'ing) every handle the lab made. */
static const char LIVE[] = "nslab.netns.live";
static const char LIVE_SET_MT[] = "nslab.netns.live.set";

/* Push LIVE[ino] (created when create is set), or nothing and 0. */
static int live_set (lua_State *L, uint64_t ino, int create) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, LIVE) != LUA_TTABLE) {
    lua_pop(L, 1);
    if (!create) return 0;
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, LIVE);
  }
  if (lua_rawgeti(L, -1, (lua_Integer)ino) != LUA_TTABLE) {
    lua_pop(L, 1);
    if (!create) {
      lua_pop(L, 1);
      return 0;
    }
    lua_newtable(L);
    if (luaL_newmetatable(L, LIVE_SET_MT)) {
      lua_pushliteral(L, "k");
      lua_setfield(L, -2, "__mode");
    }
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, (lua_Integer)ino);
  }
  lua_remove(L, -2);
  return 1;
}

/* Take the handle at idx out of LIVE (its set goes when it empties). */
static void live_remove (lua_State *L, int idx, const struct lnetns *ns) {
  idx = lua_absindex(L, idx);
  if (!ns->ino || !live_set(L, ns->ino, 0)) return;
  lua_pushvalue(L, idx);
  lua_pushnil(L);
  lua_rawset(L, -3);
  lua_pushnil(L);
  int empty = !lua_next(L, -2);
  lua_pop(L, empty ? 1 : 3);
  if (empty && lua_getfield(L, LUA_REGISTRYINDEX, LIVE) == LUA_TTABLE) {
    lua_pushnil(L);
    lua_rawseti(L, -2, (lua_Integer)ns->ino);
  }
  if (empty) lua_pop(L, 1);
}

/* Raise why ns cannot be used (deleted, or closed); pre: "OP: " or "". */
static void refuse_unusable (lua_State *L, const struct lnetns *ns,
                             const char *pre) {
  if (ns->deleted) lnslab_raise(L, "%snetns \"%s\": deleted", pre, ns->name);
  if (ns->name)
    lnslab_raise(L, "%sattempt to use a closed netns \"%s\"", pre, ns->name);
  lnslab_raise(L, "%sattempt to use a closed netns (anonymous)", pre);
}

struct lnetns *lnetns_check (lua_State *L, int idx, const char *op) {
  struct lnetns *ns = luaL_testudata(L, idx, LNETNS);
  if (ns && !ns->deleted && ns->fd >= 0) return ns; /* the usual case */
  const char *pre = op ? lua_pushfstring(L, "%s: ", op) : "";
  if (!ns) /* ns.link_add(5) instead of ns:link_add() */
    lnslab_raise(L, "%sargument %d must be a netns, got %s", pre,
                 lua_absindex(L, idx), lnslab_given(L, idx));
  refuse_unusable(L, ns, pre);
  return NULL; /* not reached */
}

int lnslab_ifindex_of (lua_State *L, struct nl *nl, int idx, const char *op,
                       const char *object) {
  int ifindex;
  const char *name;
  struct err e;
  lnslab_check_dev(L, idx, op, &ifindex, &name);
  if (ifindex > 0) return ifindex;
  if ((ifindex = link_index(nl, name, &e)) < 0)
    lnslab_fail(L, op, object ? object : name, &e);
  return ifindex;
}

int lnslab_ifindex (lua_State *L, struct nl *nl, int idx, const char *op) {
  return lnslab_ifindex_of(L, nl, idx, op, NULL);
}

struct lnetns *lnetns_push (lua_State *L, int fd, const char *name) {
  struct lnetns *ns = lua_newuserdatauv(L, sizeof *ns, 0);
  ns->fd = -1;
  ns->deleted = 0;
  ns->name = NULL;
  ns->ino = ns->dev = 0;
  memset(&ns->rt, 0, sizeof ns->rt);
  memset(&ns->nft, 0, sizeof ns->nft);
  luaL_setmetatable(L, LNETNS);
  if (name && !(ns->name = strdup(name))) {
    close(fd);
    lnslab_raise(L, "not enough memory");
  }
  ns->fd = fd;
  struct stat st; /* nsfs: one device, the inode names the namespace */
  if (fstat(fd, &st) == 0) {
    ns->ino = (uint64_t)st.st_ino;
    ns->dev = (uint64_t)st.st_dev;
  }
  if (ns->ino && live_set(L, ns->ino, 1)) {
    lua_pushvalue(L, -2);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
  }
  return ns;
}

struct nl *lnetns_socket (lua_State *L, struct lnetns *ns, struct nl *nl,
                          int protocol, const char *op) {
  struct err e;
  if (nl->sock) return nl;
  /* Closed since the method checked it (by Lua code its arguments ran):
     with no descriptor the socket would open in the caller's namespace. */
  if (ns->fd < 0) refuse_unusable(L, ns, lua_pushfstring(L, "%s: ", op));
  if (nl_open(nl, protocol, ns->fd, &e) < 0) lnslab_fail(L, op, ns->name, &e);
  return nl;
}

struct nl *lnetns_rtnl (lua_State *L, struct lnetns *ns) {
  return lnetns_socket(L, ns, &ns->rt, NETLINK_ROUTE, "netlink open");
}

/* Close the namespace's descriptors; the name stays for the messages of
 * later uses, until the handle is collected. */
static void release (struct lnetns *ns) {
  nl_close(&ns->rt);
  nl_close(&ns->nft);
  if (ns->fd >= 0) close(ns->fd);
  ns->fd = -1;
}

/* Mark every open handle of the namespace whose nsfs inode is st as
 * deleted (named name from now on), closing its descriptors: a handle
 * kept would still reach the namespace, and a link moved there would
 * vanish with it. */
static void close_every_handle (lua_State *L, const struct stat *st,
                                const char *name) {
  if (!live_set(L, (uint64_t)st->st_ino, 0)) return;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    struct lnetns *ns = luaL_testudata(L, -2, LNETNS);
    if (ns && ns->fd >= 0 && ns->dev == (uint64_t)st->st_dev) {
      char *copy = ns->name ? NULL : strdup(name);
      release(ns);
      if (copy) ns->name = copy;
      ns->deleted = ns->name != NULL;
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  /* no longer live: LIVE holds only open handles */
  if (lua_getfield(L, LUA_REGISTRYINDEX, LIVE) == LUA_TTABLE) {
    lua_pushnil(L);
    lua_rawseti(L, -2, (lua_Integer)st->st_ino);
  }
  lua_pop(L, 1);
}

/*
** {======================================================
** Module functions: create, open, list, delete
** =======================================================
*/

static int push_or_fail (lua_State *L, int fd, const char *name, const char *op,
                         const char *object, struct err *e) {
  if (fd < 0) return lnslab_fail(L, op, object, e);
  lnetns_push(L, fd, name);
  return 1;
}

/* A namespace name argument: a file name under /run/netns, as `ip netns
 * add` takes it (NUL bytes and over-long names refused before anything
 * is made; '/', . and .. by netns_name_ok, which names the object). */
static const char *check_name (lua_State *L, int idx, const char *op,
                               int required) {
  static const struct lopt name = {
      "name",
      LOPT_STR,
      0,
      NETNS_NAME_MAX,
      NULL,
      NULL,
      LOPT_REQUIRED,
      "a namespace name, as ip netns add takes it"};
  static const struct lopt optional = {
      "name", LOPT_STR, 0, NETNS_NAME_MAX,
      NULL,   NULL,     0, "a namespace name, as ip netns add takes it"};
  struct lopt_val v;
  lnslab_check_arg(L, idx, op, NULL, "name", required ? &name : &optional, &v);
  return v.s;
}

/* create([name]): `ip netns add NAME`, or an anonymous namespace. */
static int l_create (lua_State *L) {
  lnslab_check_nargs(L, 1, "netns add");
  const char *name = check_name(L, 1, "netns add", 0);
  struct err e;
  int fd = netns_create(name, &e);
  return push_or_fail(L, fd, name, "netns add", name ? name : "(anonymous)",
                      &e);
}

static int l_open (lua_State *L) {
  lnslab_check_nargs(L, 1, "netns open");
  const char *name = check_name(L, 1, "netns open", 1);
  struct err e;
  lua_pushfstring(L, "\"%s\"", name);
  return push_or_fail(L, netns_open_name(name, &e), name, "netns",
                      lua_tostring(L, -1), &e);
}

static int l_open_pid (lua_State *L) {
  lnslab_check_nargs(L, 1, "netns open");
  lua_Integer pid = lnslab_check_int(L, 1, "netns open", "pid", 1, INT_MAX);
  struct err e;
  lua_pushfstring(L, "pid %d", (int)pid);
  return push_or_fail(L, netns_open_pid((long)pid, &e), NULL, "netns open",
                      lua_tostring(L, -1), &e);
}

static int l_open_path (lua_State *L) {
  lnslab_check_nargs(L, 1, "netns open");
  const char *path =
      lnslab_check_str(L, 1, "netns open", "path", PATH_MAX - 1, NULL);
  struct err e;
  return push_or_fail(L, netns_open_path(path, &e), NULL, "netns open", path,
                      &e);
}

static int l_current (lua_State *L) {
  struct err e;
  lnslab_check_nargs(L, 0, "netns open");
  return push_or_fail(L, netns_open_current(&e), NULL, "netns open",
                      "(current)", &e);
}

static int l_list (lua_State *L) {
  char **names;
  size_t n;
  struct err e;
  lnslab_check_nargs(L, 0, "netns list");
  if (netns_list(&names, &n, &e) < 0)
    return lnslab_fail(L, "netns list", NULL, &e);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  netns_list_free(names, n);
  return 1;
}

/* delete(name): `ip netns delete NAME`; every handle of this Lua state to
 * that namespace is closed, and says so when used. */
static int l_delete (lua_State *L) {
  lnslab_check_nargs(L, 1, "netns delete");
  const char *name = check_name(L, 1, "netns delete", 1);
  struct stat st;
  struct err e;
  int fd = netns_open_name(name, &e);
  if (fd < 0 && e.code != ENOENT)
    return lnslab_fail(L, "netns delete", name, &e);
  int known = fd >= 0 && fstat(fd, &st) == 0;
  if (fd >= 0) close(fd);
  if (netns_delete(name, &e) < 0)
    return lnslab_fail(L, "netns delete", name, &e);
  if (known) close_every_handle(L, &st, name);
  return 0;
}

/* }====================================================== */

/*
** {======================================================
** Methods
** =======================================================
*/

static int m_name (lua_State *L) {
  lnslab_check_nargs(L, 1, "netns name");
  struct lnetns *ns = lnetns_check(L, 1, "netns name");
  lua_pushstring(L, ns->name); /* nil when anonymous */
  return 1;
}

static int m_fd (lua_State *L) {
  lnslab_check_nargs(L, 1, "netns fd");
  lua_pushinteger(L, lnetns_check(L, 1, "netns fd")->fd);
  return 1;
}

static int m_inode (lua_State *L) {
  lnslab_check_nargs(L, 1, "netns inode");
  struct lnetns *ns = lnetns_check(L, 1, "netns inode");
  uint64_t ino = ns->ino; /* read when the handle was made */
  struct err e;
  if (!ino && netns_inode(ns->fd, &ino, &e) < 0)
    return lnslab_fail(L, "netns inode", ns->name, &e);
  lua_pushinteger(L, (lua_Integer)ino);
  return 1;
}

/* run(fn, ...): call fn inside the namespace; the thread is back where it
 * was afterwards, whether fn returned or raised. */
static int m_run (lua_State *L) {
  static const struct lopt fn = {"fn", LOPT_ANY,      0,   0, NULL,
                                 NULL, LOPT_REQUIRED, NULL};
  struct lnetns *ns = lnetns_check(L, 1, "netns run");
  struct lopt_val v;
  struct err e;
  int saved, base = 1;
  lnslab_check_arg(L, 2, "netns run", ns->name, "fn", &fn, &v);
  if (lua_type(L, 2) != LUA_TFUNCTION)
    return lnslab_raise(L, "netns run: %s must be a function, got %s",
                        lnslab_arg_label(L, 2, "fn"), luaL_typename(L, 2));
  if (netns_enter(ns->fd, &saved, &e) < 0)
    return lnslab_fail(L, "netns enter", ns->name, &e);
  int status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0);
  if (netns_leave(saved, &e) < 0)
    return lnslab_fail(L, "netns leave", ns->name, &e);
  if (status != LUA_OK) return lua_error(L);
  return lua_gettop(L) - base;
}

/* close(): the descriptors go at once; using the handle afterwards says
 * "attempt to use a closed netns". Closing twice is fine. */
static int close_handle (lua_State *L) {
  struct lnetns *ns = luaL_checkudata(L, 1, LNETNS);
  if (ns->fd >= 0) live_remove(L, 1, ns);
  release(ns);
  return 0;
}

static int m_close (lua_State *L) {
  lnslab_check_nargs(L, 1, "netns close");
  if (!luaL_testudata(L, 1,
                      LNETNS)) /* closed or deleted is fine: not lnetns_check */
    return lnslab_raise(L, "netns close: argument 1 must be a netns, got %s",
                        lnslab_given(L, 1));
  return close_handle(L);
}

static int m_gc (lua_State *L) {
  struct lnetns *ns = luaL_checkudata(L, 1, LNETNS);
  if (ns->fd >= 0) live_remove(L, 1, ns); /* its set must not outlive it */
  release(ns);
  free(ns->name);
  ns->name = NULL;
  return 0;
}

static int m_tostring (lua_State *L) {
  struct lnetns *ns = luaL_checkudata(L, 1, LNETNS);
  const char *state = ns->deleted ? "deleted" : "closed";
  if (ns->fd < 0 && ns->name)
    lua_pushfstring(L, "netns \"%s\" (%s)", ns->name, state);
  else if (ns->fd < 0)
    lua_pushliteral(L, "netns (closed)");
  else if (ns->name)
    lua_pushfstring(L, "netns \"%s\"", ns->name);
  else
    lua_pushfstring(L, "netns (anonymous, fd %d)", ns->fd);
  return 1;
}

/* Two handles are equal when they name the same namespace. */
static int m_eq (lua_State *L) {
  struct lnetns *a = luaL_checkudata(L, 1, LNETNS);
  struct lnetns *b = luaL_checkudata(L, 2, LNETNS);
  struct stat sa, sb;
  lua_pushboolean(L, a->fd >= 0 && b->fd >= 0 && fstat(a->fd, &sa) == 0 &&
                         fstat(b->fd, &sb) == 0 && sa.st_ino == sb.st_ino &&
                         sa.st_dev == sb.st_dev);
  return 1;
}

/* netns_pool_stats(): what the namespace pool (ns_pool.h) has done and
 * holds: ahead (taken from its spares), here (made on the spot), spares
 * (ready now), held (its descriptors), running and busy (its thread). */
static int l_pool_stats (lua_State *L) {
  struct ns_pool_stats st;
  lnslab_check_nargs(L, 0, "netns pool stats");
  ns_pool_stats(&st);
  const struct {
    const char *name;
    long value;
    int boolean;
  } fields[] = {{"ahead", st.ahead, 0},     {"here", st.here, 0},
                {"spares", st.spares, 0},   {"held", st.held, 0},
                {"running", st.running, 1}, {"busy", st.busy, 1}};
  size_t n = sizeof fields / sizeof fields[0];
  lua_createtable(L, 0, (int)n);
  for (size_t i = 0; i < n; i++) {
    if (fields[i].boolean)
      lua_pushboolean(L, fields[i].value != 0);
    else
      lua_pushinteger(L, fields[i].value);
    lua_setfield(L, -2, fields[i].name);
  }
  return 1;
}

/* }====================================================== */

static const luaL_Reg functions[] = {{"netns_create", l_create},
                                     {"netns_open", l_open},
                                     {"netns_open_pid", l_open_pid},
                                     {"netns_open_path", l_open_path},
                                     {"netns_current", l_current},
                                     {"netns_list", l_list},
                                     {"netns_delete", l_delete},
                                     {"netns_pool_stats", l_pool_stats},
                                     {NULL, NULL}};

static const luaL_Reg methods[] = {{"name", m_name},   {"fd", m_fd},
                                   {"inode", m_inode}, {"run", m_run},
                                   {"close", m_close}, {NULL, NULL}};

static void lnetns_register (lua_State *L, int module, int method_table) {
  static const luaL_Reg meta[] = {
      {"__gc", m_gc},
      {"__close", close_handle}, /* (value, error) */
      {"__tostring", m_tostring},
      {"__eq", m_eq},
      {NULL, NULL}};
  (void)module;
  (void)method_table;
  luaL_getmetatable(L, LNETNS);
  lnslab_add(L, lua_gettop(L), meta);
  lua_pop(L, 1);
}

const struct lbinding lnetns_binding = {"netns", functions, methods, NULL,
                                        lnetns_register};
