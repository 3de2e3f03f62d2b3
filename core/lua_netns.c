/*
 * lua_netns.c - namespaces as Lua values ("nslab.netns" userdata).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "link.h"
#include "lua_netns.h"
#include "netns.h"

struct lnetns *lnetns_check(lua_State *L, int idx, const char *op) {
  struct lnetns *ns = luaL_checkudata(L, idx, LNETNS);
  const char *pre = op ? lua_pushfstring(L, "%s: ", op) : "";
  if (ns->deleted) lnslab_raise(L, "%snetns \"%s\": deleted", pre, ns->name);
  if (ns->fd < 0) lnslab_raise(L, "%sattempt to use a closed netns", pre);
  if (op) lua_pop(L, 1);
  return ns;
}

int lnslab_ifindex_of(lua_State *L, struct nl *nl, int idx, const char *op,
                      const char *object) {
  int ifindex;
  const char *name;
  struct err e;
  lnslab_check_dev(L, idx, op, &ifindex, &name);
  if (ifindex > 0) return ifindex;
  if ((ifindex = link_index(nl, name, &e)) < 0) lnslab_fail(L, op, object ? object : name, &e);
  return ifindex;
}

int lnslab_ifindex(lua_State *L, struct nl *nl, int idx, const char *op) {
  return lnslab_ifindex_of(L, nl, idx, op, NULL);
}

struct lnetns *lnetns_push(lua_State *L, int fd, const char *name) {
  struct lnetns *ns = lua_newuserdatauv(L, sizeof *ns, 0);
  ns->fd = -1;
  ns->deleted = 0;
  ns->name = NULL;
  memset(&ns->rt, 0, sizeof ns->rt);
  memset(&ns->nft, 0, sizeof ns->nft);
  luaL_setmetatable(L, LNETNS);
  if (name && !(ns->name = strdup(name))) {
    close(fd);
    lnslab_raise(L, "not enough memory");
  }
  ns->fd = fd;
  return ns;
}

struct nl *lnetns_rtnl(lua_State *L, struct lnetns *ns) {
  struct err e;
  if (!ns->rt.sock && nl_open(&ns->rt, NETLINK_ROUTE, ns->fd, &e) < 0)
    lnslab_fail(L, "netlink open", ns->name, &e);
  return &ns->rt;
}

static void release(struct lnetns *ns) {
  nl_close(&ns->rt);
  nl_close(&ns->nft);
  if (ns->fd >= 0) close(ns->fd);
  ns->fd = -1;
  free(ns->name);
  ns->name = NULL;
}

/*
** {======================================================
** Module functions: create, open, list, delete
** =======================================================
*/

static int push_or_fail(lua_State *L, int fd, const char *name,
                        const char *op, const char *object, struct err *e) {
  if (fd < 0) return lnslab_fail(L, op, object, e);
  lnetns_push(L, fd, name);
  return 1;
}

/* create([name]): `ip netns add NAME`, or an anonymous namespace. */
static int l_create(lua_State *L) {
  const char *name = luaL_optstring(L, 1, NULL);
  struct err e;
  int fd = netns_create(name, &e);
  return push_or_fail(L, fd, name, "netns add", name ? name : "(anonymous)", &e);
}

static int l_open(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  struct err e;
  lua_pushfstring(L, "\"%s\"", name);
  return push_or_fail(L, netns_open_name(name, &e), name, "netns",
                      lua_tostring(L, -1), &e);
}

static int l_open_pid(lua_State *L) {
  lua_Integer pid = luaL_checkinteger(L, 1);
  struct err e;
  lua_pushfstring(L, "pid %d", (int)pid);
  return push_or_fail(L, netns_open_pid((long)pid, &e), NULL, "netns open",
                      lua_tostring(L, -1), &e);
}

static int l_open_path(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct err e;
  return push_or_fail(L, netns_open_path(path, &e), NULL, "netns open", path, &e);
}

