/*
 * lua_addr.c - addresses: netns methods addr_add, addr_del, addr_list.
 */
#include <linux/if_addr.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "lua_nslab.h"
#include "rtnames.h"

/* A prefix argument; like `ip addr`, a bare address means /32 or /128.
 * Bad text raises: addr "192.168.1.300/24": not an IPv4 or IPv6 prefix */
static void check_prefix(lua_State *L, int idx, struct ipaddr *a) {
  const char *text = luaL_checkstring(L, idx);
  struct err e;
  if (ipaddr_parse(text, a, &e) < 0) {
    lua_pushfstring(L, "\"%s\"", text);
    lnslab_fail(L, "addr", lua_tostring(L, -1), &e);
  }
  if (a->prefixlen < 0) a->prefixlen = a->family == AF_INET ? 32 : 128;
}

/* "addr add 192.168.1.1/24 dev veth-test1" names both objects. */
static const char *object(lua_State *L, int prefix_idx, int dev_idx) {
  return lua_pushfstring(L, "%s dev %s", lua_tostring(L, prefix_idx),
                         luaL_tolstring(L, dev_idx, NULL));
}

/* addr_add(dev, prefix [, {broadcast = true | "a.b.c.d", nodad = bool}])
 * broadcast = true is `brd +`: the subnet's last address. */
static int m_addr_add(lua_State *L) {
  static const char *const allowed[] = {"broadcast", "nodad", NULL};
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct ipaddr prefix, brd, *brdp = NULL;
  unsigned flags = 0;
  struct err e;
  check_prefix(L, 3, &prefix);
  lnslab_check_options(L, 4, "addr add", allowed);
  if (!lua_isnoneornil(L, 4)) {
    lua_getfield(L, 4, "broadcast");
    int type = lua_type(L, -1);
    if (type != LUA_TNIL && prefix.family != AF_INET)
      return lnslab_raise(L, "addr add: broadcast can be set only for IPv4 addresses");
    if (type == LUA_TBOOLEAN) {
      /* `brd +`: none on /31 and /32, which have no broadcast (RFC 3021) */
      if (lua_toboolean(L, -1) && prefix.prefixlen < 31) {
        ipaddr_broadcast(&prefix, &brd);
        brdp = &brd;
      }
    } else if (type == LUA_TSTRING) {
      if (ipaddr_parse(lua_tostring(L, -1), &brd, &e) < 0 || brd.family != AF_INET ||
          brd.prefixlen >= 0)
        return lnslab_raise(L, "addr add: broadcast \"%s\" is not an IPv4 address",
                            lua_tostring(L, -1));
      brdp = &brd;
    } else if (type != LUA_TNIL) {
      return lnslab_raise(L, "addr add: broadcast must be true or an IPv4 address");
    }
    if (lnslab_opt_bool(L, 4, "addr add", "nodad", 0)) flags |= IFA_F_NODAD;
    lua_pop(L, 1);
  }
  struct nl *nl = lnetns_rtnl(L, ns);
  int ifindex = lnslab_ifindex(L, nl, 2, "addr add");
  if (addr_add(nl, ifindex, &prefix, brdp, flags, &e) < 0)
    return lnslab_fail(L, "addr add", object(L, 3, 2), &e);
  return 0;
}

static int m_addr_del(lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct ipaddr prefix;
  struct err e;
  check_prefix(L, 3, &prefix);
  struct nl *nl = lnetns_rtnl(L, ns);
  int ifindex = lnslab_ifindex(L, nl, 2, "addr del");
  if (addr_del(nl, ifindex, &prefix, &e) < 0)
    return lnslab_fail(L, "addr del", object(L, 3, 2), &e);
  return 0;
}


/* One entry shaped like an item of `ip -j addr`'s addr_info, plus the
 * ifindex it belongs to. */
static void push_addr(lua_State *L, const void *item) {
  const struct addr_info *a = item;
  char num[16];
  lua_createtable(L, 0, 10);
  lnslab_set_int(L, "ifindex", a->ifindex);
  lnslab_set_str(L, "family", a->local.family == AF_INET ? "inet" : "inet6");
  lnslab_set_ip(L, "local", &a->local, 0);
  lnslab_set_ip(L, "address", &a->peer, 0);
  lnslab_set_int(L, "prefixlen", a->local.prefixlen);
  lnslab_set_ip(L, "broadcast", &a->broadcast, 0);
  lnslab_set_str(L, "scope", rtname_of(rtnames_scope, a->scope, num, sizeof num));
  if (a->label[0]) lnslab_set_str(L, "label", a->label);
  if (a->flags & IFA_F_TENTATIVE) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "tentative");
  }
  if (a->flags & IFA_F_NODAD) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "nodad");
  }
  if (a->valid_lft != 0xffffffffu) lnslab_set_int(L, "valid_life_time", a->valid_lft);
}

/* addr_list(["inet" | "inet6"]) */
static int m_addr_list(lua_State *L) {
  static const char *const families[] = {"all", "inet", "inet6", NULL};
  static const int family_of[] = {AF_UNSPEC, AF_INET, AF_INET6};
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  int family = family_of[luaL_checkoption(L, 2, "all", families)];
  struct addr_info *list;
  size_t n;
  struct err e;
  if (addr_list(lnetns_rtnl(L, ns), family, &list, &n, &e) < 0)
    return lnslab_fail(L, "addr show", ns->name, &e);
  lnslab_push_list(L, list, n, sizeof *list, push_addr);
  free(list);
  return 1;
}

static void laddr_register(lua_State *L, int module, int methods) {
  static const luaL_Reg method_list[] = {{"addr_add", m_addr_add},
                                         {"addr_del", m_addr_del},
                                         {"addr_list", m_addr_list},
                                         {NULL, NULL}};
  (void)module;
  lnslab_add(L, methods, method_list);
}

const struct lbinding laddr_binding = {"addr", NULL, NULL, NULL, laddr_register};
