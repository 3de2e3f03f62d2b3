/*
 * lua_probe.c - the netns method ping(targets [, opts]).
 *
 *   ns:ping "192.168.1.2"                 --> {target=..., sent=1, ...}
 *   ns:ping({"10.0.0.1", "2001:db8::2"}, {count = 3, interval = 0.1})
 *                                         --> {{...}, {...}} in that order
 */
#include <errno.h>
#include <string.h>

#include "lua_nslab.h"
#include "probe.h"

#define PING_COUNT_MAX 65536   /* sequence numbers are 16 bits */


/*
** {======================================================
** Arguments
** =======================================================
*/

/* Optional number field key of the options table at idx, in seconds,
 * as whole milliseconds (rounded up so a tiny positive value stays > 0). */
static int opt_ms(lua_State *L, int idx, const char *key, double dflt) {
  double s = dflt;
  if (!lua_isnoneornil(L, idx)) {
    int t = lua_getfield(L, idx, key);
    if (t != LUA_TNIL) {
      if (t != LUA_TNUMBER)
        luaL_argerror(L, idx, lua_pushfstring(L, "'%s' must be a number of seconds", key));
      s = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
  }
  if (!(s >= 0 && s <= 86400))   /* also catches NaN */
    luaL_argerror(L, idx, lua_pushfstring(L, "'%s' must be 0..86400 seconds", key));
  double ms = s * 1000;
  int whole = (int)ms;
  return whole < ms ? whole + 1 : whole;
}

static void check_opts(lua_State *L, int idx, struct probe_opts *o) {
  static const char *const allowed[] = {"count", "interval", "timeout", NULL};
  if (!lua_isnoneornil(L, idx)) {
    luaL_checktype(L, idx, LUA_TTABLE);
    lnslab_check_options(L, idx, "ping", allowed);
  }
  lua_Integer count = lnslab_opt_int(L, idx, "count", 1);
  if (count < 1 || count > PING_COUNT_MAX)
    luaL_argerror(L, idx, "'count' must be 1..65536");
  o->count = (int)count;
  o->interval_ms = opt_ms(L, idx, "interval", 0.2);
  o->timeout_ms = opt_ms(L, idx, "timeout", 1.0);
  if (o->timeout_ms <= 0)
    luaL_argerror(L, idx, "'timeout' must be > 0");
}

/* Push the target string number i (0-based) of argument 2. */
static const char *push_target(lua_State *L, int single, size_t i) {
  if (single) {
    lua_pushvalue(L, 2);
    return lua_tostring(L, -1);
  }
  if (lua_geti(L, 2, (lua_Integer)i + 1) != LUA_TSTRING)
    luaL_argerror(L, 2, lua_pushfstring(L, "address string expected at index %I, got %s",
                                        (lua_Integer)i + 1, luaL_typename(L, -1)));
  return lua_tostring(L, -1);
}

/* Parse a target: an address, not a prefix. Raises on anything else. */
static void parse_target(lua_State *L, const char *text, struct ipaddr *a) {
  struct err e;
  if (ipaddr_parse(text, a, &e) < 0 || a->prefixlen >= 0) {
    err_set(&e, EINVAL, "not an IPv4 or IPv6 address");
    lnslab_fail(L, "ping", lua_pushfstring(L, "\"%s\"", text), &e);
  }
}

/* }====================================================== */


/*
** {======================================================
** Results
** =======================================================
*/

static void set_num(lua_State *L, const char *key, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, const char *key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}

/* Push {target=, sent=, received=, rtt_*= (when received), error=}. */
static void push_result(lua_State *L, int single, size_t i,
                        const struct probe_result *r) {
  lua_createtable(L, 0, 7);
  push_target(L, single, i);
  lua_setfield(L, -2, "target");
  set_int(L, "sent", r->sent);
  set_int(L, "received", r->received);
  if (r->received > 0) {
    set_num(L, "rtt_min", r->rtt_min_ms);
    set_num(L, "rtt_avg", r->rtt_avg_ms);
    set_num(L, "rtt_max", r->rtt_max_ms);
  }
  if (r->err.code) {
    lua_pushstring(L, err_text(&r->err));
    lua_setfield(L, -2, "error");
    /* The symbolic name ("ENETUNREACH"), so that a check can tell "no way
       there" from a probe that went wrong. */
    const char *name = strerrorname_np(r->err.code);
    lua_pushstring(L, name ? name : "EUNKNOWN");
    lua_setfield(L, -2, "errno");
  }
}

/* }====================================================== */


/*
** {======================================================
** ns:ping(targets [, opts])
** =======================================================
*/

static int l_ping(lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  int single = lua_type(L, 2) == LUA_TSTRING;
  if (!single)
    luaL_argexpected(L, lua_type(L, 2) == LUA_TTABLE, 2, "address or array of addresses");
  struct probe_opts o;
  check_opts(L, 3, &o);
  lua_Integer len = single ? 1 : luaL_len(L, 2);
  if (len < 0 || (lua_Unsigned)len > (size_t)-1 / sizeof(struct probe_result))
    luaL_argerror(L, 2, "too many targets");
  size_t n = (size_t)len;
  /* A userdata, not malloc: a raise below must not leak it. */
  struct probe_result *res = lua_newuserdatauv(L, n ? n * sizeof *res : 1, 0);
  memset(res, 0, n * sizeof *res);
  for (size_t i = 0; i < n; i++) {
    parse_target(L, push_target(L, single, i), &res[i].target);
    lua_pop(L, 1);
  }
  struct err e;
  if (probe_ping(ns->fd, res, n, &o, &e) < 0)
    lnslab_fail(L, "ping", single ? lua_pushfstring(L, "\"%s\"", lua_tostring(L, 2)) : NULL, &e);
  if (single) {
    push_result(L, 1, 0, &res[0]);
    return 1;
  }
  lua_createtable(L, (int)(n < 1u << 30 ? n : 0), 0);
  for (size_t i = 0; i < n; i++) {
    push_result(L, 0, i, &res[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static void lprobe_register(lua_State *L, int module, int methods) {
  (void)module;
  methods = lua_absindex(L, methods);
  lua_pushcfunction(L, l_ping);
  lua_setfield(L, methods, "ping");
}

/* }====================================================== */

const struct lbinding lprobe_binding = {"probe", NULL, NULL, NULL, lprobe_register};
