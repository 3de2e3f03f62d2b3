/*
 * lua_route.c - routes: netns methods route_add, route_del, route_list,
 * route_get. Options use iproute2's words: dst, via, dev, table, metric,
 * src, type, scope, proto, family.
 */
#include <errno.h>
#include <limits.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "link.h"
#include "lua_ip.h"
#include "lua_netns.h"
#include "route.h"
#include "rtnames.h"

static const char *const families[] = {"inet", "inet6", NULL};

#define TABLE_DOC "main, local, default or a table number 1..4294967295"
#define SCOPE_DOC "global, site, link, host, nowhere or a number 0..255"
#define PROTO_DOC                                                              \
  "boot, static, kernel, ra, dhcp, redirect, unspec or a number 0..255"
#define TYPE_DOC                                                               \
  "unicast, local, broadcast, anycast, multicast, blackhole, "                 \
  "unreachable, prohibit, throw or nat"

enum {
  R_DST,
  R_VIA,
  R_DEV,
  R_TABLE,
  R_METRIC,
  R_SRC,
  R_TYPE,
  R_SCOPE,
  R_PROTO,
  R_FAMILY
};
static const struct lopt route_spec[] = {
    {"dst", LOPT_STR, 0, LIP_TEXT_MAX, NULL, NULL, 0,
     "the destination prefix (a bare address is a host route), or \"default\""},
    {"via", LOPT_STR, 0, LIP_TEXT_MAX, NULL, NULL, 0, "the gateway's address"},
    {"dev", LOPT_DEV, 0, 0, NULL, NULL, 0, "the output device"},
    {"table", LOPT_ANY, 0, 0, NULL, NULL, 0, TABLE_DOC},
    {"metric", LOPT_INT, 0, UINT32_MAX, NULL, NULL, 0, "the route's priority"},
    {"src", LOPT_STR, 0, LIP_TEXT_MAX, NULL, NULL, 0,
     "the preferred source address"},
    {"type", LOPT_ANY, 0, 0, NULL, NULL, 0, TYPE_DOC},
    {"scope", LOPT_ANY, 0, 0, NULL, NULL, 0, SCOPE_DOC},
    {"proto", LOPT_ANY, 0, 0, NULL, NULL, 0, PROTO_DOC},
    {"family", LOPT_CHOICE, 0, 0, families, NULL, 0,
     "the family of a default route without gateway"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

enum { S_FAMILY, S_TABLE, S_DEV };
static const struct lopt show_spec[] = {
    {"family", LOPT_CHOICE, 0, 0, families, NULL, 0, "only this family"},
    {"table", LOPT_ANY, 0, 0, NULL, NULL, 0,
     TABLE_DOC " or all (main by default)"},
    {"dev", LOPT_DEV, 0, 0, NULL, NULL, 0, "only routes through this device"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

enum { G_DST, G_FROM, G_DEV, G_IIF, G_FIBMATCH, G_SOFT };
static const struct lopt get_spec[] = {
    {"dst", LOPT_STR, 0, LIP_TEXT_MAX, NULL, NULL, LOPT_REQUIRED,
     "the address to reach"},
    {"from", LOPT_STR, 0, LIP_TEXT_MAX, NULL, NULL, 0, "the source address"},
    {"dev", LOPT_DEV, 0, 0, NULL, NULL, 0, "the output device"},
    {"iif", LOPT_DEV, 0, 0, NULL, NULL, 0,
     "the input device: look up as for a packet received on it (give from)"},
    {"fibmatch", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "the route of the table that matches, not the result of the lookup"},
    {"soft", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "the kernel's refusal is an answer: nil, its message and errno name"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

/*
** {======================================================
** Option values
** =======================================================
*/

/* A word of names or an integer min..max (names only when max < min),
 * e.g. table "main" or 100. A numeric string is not a number. */
static long check_word (lua_State *L, int opts, const char *op,
                        const char *object, const char *key, const char *doc,
                        const struct rtname *names, lua_Integer min,
                        lua_Integer max, long dflt) {
  long v = -1;
  if (lua_isnoneornil(L, opts) || lua_getfield(L, opts, key) == LUA_TNIL) {
    if (!lua_isnoneornil(L, opts)) lua_pop(L, 1);
    return dflt;
  }
  size_t len;
  if (lua_type(L, -1) == LUA_TSTRING) {
    const char *s = lua_tolstring(L, -1, &len);
    for (const struct rtname *n = names; n->name && strlen(s) == len; n++)
      if (!strcmp(n->name, s)) v = (long)n->value;
  } else if (lua_isinteger(L, -1) && max >= min) {
    lua_Integer i = lua_tointeger(L, -1);
    if (i >= min && i <= max) v = (long)i;
  }
  if (v < 0) {
    const char *got = lnslab_given(L, -1);
    const char *pre = object ? lua_pushfstring(L, "%s %s", op, object) : op;
    lnslab_raise(L, "%s: option '%s' must be %s, got %s", pre, key, doc, got);
  }
  lua_pop(L, 1);
  return v;
}

/* An address option, fetched again from the options table at opts. */
static void opt_ip (lua_State *L, int opts, const char *op, const char *key,
                    const struct lopt_val *v, enum lip_kind kind,
                    struct ipaddr *a) {
  if (!v->set) return;
  lua_getfield(L, opts, key);
  lua_pushfstring(L, "option '%s'", key);
  lnslab_check_ip(L, -2, op, NULL, lua_tostring(L, -1), kind, a);
  lua_pop(L, 2);
}

/* The ifindex of a LOPT_DEV value; raises "op NAME: No such device". */
static int dev_index (lua_State *L, struct nl *nl, const char *op,
                      const struct lopt_val *v) {
  struct err e;
  int ifindex;
  if (!v->s) return (int)v->i;
  if ((ifindex = link_index(nl, v->s, &e)) < 0) lnslab_fail(L, op, v->s, &e);
  return ifindex;
}

/* The ifindex of option iif, which must exist (the kernel would say only
 * "No such device" without naming the option). */
static int iif_index (lua_State *L, struct nl *nl, const char *dst,
                      const struct lopt_val *v) {
  struct err e;
  struct link_info info;
  int ifindex = v->s ? link_index(nl, v->s, &e) : (int)v->i;
  if (ifindex < 0 || (!v->s && link_get(nl, ifindex, NULL, &info, &e) < 0))
    return lnslab_raise(L, "route get %s: option 'iif' %s: %s", dst,
                        lnslab_dev_label(L, (int)v->i, v->s), err_text(&e));
  return ifindex;
}

/* }====================================================== */

/* Read the options table at 2 into r, as `ip route add|del` would. */
static void check_route (lua_State *L, const char *op, struct route_info *r,
                         struct lopt_val *v) {
  lnslab_check_nargs(L, 2, op);
  if (lua_type(L, 2) != LUA_TTABLE)
    lnslab_raise(L, "%s: %s must be a table, got %s", op,
                 lnslab_arg_label(L, 2, "route"), luaL_typename(L, 2));
  lnslab_options(L, 2, op, NULL, route_spec, v);
  route_info_init(r);
  if (v[R_DST].set && strcmp(v[R_DST].s, "default"))
    opt_ip(L, 2, op, "dst", &v[R_DST], LIP_PREFIX, &r->dst);
  opt_ip(L, 2, op, "via", &v[R_VIA], LIP_ADDRESS, &r->gateway);
  opt_ip(L, 2, op, "src", &v[R_SRC], LIP_ADDRESS, &r->prefsrc);
  if (v[R_FAMILY].set) r->family = v[R_FAMILY].i ? AF_INET6 : AF_INET;
  if (!r->family && !r->dst.family && !r->gateway.family) r->family = AF_INET;
  r->table = (uint32_t)check_word(L, 2, op, NULL, "table", TABLE_DOC,
                                  rtnames_table, 1, UINT32_MAX, RT_TABLE_MAIN);
  r->type = (unsigned char)check_word(L, 2, op, NULL, "type", TYPE_DOC,
                                      rtnames_type, 1, 0, RTN_UNICAST);
  r->scope = (unsigned char)check_word(L, 2, op, NULL, "scope", SCOPE_DOC,
                                       rtnames_scope, 0, 255, RT_SCOPE_NOWHERE);
  r->protocol =
      (unsigned char)check_word(L, 2, op, NULL, "proto", PROTO_DOC,
                                rtnames_protocol, 0, 255, RTPROT_BOOT);
  if (v[R_METRIC].set) {
    r->priority = (uint32_t)v[R_METRIC].i;
    r->has_priority = 1;
  }
}

/* What an error names: "route add default via 10.0.0.1 dev eth0", the
 * spec as ip would print it, is clearer than any one field. */
static const char *describe (lua_State *L, const struct route_info *r,
                             const struct lopt_val *dev) {
  char dst[IPADDR_TEXT_MAX] = "default", via[IPADDR_TEXT_MAX];
  int top = lua_gettop(L);
  if (r->dst.family) ipaddr_format(&r->dst, 1, dst, sizeof dst);
  lua_pushstring(L, dst);
  if (r->gateway.family) {
    ipaddr_format(&r->gateway, 0, via, sizeof via);
    lua_pushfstring(L, " via %s", via);
  }
  if (dev->set) {
    const char *label =
        lnslab_dev_label(L, (int)dev->i, dev->s); /* pushed for an ifindex */
    lua_pushfstring(L, " dev %s", label);
    if (!dev->s) lua_remove(L, -2);
  }
  lua_concat(L, lua_gettop(L) - top);
  return lua_tostring(L, -1);
}

static int route_change (lua_State *L, const char *op,
                         int (*change)(struct nl *, const struct route_info *,
                                       struct err *)) {
  struct lnetns *ns = lnetns_check(L, 1, op);
  struct lopt_val v[R_FAMILY + 1];
  struct route_info r;
  struct err e;
  check_route(L, op, &r, v);
  struct nl *nl = lnetns_rtnl(L, ns);
  if (v[R_DEV].set) r.oif = dev_index(L, nl, op, &v[R_DEV]);
  if (change(nl, &r, &e) < 0)
    return lnslab_fail(L, op, describe(L, &r, &v[R_DEV]), &e);
  return 0;
}

static int m_route_add (lua_State *L) {
  return route_change(L, "route add", route_add);
}
static int m_route_del (lua_State *L) {
  return route_change(L, "route del", route_del);
}

static void set_name (lua_State *L, const char *key, const struct rtname *names,
                      unsigned value) {
  char num[16];
  lnslab_set_str(L, key, rtname_of(names, value, num, sizeof num));
}

/* Shaped like `ip -j route`: dst "default", "10.0.0.0/8" or, for a host
 * route, the bare address; dev is the ifindex here (oif). */
static void push_route (lua_State *L, const void *item) {
  const struct route_info *r = item;
  lua_createtable(L, 0, 10);
  lnslab_set_str(L, "family", r->family == AF_INET ? "inet" : "inet6");
  set_name(L, "type", rtnames_type, r->type);
  if (!r->dst.family)
    lnslab_set_str(L, "dst", "default");
  else
    lnslab_set_ip(L, "dst", &r->dst,
                  r->dst.prefixlen != (int)ipaddr_len(&r->dst) * 8);
  lnslab_set_ip(L, "gateway", &r->gateway, 0);
  if (r->oif) lnslab_set_int(L, "oif", r->oif);
  if (r->iif) lnslab_set_int(L, "iif", r->iif);
  set_name(L, "table", rtnames_table, r->table);
  set_name(L, "protocol", rtnames_protocol, r->protocol);
  set_name(L, "scope", rtnames_scope, r->scope);
  lnslab_set_ip(L, "prefsrc", &r->prefsrc, 0);
  if (r->has_priority) lnslab_set_int(L, "metric", r->priority);
}

/* route_list([{family = "inet"|"inet6", table = "main"|"local"|N|"all",
 * dev = NAME|IFINDEX}]): the kernel sends only what matches. */
static int m_route_list (lua_State *L) {
  static const struct rtname with_all[] = {{RT_TABLE_DEFAULT, "default"},
                                           {RT_TABLE_MAIN, "main"},
                                           {RT_TABLE_LOCAL, "local"},
                                           {0, "all"},
                                           {0, NULL}};
  struct lnetns *ns = lnetns_check(L, 1, "route show");
  struct lopt_val v[S_DEV + 1];
  struct route_info *list;
  size_t n;
  struct err e;
  int family = AF_UNSPEC, oif = 0;
  lnslab_check_nargs(L, 2, "route show");
  lnslab_options(L, 2, "route show", ns->name, show_spec, v);
  if (v[S_FAMILY].set) family = v[S_FAMILY].i ? AF_INET6 : AF_INET;
  unsigned table = (unsigned)check_word(L, 2, "route show", ns->name, "table",
                                        TABLE_DOC " or all", with_all, 1,
                                        UINT32_MAX, RT_TABLE_MAIN);
  struct nl *nl = lnetns_rtnl(L, ns);
  if (v[S_DEV].set) oif = dev_index(L, nl, "route show", &v[S_DEV]);
  if (v[S_DEV].set &&
      !v[S_DEV].s) { /* a filtered dump of no device is empty, not an error */
    struct link_info info;
    if (link_get(nl, oif, NULL, &info, &e) < 0)
      return lnslab_fail(L, "route show", lnslab_dev_label(L, oif, NULL), &e);
  }
  if (route_list(nl, family, table, oif, &list, &n, &e) < 0)
    return lnslab_fail(L, "route show", ns->name, &e);
  lnslab_push_owned_list(L, list, n, sizeof *list, push_route);
  return 1;
}

/* route_get{dst =, from =, dev =, iif =, fibmatch =, soft =}: `ip route
 * get`, one RTM_GETROUTE; the route as route_list shows it. With soft, a
 * lookup the kernel refuses ("No route to host" where forwarding is off,
 * "Invalid cross-device link" from rp_filter) returns nil, the message
 * and the errno name ("EXDEV"), as a diagnosis wants it. */
static int m_route_get (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "route get");
  struct lopt_val v[G_SOFT + 1];
  struct route_query q;
  struct route_info r;
  struct err e;
  lnslab_check_nargs(L, 2, "route get");
  if (lua_type(L, 2) != LUA_TTABLE)
    return lnslab_raise(L, "route get: %s must be a table, got %s",
                        lnslab_arg_label(L, 2, "query"), luaL_typename(L, 2));
  lnslab_options(L, 2, "route get", NULL, get_spec, v);
  memset(&q, 0, sizeof q);
  opt_ip(L, 2, "route get", "dst", &v[G_DST], LIP_ADDRESS, &q.dst);
  opt_ip(L, 2, "route get", "from", &v[G_FROM], LIP_ADDRESS, &q.from);
  q.fibmatch = v[G_FIBMATCH].set && v[G_FIBMATCH].b;
  if (q.from.family && q.from.family != q.dst.family) /* not a refusal */
    return lnslab_raise(L,
                        "route get %s: option 'from' must be of the "
                        "destination's family, got %s",
                        v[G_DST].s, v[G_FROM].s);
  struct nl *nl = lnetns_rtnl(L, ns);
  if (v[G_DEV].set) q.oif = dev_index(L, nl, "route get", &v[G_DEV]);
  if (v[G_IIF].set) q.iif = iif_index(L, nl, v[G_DST].s, &v[G_IIF]);
  if (route_get(nl, &q, &r, &e) < 0) {
    const char *name = strerrorname_np(e.code);
    if (!(v[G_SOFT].set && v[G_SOFT].b) || !name)
      return lnslab_fail(L, "route get", v[G_DST].s, &e);
    lua_pushnil(L);
    lua_pushstring(L, err_text(&e));
    lua_pushstring(L, name);
    return 3;
  }
  push_route(L, &r);
  return 1;
}

static const luaL_Reg methods[] = {{"route_add", m_route_add},
                                   {"route_del", m_route_del},
                                   {"route_list", m_route_list},
                                   {"route_get", m_route_get},
                                   {NULL, NULL}};

static const struct lopt_set option_sets[] = {{"route add", route_spec},
                                              {"route del", route_spec},
                                              {"route show", show_spec},
                                              {"route get", get_spec},
                                              {NULL, NULL}};

const struct lbinding lroute_binding = {"route", NULL, methods, option_sets,
                                        NULL};
