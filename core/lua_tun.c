/*
 * lua_tun.c - tun and tap devices: `ip tuntap add` and `ip tuntap show`
 * without a process.
 *
 *   ns:tuntap_add("tap0", "tap")         -- ip tuntap add dev tap0 mode tap
 *   ns:tuntap_add("tun%d", "tun", {owner = 1000, pi = true})  --> "tun0"
 *   ns:tuntap_list()  --> {{ifindex=, ifname="tap0", type="tap", pi=false,
 *                           vnet_hdr=false, multi_queue=false, persist=true,
 *                           [user=uid], [group=gid]}, ...}
 *
 * The device is an ordinary link afterwards (kind "tun"): link_set moves
 * it to another namespace, link_del deletes it.
 */
#include <stdlib.h>

#include "lua_nslab.h"
#include "tun.h"


/* An optional uid/gid field: -1 when absent. */
static long opt_id (lua_State *L, int idx, const char *key) {
  lua_Integer v = lnslab_opt_int(L, idx, key, -1);
  if (v < -1 || v >= 0xffffffffLL)
    lnslab_raise(L, "tuntap add: option '%s' must be a uid/gid", key);
  return (long)v;
}


/*
** ns:tuntap_add(name, mode [, {pi=, vnet_hdr=, multi_queue=, owner=,
** group=}]) --> the name the kernel gave it.
*/
static int m_tuntap_add (lua_State *L) {
  static const char *const allowed[] = {
    "pi", "vnet_hdr", "multi_queue", "owner", "group", NULL
  };
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct tun_spec s;
  struct err e;
  char name[IFNAMSIZ];
  tun_spec_init(&s);
  s.name = luaL_checkstring(L, 2);
  const char *mode = luaL_checkstring(L, 3);
  lnslab_check_options(L, 4, "tuntap add", allowed);
  if ((s.mode = tun_mode_parse(mode)) == 0)
    return lnslab_raise(L, "tuntap add %s: mode must be tun or tap, not "
                        "\"%s\"", s.name, mode);
  s.pi = lnslab_opt_bool(L, 4, "tuntap add", "pi", 0);
  s.vnet_hdr = lnslab_opt_bool(L, 4, "tuntap add", "vnet_hdr", 0);
  s.multi_queue = lnslab_opt_bool(L, 4, "tuntap add", "multi_queue", 0);
  s.owner = opt_id(L, 4, "owner");
  s.group = opt_id(L, 4, "group");
  if (tun_add(ns->fd, &s, name, &e) < 0)
    return lnslab_fail(L, "tuntap add", s.name, &e);
  lua_pushstring(L, name);
  return 1;
}


/* Field names as `ip -j -d link` prints them under linkinfo.info_data. */
static void push_tun (lua_State *L, const void *item) {
  const struct tun_info *t = item;
  lua_createtable(L, 0, 10);
  lnslab_set_int(L, "ifindex", t->ifindex);
  lnslab_set_str(L, "ifname", t->ifname);
  if (tun_mode_name(t->mode)) lnslab_set_str(L, "type", tun_mode_name(t->mode));
  lua_pushboolean(L, t->pi);
  lua_setfield(L, -2, "pi");
  lua_pushboolean(L, t->vnet_hdr);
  lua_setfield(L, -2, "vnet_hdr");
  lua_pushboolean(L, t->multi_queue);
  lua_setfield(L, -2, "multi_queue");
  lua_pushboolean(L, t->persist);
  lua_setfield(L, -2, "persist");
  if (t->owner >= 0) lnslab_set_int(L, "user", t->owner);
  if (t->group >= 0) lnslab_set_int(L, "group", t->group);
  if (t->multi_queue) {
    lnslab_set_int(L, "numqueues", t->num_queues);
    lnslab_set_int(L, "numdisabled", t->num_disabled_queues);
  }
}


/*
** ns:tuntap_list(): the tun and tap devices of the namespace.
*/
static int m_tuntap_list (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct tun_info *list;
  size_t n;
  struct err e;
  if (tun_list(lnetns_rtnl(L, ns), &list, &n, &e) < 0)
    return lnslab_fail(L, "tuntap show", ns->name, &e);
  lnslab_push_list(L, list, n, sizeof *list, push_tun);
  free(list);
  return 1;
}


static void ltun_register(lua_State *L, int module, int methods) {
  static const luaL_Reg method_list[] = {
    {"tuntap_add", m_tuntap_add}, {"tuntap_list", m_tuntap_list},
    {NULL, NULL}
  };
  (void)module;
  lnslab_add(L, methods, method_list);
}

const struct lbinding ltun_binding = {"tun", NULL, NULL, NULL, ltun_register};
