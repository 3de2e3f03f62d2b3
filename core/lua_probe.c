/*
 * lua_probe.c - the netns method ping(targets [, opts]) and
 * core.ping_many(probes [, opts]), probes from several namespaces at once.
 *
 *   ns:ping "192.168.1.2"                 --> {target=..., sent=1, ...}
 *   ns:ping({"10.0.0.1", "2001:db8::2"}, {count = 3, interval = 0.1})
 *                                         --> {{...}, {...}} in that order
 *   ns:ping("10.0.0.1", {count = 3, replies = 1})   -- done at the first reply
 *   core.ping_many{{ns1, "10.0.0.2"}, {ns2, "10.0.0.1"}}
 *                                         --> {{...}, {...}} in that order
 *   core.probe_ports({{ns1, "10.0.0.2", 80}}, {{ns2, 80}}, {proto = "tcp"})
 *                      --> {{target=, port=, reached=true, how="reached"}},
 *                          {{served = 1}}  (listeners made for the call)
 *
 * A result: target (the text asked), sent, received, rtt_min, rtt_avg,
 * rtt_max (milliseconds, only when received > 0), and when a request
 * could not be sent, error (the message) and errno (its symbolic name,
 * "ENETUNREACH"). Every wait is bounded: timeout is the deadline from the
 * first send, so a ping never lasts longer than it, whatever count and
 * interval say; it returns as soon as every target has its replies.
 */
#include <errno.h>
#include <string.h>

#include "lua_netns.h"
#include "probe.h"
#include "probe_tcp.h"

#define PING_TARGETS_MAX 4096
#define PING_MANY_MAX 65536 /* probes of one ping_many (ids repeat past it) */

