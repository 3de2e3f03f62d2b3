/*
 * lua_core.c - the module nslab.core and the helpers every binding shares.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipaddr.h"
#include "link.h"
#include "lua_nslab.h"

int lnslab_raise(lua_State *L, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  return lua_error(L);
}

int lnslab_fail(lua_State *L, const char *op, const char *object,
                const struct err *e) {
  if (object)
    return lnslab_raise(L, "%s %s: %s", op, object, err_text(e));
  return lnslab_raise(L, "%s: %s", op, err_text(e));
}

void lnslab_check_options(lua_State *L, int idx, const char *op,
                          const char *const allowed[]) {
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int known = 0;
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char *key = lua_tostring(L, -1);
      for (const char *const *a = allowed; *a && !known; a++)
        known = !strcmp(*a, key);
    }
    if (!known) {
      /* luaL_tolstring pushes a copy; the key itself must stay intact. */
      const char *key = luaL_tolstring(L, -1, NULL);
      lnslab_raise(L, "%s: invalid option '%s'", op, key);
    }
  }
}

lua_Integer lnslab_opt_int(lua_State *L, int idx, const char *key,
                           lua_Integer dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  lua_getfield(L, idx, key);
  lua_Integer v = dflt;
  if (!lua_isnil(L, -1)) {
    int isint = 0;
    if (lua_type(L, -1) == LUA_TNUMBER) v = lua_tointegerx(L, -1, &isint);
    if (!isint) lnslab_raise(L, "option '%s' must be an integer", key);
  }
  lua_pop(L, 1);
  return v;
}

lua_Integer lnslab_opt_range(lua_State *L, int idx, const char *op,
                             const char *key, lua_Integer dflt,
                             lua_Integer min, lua_Integer max) {
  if (lua_isnoneornil(L, idx)) return dflt;
  int given = lua_getfield(L, idx, key) != LUA_TNIL;
  lua_pop(L, 1);
  lua_Integer v = lnslab_opt_int(L, idx, key, dflt);
  if (given && (v < min || v > max))
    lnslab_raise(L, "%s: %s must be %I..%I", op, key, min, max);
  return v;
}

int lnslab_opt_bool(lua_State *L, int idx, const char *op, const char *key, int dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  int type = lua_getfield(L, idx, key), v = dflt;
  if (type == LUA_TBOOLEAN) v = lua_toboolean(L, -1);
  else if (type != LUA_TNIL) lnslab_raise(L, "%s: option '%s' must be a boolean", op, key);
  lua_pop(L, 1);
  return v;
}

/* The string stays valid: it is anchored in the options table. */
const char *lnslab_opt_str(lua_State *L, int idx, const char *key,
                           const char *dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  lua_getfield(L, idx, key);
  const char *v = dflt;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING)
      lnslab_raise(L, "option '%s' must be a string", key);
    v = lua_tostring(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

void lnslab_check_dev(lua_State *L, int idx, int *ifindex, const char **name) {
  *ifindex = 0;
  *name = NULL;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Integer i = luaL_checkinteger(L, idx);
    if (i <= 0 || i > INT_MAX) luaL_argerror(L, idx, "ifindex out of range");
    *ifindex = (int)i;
  } else {
    *name = luaL_checkstring(L, idx);
  }
}

void lnslab_set_int(lua_State *L, const char *key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}

void lnslab_set_str(lua_State *L, const char *key, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, key);
}

void lnslab_set_ip(lua_State *L, const char *key, const struct ipaddr *a,
                   int with_prefix) {
  char text[IPADDR_TEXT_MAX];
  if (!a->family) return;
  ipaddr_format(a, with_prefix, text, sizeof text);
  lnslab_set_str(L, key, text);
}

int lnslab_ifindex_of(lua_State *L, struct nl *nl, int idx, const char *op,
                      const char *object) {
  int ifindex;
  const char *name;
  struct err e;
  lnslab_check_dev(L, idx, &ifindex, &name);
  if (ifindex > 0) return ifindex;
  if ((ifindex = link_index(nl, name, &e)) < 0) lnslab_fail(L, op, object ? object : name, &e);
  return ifindex;
}

int lnslab_ifindex(lua_State *L, struct nl *nl, int idx, const char *op) {
  return lnslab_ifindex_of(L, nl, idx, op, NULL);
}

void lnslab_push_list(lua_State *L, const void *items, size_t n, size_t size,
                      lnslab_push_fn push) {
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    push(L, (const char *)items + i * size);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

void lnslab_add(lua_State *L, int t, const luaL_Reg *functions) {
  lua_pushvalue(L, t);
  luaL_setfuncs(L, functions, 0);
  lua_pop(L, 1);
}

/* clock(): monotonic seconds, for deadlines that wall-clock jumps
 * cannot stretch. */
static int l_clock(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

/* sleep(seconds): the pause between two polls of a condition. */
static int l_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  if (!(s >= 0 && s <= 1e9)) luaL_argerror(L, 1, "duration out of range (0..1e9 s)");
  struct timespec ts = {(time_t)s, (long)((s - (lua_Number)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
  return 0;
}

/* mkdir(path): `mkdir -p` without a process per call. */
static int l_mkdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char buf[PATH_MAX];
  if (strlen(path) >= sizeof buf) return lnslab_raise(L, "mkdir %s: path too long", path);
  strcpy(buf, path);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char c = *p;
    *p = '\0';
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
      return lnslab_raise(L, "mkdir %s: %s", buf, strerror(errno));
    if (!(*p = c)) break;
  }
  return 0;
}

/* readlink(path): what `ls -l /proc/PID/ns` shows, without ls. */
static int l_readlink(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char buf[PATH_MAX];
  ssize_t n = readlink(path, buf, sizeof buf - 1);
  if (n < 0) return lnslab_raise(L, "readlink %s: %s", path, strerror(errno));
  lua_pushlstring(L, buf, (size_t)n);
  return 1;
}

int luaopen_nslab_core(lua_State *L) {
  static const luaL_Reg functions[] = {{"clock", l_clock}, {"sleep", l_sleep},
                                       {"mkdir", l_mkdir}, {"readlink", l_readlink},
                                       {NULL, NULL}};
  luaL_newlib(L, functions);            /* module */
  int module = lua_gettop(L);
  luaL_newmetatable(L, LNETNS);
  int meta = lua_gettop(L);
  lua_newtable(L);                      /* methods */
  int methods = lua_gettop(L);
  lua_pushvalue(L, methods);
  lua_setfield(L, meta, "__index");
  lnetns_register(L, module, methods);
  llink_register(L, module, methods);
  laddr_register(L, module, methods);
  lroute_register(L, module, methods);
  lprobe_register(L, module, methods);
  lproc_register(L, module, methods);
  lworld_register(L, module, methods);
  lneigh_register(L, module, methods);
  lsysctl_register(L, module, methods);
  ltun_register(L, module, methods);
  lsock_register(L, module, methods);
  lcontainer_register(L, module, methods);
  lnft_register(L, module, methods);
  lua_settop(L, module);
  return 1;
}
