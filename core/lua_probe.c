/*
 * lua_probe.c - the netns method ping(targets [, opts]).
 *
 *   ns:ping "192.168.1.2"                 --> {target=..., sent=1, ...}
 *   ns:ping({"10.0.0.1", "2001:db8::2"}, {count = 3, interval = 0.1})
 *                                         --> {{...}, {...}} in that order
 *
 * Every wait is bounded: timeout is the deadline from the first send, so a
 * ping never lasts longer than it, whatever count and interval say.
 */
#include <errno.h>
#include <string.h>

#include "lua_netns.h"
#include "probe.h"

#define PING_TARGETS_MAX 4096

static const struct lopt ping_spec[] = {
  {"count", LOPT_INT, 1, 65536, NULL, NULL, 0,
   "echo requests per target (1); sequence numbers are 16 bits"},
  {"interval", LOPT_NUM, 0, 60, NULL, NULL, 0,
   "seconds between two requests to one target (0.2)"},
  {"timeout", LOPT_NUM, 0.001, 3600, NULL, NULL, 0,
   "seconds from the first send until giving up (1)"},
  {NULL, 0, 0, 0, NULL, NULL, 0, NULL}
};
enum { PING_COUNT, PING_INTERVAL, PING_TIMEOUT };

static const struct lopt_set option_sets[] = {{"ping", ping_spec}, {NULL, NULL}};


/*
** {======================================================
** Arguments
** =======================================================
*/

/* Seconds as whole milliseconds, rounded up so that a tiny positive
 * value stays > 0 (no ceil(): libm is not linked). */
static int to_ms(lua_Number s) {
  lua_Number ms = s * 1000;
  int whole = (int)ms;
  return whole < ms ? whole + 1 : whole;
}

static void check_opts(lua_State *L, int idx, struct probe_opts *o) {
  struct lopt_val v[3];
  lnslab_options(L, idx, "ping", NULL, ping_spec, v);
  o->count = v[PING_COUNT].set ? (int)v[PING_COUNT].i : 1;
  o->interval_ms = to_ms(v[PING_INTERVAL].set ? v[PING_INTERVAL].n : 0.2);
  o->timeout_ms = to_ms(v[PING_TIMEOUT].set ? v[PING_TIMEOUT].n : 1.0);
}

/* Push the target string number i (0-based) of argument 2, checked. */
static const char *push_target(lua_State *L, int single, size_t i) {
  static const struct lopt addr = {"target", LOPT_STR, 0, IPADDR_TEXT_MAX, NULL, NULL,
                                   LOPT_REQUIRED, NULL};
  struct lopt_val v;
  if (single) {
    lua_pushvalue(L, 2);
    return lua_tostring(L, -1);
  }
  lua_geti(L, 2, (lua_Integer)i + 1);
  const char *label = lua_pushfstring(L, "argument 1 (targets) item %I", (lua_Integer)i + 1);
  lnslab_check_value(L, -2, "ping", NULL, label, &addr, &v);
  lua_pop(L, 1);
  return v.s;
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

/* Push {target=, sent=, received=, rtt_*= (when received), error=}. */
static void push_result(lua_State *L, int single, size_t i,
                        const struct probe_result *r) {
  lua_createtable(L, 0, 7);
  push_target(L, single, i);
  lua_setfield(L, -2, "target");
  lnslab_set_int(L, "sent", r->sent);
  lnslab_set_int(L, "received", r->received);
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
  static const struct lopt one = {"target", LOPT_STR, 0, IPADDR_TEXT_MAX, NULL, NULL,
                                  LOPT_REQUIRED, NULL};
  struct lopt_val v;
  lnslab_check_nargs(L, 3, "ping");
  lua_settop(L, 3);
  struct lnetns *ns = lnetns_check(L, 1, "ping");
  int single = lua_type(L, 2) != LUA_TTABLE;
  if (single)   /* a string, or the message says what a target must be */
    lnslab_check_value(L, 2, "ping", NULL, "argument 1 (target)", &one, &v);
  struct probe_opts o;
  check_opts(L, 3, &o);
  lua_Integer len = single ? 1 : (lua_Integer)lua_rawlen(L, 2);
  if (len > PING_TARGETS_MAX)
    return lnslab_raise(L, "ping: argument 1 (targets) must hold at most %d addresses, got %I",
                        PING_TARGETS_MAX, len);
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

static const luaL_Reg methods[] = {{"ping", l_ping}, {NULL, NULL}};

/* }====================================================== */

const struct lbinding lprobe_binding = {"probe", NULL, methods, option_sets, NULL};
