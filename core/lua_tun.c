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
 * The same as link_add{kind = "tap", tap = {...}}: both go through the
 * rows "tun" and "tap" of link_kind.h, whose fields are the options. The
 * device is an ordinary link afterwards (kind "tun"): link_set moves it
 * to another namespace, link_del deletes it.
 */
#include <stdlib.h>

#include "link.h"
#include "lua_kind.h"
#include "lua_netns.h"
#include "tun.h"

static struct lopt_set option_sets[] = {{"tuntap add", NULL}, {NULL, NULL}};

/*
** ns:tuntap_add(name, mode [, {pi=, vnet_hdr=, multi_queue=, owner=,
** group=}]) --> the name the kernel gave it.
*/
static int m_tuntap_add (lua_State *L) {
  static const char *const modes[] = {"tun", "tap", NULL};
  static const struct lopt name_arg = {"name", LOPT_STR,      0,   64, NULL,
                                       NULL,   LOPT_REQUIRED, NULL};
  static const struct lopt mode_arg = {"mode", LOPT_CHOICE,   0,   0, modes,
                                       NULL,   LOPT_REQUIRED, NULL};
  struct lopt_val name, mode;
  long data[LINK_KIND_DATA / sizeof(long)];
  char got[IFNAMSIZ];
  struct link_spec s = {0};
  struct err e;
  lnslab_check_nargs(L, 4, "tuntap add");
  struct lnetns *ns = lnetns_check(L, 1, "tuntap add");
  lua_settop(L, 4); /* absent arguments are nil, below what check_arg pushes */
  /* a string, not LOPT_IFNAME: "tap%d" asks the kernel for a number, and
     link_add says what is wrong with a name in its own words */
  lnslab_check_arg(L, 2, "tuntap add", NULL, "name", &name_arg, &name);
  lnslab_check_arg(L, 3, "tuntap add", name.s, "mode", &mode_arg, &mode);
  const struct link_kind *k = link_kind_find(mode.s);
  struct nl *nl = lnetns_rtnl(L, ns);
  lkind_read(L, 4, "tuntap add", name.s, NULL, k, nl, data);
  s.name = name.s;
  s.kind = k->name;
  s.netns_fd = s.peer_netns_fd = -1;
  s.own_netns_fd = ns->fd;
  s.data = data;
  s.name_out = got;
  if (link_add(nl, &s, &e) < 0) return lnslab_fail(L, "tuntap add", s.name, &e);
  lua_pushstring(L, got);
  return 1;
}

/* Field names as `ip -j -d link` prints them under linkinfo.info_data. */
static void push_tun (lua_State *L, const void *item) {
  const struct tun_info *t = item;
  lua_createtable(L, 0, 10);
  lnslab_set_int(L, "ifindex", t->ifindex);
  lnslab_set_str(L, "ifname", t->ifname);
  lkind_set_fields(L, link_kind_of("tun"), &t->o, 1);
}

/*
** ns:tuntap_list(): the tun and tap devices of the namespace.
*/
static int m_tuntap_list (lua_State *L) {
  lnslab_check_nargs(L, 1, "tuntap show");
  struct lnetns *ns = lnetns_check(L, 1, "tuntap show");
  struct tun_info *list;
  size_t n;
  struct err e;
  if (tun_list(lnetns_rtnl(L, ns), &list, &n, &e) < 0)
    return lnslab_fail(L, "tuntap show", ns->name, &e);
  lnslab_push_owned_list(L, list, n, sizeof *list, push_tun);
  return 1;
}

static const luaL_Reg method_list[] = {
    {"tuntap_add", m_tuntap_add}, {"tuntap_list", m_tuntap_list}, {NULL, NULL}};

static void ltun_init (lua_State *L, int module, int methods) {
  (void)L, (void)module, (void)methods;
  option_sets[0].spec = lkind_spec(link_kind_find("tap"));
}

const struct lbinding ltun_binding = {"tun", NULL, method_list, option_sets,
                                      ltun_init};
