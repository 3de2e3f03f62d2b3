/*
 * lua_route.c - routes: netns methods route_add, route_del, route_list.
 * Options use iproute2's words: dst, via, dev, table, metric, src, type,
 * scope, proto, family.
 */
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lua_nslab.h"
#include "route.h"
#include "rtnames.h"

static const char *const route_options[] = {"dst", "via", "dev", "table", "metric",
                                            "src", "type", "scope", "proto",
                                            "family", NULL};

/* An address option; "default" (dst only) leaves a unset. */
static void opt_ip(lua_State *L, const char *op, const char *key,
                   struct ipaddr *a, int host_prefix) {
  const char *text = lnslab_opt_str(L, 2, key, NULL);
  struct err e;
  if (!text || (host_prefix && !strcmp(text, "default"))) return;
  if (ipaddr_parse(text, a, &e) < 0) {
    lua_pushfstring(L, "%s \"%s\"", key, text);
    lnslab_fail(L, op, lua_tostring(L, -1), &e);
  }
  if (!host_prefix && a->prefixlen >= 0)
    lnslab_raise(L, "%s: %s \"%s\" must be an address, not a prefix", op, key, text);
  if (host_prefix && a->prefixlen < 0) a->prefixlen = a->family == AF_INET ? 32 : 128;
}

static unsigned opt_name(lua_State *L, const char *op, const char *key,
                         const struct rtname *names, unsigned dflt) {
  const char *text;
  lua_getfield(L, 2, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return dflt;
  }
  text = luaL_tolstring(L, -1, NULL);
  long v = rtname_value(names, text);
  if (v < 0) lnslab_raise(L, "%s: unknown %s \"%s\"", op, key, text);
  lua_pop(L, 2);
  return (unsigned)v;
}

/* Read the options table at 2 into r, as `ip route add|del` would. */
static void check_route(lua_State *L, const char *op, struct route_info *r) {
  luaL_checktype(L, 2, LUA_TTABLE);
  lnslab_check_options(L, 2, op, route_options);
  route_info_init(r);
  opt_ip(L, op, "dst", &r->dst, 1);
  opt_ip(L, op, "via", &r->gateway, 0);
  opt_ip(L, op, "src", &r->prefsrc, 0);
  const char *family = lnslab_opt_str(L, 2, "family", NULL);
  if (family) {
    if (!strcmp(family, "inet")) r->family = AF_INET;
    else if (!strcmp(family, "inet6")) r->family = AF_INET6;
    else lnslab_raise(L, "%s: family must be inet or inet6", op);
  }
  if (!r->family && !r->dst.family && !r->gateway.family) r->family = AF_INET;
  r->table = opt_name(L, op, "table", rtnames_table, RT_TABLE_MAIN);
  r->type = (unsigned char)opt_name(L, op, "type", rtnames_type, RTN_UNICAST);
  r->scope = (unsigned char)opt_name(L, op, "scope", rtnames_scope, RT_SCOPE_NOWHERE);
  r->protocol = (unsigned char)opt_name(L, op, "proto", rtnames_protocol, RTPROT_BOOT);
  lua_Integer metric = lnslab_opt_range(L, 2, op, "metric", -1, 0, UINT32_MAX);
  if (metric >= 0) {
    r->priority = (uint32_t)metric;
    r->has_priority = 1;
  }
}

/* What an error names: "route add default via 10.0.0.1 dev eth0", the
 * spec as ip would print it, is clearer than any one field. */
static const char *describe(lua_State *L, const struct route_info *r) {
  char dst[IPADDR_TEXT_MAX] = "default", via[IPADDR_TEXT_MAX];
  int top = lua_gettop(L);
  if (r->dst.family) ipaddr_format(&r->dst, 1, dst, sizeof dst);
  lua_pushstring(L, dst);
  if (r->gateway.family) {
    ipaddr_format(&r->gateway, 0, via, sizeof via);
    lua_pushfstring(L, " via %s", via);
  }
  lua_getfield(L, 2, "dev");
  if (!lua_isnil(L, -1)) {
    lua_pushfstring(L, " dev %s", luaL_tolstring(L, -1, NULL));
    lua_replace(L, -3);   /* over the raw value; then drop its text form */
  }
  lua_pop(L, 1);
  lua_concat(L, lua_gettop(L) - top);
  return lua_tostring(L, -1);
}