static int l_current(lua_State *L) {
  struct err e;
  return push_or_fail(L, netns_open_current(&e), NULL, "netns open",
                      "(current)", &e);
}

static int l_list(lua_State *L) {
  char **names;
  size_t n;
  struct err e;
  if (netns_list(&names, &n, &e) < 0) return lnslab_fail(L, "netns list", NULL, &e);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  netns_list_free(names, n);
  return 1;
}

static int l_delete(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  struct err e;
  if (netns_delete(name, &e) < 0) return lnslab_fail(L, "netns delete", name, &e);
  return 0;
}

/* }====================================================== */

/*
** {======================================================
** Methods
** =======================================================
*/

static int m_name(lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  lua_pushstring(L, ns->name); /* nil when anonymous */
  return 1;
}

static int m_fd(lua_State *L) {
  lua_pushinteger(L, lnetns_check(L, 1, NULL)->fd);
  return 1;
}

static int m_inode(lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  uint64_t ino;
  struct err e;
  if (netns_inode(ns->fd, &ino, &e) < 0) return lnslab_fail(L, "netns inode", ns->name, &e);
  lua_pushinteger(L, (lua_Integer)ino);
  return 1;
}

/* run(fn, ...): call fn inside the namespace; the thread is back where it
 * was afterwards, whether fn returned or raised. */
static int m_run(lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct err e;
  int saved, base = 1;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (netns_enter(ns->fd, &saved, &e) < 0) return lnslab_fail(L, "netns enter", ns->name, &e);
  int status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0);
  if (netns_leave(saved, &e) < 0) return lnslab_fail(L, "netns leave", ns->name, &e);
  if (status != LUA_OK) return lua_error(L);
  return lua_gettop(L) - base;
}

static int m_close(lua_State *L) {
  release(luaL_checkudata(L, 1, LNETNS));
  return 0;
}

static int m_tostring(lua_State *L) {
  struct lnetns *ns = luaL_checkudata(L, 1, LNETNS);
  if (ns->fd < 0) lua_pushliteral(L, "netns (closed)");
  else if (ns->name) lua_pushfstring(L, "netns \"%s\"", ns->name);
  else lua_pushfstring(L, "netns (anonymous, fd %d)", ns->fd);
  return 1;
}

/* Two handles are equal when they name the same namespace. */
static int m_eq(lua_State *L) {
  struct lnetns *a = luaL_checkudata(L, 1, LNETNS);
  struct lnetns *b = luaL_checkudata(L, 2, LNETNS);
  struct stat sa, sb;
  lua_pushboolean(L, a->fd >= 0 && b->fd >= 0 && fstat(a->fd, &sa) == 0 &&
                         fstat(b->fd, &sb) == 0 && sa.st_ino == sb.st_ino &&
                         sa.st_dev == sb.st_dev);
  return 1;
}

/* }====================================================== */

static void lnetns_register(lua_State *L, int module, int methods) {
  static const luaL_Reg functions[] = {
      {"netns_create", l_create},      {"netns_open", l_open},
      {"netns_open_pid", l_open_pid},  {"netns_open_path", l_open_path},
      {"netns_current", l_current},    {"netns_list", l_list},
      {"netns_delete", l_delete},      {NULL, NULL}};
  static const luaL_Reg method_list[] = {
      {"name", m_name}, {"fd", m_fd},       {"inode", m_inode},
      {"run", m_run},   {"close", m_close}, {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__gc", m_close},
                                  {"__close", m_close},
                                  {"__tostring", m_tostring},
                                  {"__eq", m_eq},
                                  {NULL, NULL}};
  lnslab_add(L, module, functions);
  lnslab_add(L, methods, method_list);
  luaL_getmetatable(L, LNETNS);
  lnslab_add(L, lua_gettop(L), meta);
  lua_pop(L, 1);
}

const struct lbinding lnetns_binding = {"netns", NULL, NULL, NULL, lnetns_register};