static const struct lopt ping_spec[] = {
    {"count", LOPT_INT, 1, 65536, NULL, NULL, 0,
     "echo requests per target (1); sequence numbers are 16 bits"},
    {"interval", LOPT_NUM, 0, 60, NULL, NULL, 0,
     "seconds between two requests to one target (0.2)"},
    {"timeout", LOPT_NUM, 0.001, 3600, NULL, NULL, 0,
     "seconds from the first send until giving up (1, or 1 after the last "
     "request when count requests at interval take longer)"},
    {"replies", LOPT_INT, 1, 65536, NULL, NULL, 0,
     "replies after which a target gets no more requests (count); at most count"},
    {"size", LOPT_INT, PROBE_SIZE_MIN, PROBE_SIZE_MAX, NULL, NULL, 0,
     "bytes after the ICMP header of each request, as ping -s (56)"},
    {"dont_fragment", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "never fragment a request, as ping -M do: one bigger than a hop's MTU "
     "fails (false: the kernel fragments it once it knows the path's MTU)"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
enum {
  PING_COUNT,
  PING_INTERVAL,
  PING_TIMEOUT,
  PING_REPLIES,
  PING_SIZE,
  PING_DONT_FRAGMENT
};

static const char *const protos[] = {"tcp", "udp", NULL};
static const struct lopt ports_spec[] = {
    {"proto", LOPT_CHOICE, 0, 0, protos, NULL, LOPT_REQUIRED,
     "tcp: a connect per probe, udp: a datagram echoed back"},
    {"timeout", LOPT_NUM, 0.001, 3600, NULL, NULL, 0,
     "seconds from the first send until giving up (1)"},
    {"count", LOPT_INT, 1, 100, NULL, NULL, 0,
     "udp: datagrams per probe at most, one per interval, until echoed (3)"},
    {"interval", LOPT_NUM, 0, 60, NULL, NULL, 0,
     "udp: seconds between two datagrams of a probe (0.2)"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
enum { PORTS_PROTO, PORTS_TIMEOUT, PORTS_COUNT, PORTS_INTERVAL };

static const struct lopt_set option_sets[] = {{"ping", ping_spec},
                                              {"ping many", ping_spec},
                                              {"probe ports", ports_spec},
                                              {NULL, NULL}};

/*
** {======================================================
** Arguments
** =======================================================
*/

/* Seconds as whole milliseconds, rounded up so that a tiny positive
 * value stays > 0 (no ceil(): libm is not linked). */
static int to_ms (lua_Number s) {
  lua_Number ms = s * 1000;
  int whole = (int)ms;
  return whole < ms ? whole + 1 : whole;
}

static void check_opts (lua_State *L, int idx, const char *op,
                        struct probe_opts *o) {
  struct lopt_val v[6];
  lnslab_options(L, idx, op, NULL, ping_spec, v);
  o->count = v[PING_COUNT].set ? (int)v[PING_COUNT].i : 1;
  o->size = v[PING_SIZE].set ? (int)v[PING_SIZE].i : 0;
  o->dont_fragment = v[PING_DONT_FRAGMENT].set && v[PING_DONT_FRAGMENT].b;
  o->replies = v[PING_REPLIES].set ? (int)v[PING_REPLIES].i : o->count;
  o->interval_ms = to_ms(v[PING_INTERVAL].set ? v[PING_INTERVAL].n : 0.2);
  /* The deadline is 1 s, or, when count requests at interval take longer
     (ping{count = 10} would send 5), 1 s after the last one, as iputils'
     ping without -w sends them all (nslab.sock's trace says the same). */
  int64_t last_send_ms = (int64_t)(o->count - 1) * o->interval_ms;
  if (v[PING_TIMEOUT].set)
    o->timeout_ms = to_ms(v[PING_TIMEOUT].n);
  else if (last_send_ms >= 1000)
    o->timeout_ms =
        (int)(last_send_ms + 1000 < 3600000 ? last_send_ms + 1000 : 3600000);
  else
    o->timeout_ms = 1000;
  if (o->replies > o->count)
    lnslab_raise(L, "%s: option 'replies' must be at most count (%d), got %d",
                 op, o->count, o->replies);
}

/* Push the target string number i (0-based) of argument 2, checked. */
static const char *push_target (lua_State *L, int single, size_t i) {
  static const struct lopt addr = {
      "target", LOPT_STR, 0, IPADDR_TEXT_MAX, NULL, NULL, LOPT_REQUIRED, NULL};
  struct lopt_val v;
  if (single) {
    lua_pushvalue(L, 2);
    return lua_tostring(L, -1);
  }
  lua_geti(L, 2, (lua_Integer)i + 1);
  const char *label =
      lua_pushfstring(L, "argument 1 (targets) item %I", (lua_Integer)i + 1);
  lnslab_check_value(L, -2, "ping", NULL, label, &addr, &v);
  lua_pop(L, 1);
  return v.s;
}

/* Parse a target: an address, not a prefix. Raises on anything else. */
static void parse_target (lua_State *L, const char *op, const char *text,
                          struct ipaddr *a) {
  struct err e;
  if (ipaddr_parse(text, a, &e) < 0 || a->prefixlen >= 0) {
    err_set(&e, EINVAL, "not an IPv4 or IPv6 address");
    lnslab_fail(L, op, lua_pushfstring(L, "\"%s\"", text), &e);
  }
}

/* }====================================================== */

/*
** {======================================================
** Results
** =======================================================
*/

static void set_num (lua_State *L, const char *key, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, key);
}

/* Push {target=, sent=, received=, rtt_*= (when received), error=},
 * the target's text being on top of the stack (popped). */
static void push_result (lua_State *L, const struct probe_result *r) {
  lua_createtable(L, 0, 8);
  lua_rotate(L, -2, 1);
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

static int l_ping (lua_State *L) {
  static const struct lopt one = {
      "target", LOPT_STR, 0, IPADDR_TEXT_MAX, NULL, NULL, LOPT_REQUIRED, NULL};
  struct lopt_val v;
  lnslab_check_nargs(L, 3, "ping");
  lua_settop(L, 3);
  struct lnetns *ns = lnetns_check(L, 1, "ping");
  /* A list is a plain table: an object (a table with a metatable) is one
   * target, refused below, not an empty list that would send nothing. */
  int single = lua_type(L, 2) != LUA_TTABLE;
  if (!single && lua_getmetatable(L, 2)) {
    lua_pop(L, 1);
    single = 1;
  }
  if (single) /* a string, or the message says what a target must be */
    lnslab_check_value(L, 2, "ping", NULL, "argument 1 (target)", &one, &v);
  struct probe_opts o;
  check_opts(L, 3, "ping", &o);
  lua_Integer len = single ? 1 : (lua_Integer)lua_rawlen(L, 2);
  if (len > PING_TARGETS_MAX)
    return lnslab_raise(
        L, "ping: argument 1 (targets) must hold at most %d addresses, got %I",
        PING_TARGETS_MAX, len);
  size_t n = (size_t)len;
  /* A userdata, not malloc: a raise below must not leak it. */
  struct probe_result *res = lua_newuserdatauv(L, n ? n * sizeof *res : 1, 0);
  memset(res, 0, n * sizeof *res);
  for (size_t i = 0; i < n; i++) {
    parse_target(L, "ping", push_target(L, single, i), &res[i].target);
    lua_pop(L, 1);
  }
  struct err e;
  if (probe_ping(ns->fd, res, n, &o, &e) < 0)
    lnslab_fail(
        L, "ping",
        single ? lua_pushfstring(L, "\"%s\"", lua_tostring(L, 2)) : NULL, &e);
  if (single) {
    push_target(L, 1, 0);
    push_result(L, &res[0]);
    return 1;
  }
  lua_createtable(L, (int)(n < 1u << 30 ? n : 0), 0);
  for (size_t i = 0; i < n; i++) {
    push_target(L, 0, i);
    push_result(L, &res[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static const luaL_Reg methods[] = {{"ping", l_ping}, {NULL, NULL}};

/* }====================================================== */

/*
** {======================================================
** core.ping_many(probes [, opts])
** =======================================================
*/

/* Push probe i's field k (1: its netns, 2: its target), checked. */
static void push_probe_field (lua_State *L, size_t i, int k,
                              struct lopt_val *v) {
  static const struct lopt fields[] = {
      {"netns", LOPT_NETNS, 0, 0, NULL, NULL, LOPT_REQUIRED, NULL},
      {"target", LOPT_STR, 0, IPADDR_TEXT_MAX, NULL, NULL, LOPT_REQUIRED, NULL},
  };
  lnslab_push_item_field(L, 1, "ping many", "probes", i, k, &fields[k - 1], v);
}

/*
** Each probe is {netns, target}; every probe runs in the one poll loop,
** from its own namespace (probes sharing a namespace share its sockets).
** Returns one result per probe, in order, as ns:ping's.
*/
static int l_ping_many (lua_State *L) {
  lnslab_check_nargs(L, 2, "ping many");
  lua_settop(L, 2);
  static const struct lopt list = {"probes", LOPT_TABLE,    0,   0, NULL,
                                   NULL,     LOPT_REQUIRED, NULL};
  struct lopt_val v;
  lnslab_check_arg(L, 1, "ping many", NULL, "probes", &list, &v);
  struct probe_opts o;
  check_opts(L, 2, "ping many", &o);
  lua_Integer len = (lua_Integer)lua_rawlen(L, 1);
  if (len > PING_MANY_MAX)
    return lnslab_raise(
        L, "ping many: argument 1 (probes) must hold at most %d probes, got %I",
        PING_MANY_MAX, len);
  size_t n = (size_t)len;
  struct probe_result *res =
      lua_newuserdatauv(L, n ? n * sizeof *res : 1, 0);        /* 3 */
  int *fds = lua_newuserdatauv(L, n ? n * sizeof *fds : 1, 0); /* 4 */
  lua_newtable(L); /* 5: netns userdata -> source index */
  memset(res, 0, n * sizeof *res);
  size_t nsrc = 0;
  for (size_t i = 0; i < n; i++) {
    push_probe_field(L, i, 1, &v);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, 5) == LUA_TNUMBER) {
      res[i].source = (size_t)lua_tointeger(L, -1);
      lua_pop(L, 2);
    } else {
      lua_pop(L, 1);
      res[i].source = nsrc;
      fds[nsrc] = v.ns->fd;
      lua_pushinteger(L, (lua_Integer)nsrc++);
      lua_rawset(L, 5);
    }
    push_probe_field(L, i, 2, &v);
    parse_target(L, "ping many", v.s, &res[i].target);
    lua_pop(L, 1);
  }
  struct err e;
  if (probe_run(fds, nsrc, res, n, &o, &e) < 0)
    lnslab_fail(L, "ping many", NULL, &e);
  lua_createtable(L, (int)(n < 1u << 30 ? n : 0), 0);
  for (size_t i = 0; i < n; i++) {
    lua_geti(L, 1, (lua_Integer)i + 1);
    lua_geti(L, -1, 2);
    lua_remove(L, -2);
    push_result(L, &res[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/*
** {======================================================
** core.probe_ports(probes, listeners [, opts])
** =======================================================
*/

#define PORTS_MAX 65536 /* probes, and listeners, of one call */

/* Field k of item i of the list at argument arg (what: "probes"), checked
 * as fields[k - 1]; leaves the field's value in v, anchored in the item. */
static void push_item_field (lua_State *L, int arg, const char *what, size_t i,
                             int k, const struct lopt *fields,
                             struct lopt_val *v) {
  lnslab_push_item_field(L, arg, "probe ports", what, i, k, &fields[k - 1], v);
  lua_pop(L, 1); /* v stays anchored in the list */
}

/* The namespace index of handle v (table at index map: handle -> index). */
static size_t ns_index (lua_State *L, int map, const struct lopt_val *v,
                        int *fds, size_t *nns) {
  lua_rawgetp(L, map, v->ns);
  if (lua_type(L, -1) == LUA_TNUMBER) {
    size_t j = (size_t)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return j;
  }
  lua_pop(L, 1);
  fds[*nns] = v->ns->fd;
  lua_pushinteger(L, (lua_Integer)*nns);
  lua_rawsetp(L, map, v->ns);
  return (*nns)++;
}

static const char *const hows[] = {"reached", "reset", "icmp", "timeout",
                                   "local"};

static void push_port_result (lua_State *L, const struct port_probe *p,
                              const char *target) {
  lua_createtable(L, 0, 10);
  lnslab_set_str(L, "target", target);
  lnslab_set_int(L, "port", p->port);
  lnslab_set_bool(L, "reached", p->how == PORT_REACHED);
  lnslab_set_str(L, "how", hows[p->how]);
  lnslab_set_int(L, "sent", p->sent);
  if (p->how == PORT_REACHED) set_num(L, "rtt", p->rtt_ms);
  if (p->how == PORT_ICMP) {
    lnslab_set_str(L, "icmp", p->icmp);
    lnslab_set_ip(L, "icmp_from", &p->icmp_from, 0);
  }
  if (p->err.code) {
    lnslab_set_str(L, "error", err_text(&p->err));
    const char *name = strerrorname_np(p->err.code);
    lnslab_set_str(L, "errno", name ? name : "EUNKNOWN");
  }
}

/*
** Each probe is {netns, target, port}, each listener {netns, port}: the
** listeners are made first (a port in use fails the call, nothing sent),
** every probe then runs in the one loop, and everything is closed before
** the call returns. Returns one result per probe, in order, and one
** {served = N} per listener.
*/
static int l_probe_ports (lua_State *L) {
  static const struct lopt list = {"list", LOPT_TABLE,    0,   0, NULL,
                                   NULL,   LOPT_REQUIRED, NULL};
  static const struct lopt probe[] = {
      {"netns", LOPT_NETNS, 0, 0, NULL, NULL, LOPT_REQUIRED, NULL},
      {"target", LOPT_STR, 0, IPADDR_TEXT_MAX, NULL, NULL, LOPT_REQUIRED, NULL},
      {"port", LOPT_INT, 1, 65535, NULL, NULL, LOPT_REQUIRED, NULL},
  };
  static const struct lopt listener[] = {
      {"netns", LOPT_NETNS, 0, 0, NULL, NULL, LOPT_REQUIRED, NULL},
      {"port", LOPT_INT, 1, 65535, NULL, NULL, LOPT_REQUIRED, NULL},
  };
  struct lopt_val v, ov[4];
  lnslab_check_nargs(L, 3, "probe ports");
  lua_settop(L, 3);
  lnslab_check_arg(L, 1, "probe ports", NULL, "probes", &list, &v);
  lnslab_check_arg(L, 2, "probe ports", NULL, "listeners", &list, &v);
  lnslab_options(L, 3, "probe ports", NULL, ports_spec, ov);
  struct port_opts o = {
      .proto = ov[PORTS_PROTO].i == 0 ? PORT_TCP : PORT_UDP,
      .timeout_ms = to_ms(ov[PORTS_TIMEOUT].set ? ov[PORTS_TIMEOUT].n : 1.0),
      .count = ov[PORTS_COUNT].set ? (int)ov[PORTS_COUNT].i : 3,
      .interval_ms =
          to_ms(ov[PORTS_INTERVAL].set ? ov[PORTS_INTERVAL].n : 0.2)};
  lua_Integer len = (lua_Integer)lua_rawlen(L, 1);
  lua_Integer nlen = (lua_Integer)lua_rawlen(L, 2);
  if (len > PORTS_MAX || nlen > PORTS_MAX)
    return lnslab_raise(L,
                        "probe ports: argument %d (%s) must hold at most %d "
                        "items, got %I",
                        len > PORTS_MAX ? 1 : 2,
                        len > PORTS_MAX ? "probes" : "listeners", PORTS_MAX,
                        len > PORTS_MAX ? len : nlen);
  size_t n = (size_t)len, nl = (size_t)nlen;
  /* Userdata, not malloc: a raise below must not leak them. */
  struct port_probe *p = lua_newuserdatauv(L, n ? n * sizeof *p : 1, 0); /* 4 */
  struct port_listener *l =
      lua_newuserdatauv(L, nl ? nl * sizeof *l : 1, 0); /* 5 */
  int *fds = lua_newuserdatauv(L, (n + nl ? n + nl : 1) * sizeof *fds, 0);
  lua_newtable(L); /* 7: netns -> index */
  memset(p, 0, n * sizeof *p);
  memset(l, 0, nl * sizeof *l);
  size_t nns = 0;
  for (size_t i = 0; i < n; i++) {
    push_item_field(L, 1, "probes", i, 1, probe, &v);
    p[i].source = ns_index(L, 7, &v, fds, &nns);
    push_item_field(L, 1, "probes", i, 2, probe, &v);
    parse_target(L, "probe ports", v.s, &p[i].target);
    push_item_field(L, 1, "probes", i, 3, probe, &v);
    p[i].port = (int)v.i;
  }
  for (size_t k = 0; k < nl; k++) {
    push_item_field(L, 2, "listeners", k, 1, listener, &v);
    l[k].netns = ns_index(L, 7, &v, fds, &nns);
    push_item_field(L, 2, "listeners", k, 2, listener, &v);
    l[k].port = (int)v.i;
  }
  struct err e;
  if (port_probe_run(fds, nns, p, n, l, nl, &o, &e) < 0)
    lnslab_fail(L, "probe ports", NULL, &e);
  lua_createtable(L, (int)(n < 1u << 30 ? n : 0), 0);
  for (size_t i = 0; i < n; i++) {
    lua_geti(L, 1, (lua_Integer)i + 1);
    lua_geti(L, -1, 2);
    push_port_result(L, &p[i], lua_tostring(L, -1));
    lua_rotate(L, -3, 1);
    lua_pop(L, 2);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_createtable(L, (int)(nl < 1u << 30 ? nl : 0), 0);
  for (size_t k = 0; k < nl; k++) {
    lua_createtable(L, 0, 1);
    lnslab_set_int(L, "served", l[k].served);
    lua_rawseti(L, -2, (lua_Integer)k + 1);
  }
  return 2;
}

/* }====================================================== */

static const luaL_Reg functions[] = {
    {"ping_many", l_ping_many}, {"probe_ports", l_probe_ports}, {NULL, NULL}};

/* }====================================================== */

const struct lbinding lprobe_binding = {"probe", functions, methods,
                                        option_sets, NULL};