static int route_change(lua_State *L, const char *op,
                        int (*change)(struct nl *, const struct route_info *, struct err *)) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct route_info r;
  struct err e;
  check_route(L, op, &r);
  struct nl *nl = lnetns_rtnl(L, ns);
  lua_getfield(L, 2, "dev");
  if (!lua_isnil(L, -1)) r.oif = lnslab_ifindex(L, nl, -1, op);
  lua_pop(L, 1);
  if (change(nl, &r, &e) < 0) return lnslab_fail(L, op, describe(L, &r), &e);
  return 0;
}

static int m_route_add(lua_State *L) { return route_change(L, "route add", route_add); }
static int m_route_del(lua_State *L) { return route_change(L, "route del", route_del); }


static void set_name(lua_State *L, const char *key, const struct rtname *names,
                     unsigned value) {
  char num[16];
  lnslab_set_str(L, key, rtname_of(names, value, num, sizeof num));
}

/* Shaped like `ip -j route`: dst "default", "10.0.0.0/8" or, for a host
 * route, the bare address; dev is the ifindex here (oif). */
static void push_route(lua_State *L, const void *item) {
  const struct route_info *r = item;
  lua_createtable(L, 0, 10);
  lnslab_set_str(L, "family", r->family == AF_INET ? "inet" : "inet6");
  set_name(L, "type", rtnames_type, r->type);
  if (!r->dst.family) lnslab_set_str(L, "dst", "default");
  else lnslab_set_ip(L, "dst", &r->dst, r->dst.prefixlen != (int)ipaddr_len(&r->dst) * 8);
  lnslab_set_ip(L, "gateway", &r->gateway, 0);
  if (r->oif) lnslab_set_int(L, "oif", r->oif);
  set_name(L, "table", rtnames_table, r->table);
  set_name(L, "protocol", rtnames_protocol, r->protocol);
  set_name(L, "scope", rtnames_scope, r->scope);
  lnslab_set_ip(L, "prefsrc", &r->prefsrc, 0);
  if (r->has_priority) lnslab_set_int(L, "metric", r->priority);
}

/* route_list([{family = "inet"|"inet6", table = "main"|"local"|N|"all"}]) */
static int m_route_list(lua_State *L) {
  static const char *const allowed[] = {"family", "table", NULL};
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct route_info *list;
  size_t n;
  struct err e;
  int family = AF_UNSPEC;
  unsigned table = RT_TABLE_MAIN;
  lnslab_check_options(L, 2, "route show", allowed);
  const char *f = lnslab_opt_str(L, 2, "family", NULL);
  if (f && strcmp(f, "inet") && strcmp(f, "inet6"))
    return lnslab_raise(L, "route show: family must be inet or inet6");
  if (f) family = !strcmp(f, "inet6") ? AF_INET6 : AF_INET;
  if (!lua_isnoneornil(L, 2)) {
    lua_getfield(L, 2, "table");
    int all = lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1), "all");
    lua_pop(L, 1);
    table = all ? 0 : opt_name(L, "route show", "table", rtnames_table, RT_TABLE_MAIN);
  }
  if (route_list(lnetns_rtnl(L, ns), family, table, &list, &n, &e) < 0)
    return lnslab_fail(L, "route show", ns->name, &e);
  lnslab_push_list(L, list, n, sizeof *list, push_route);
  free(list);
  return 1;
}

static void lroute_register(lua_State *L, int module, int methods) {
  static const luaL_Reg method_list[] = {{"route_add", m_route_add},
                                         {"route_del", m_route_del},
                                         {"route_list", m_route_list},
                                         {NULL, NULL}};
  (void)module;
  lnslab_add(L, methods, method_list);
}

const struct lbinding lroute_binding = {"route", NULL, NULL, NULL, lroute_register};
