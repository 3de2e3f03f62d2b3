/*
 * lua_addr.c - addresses: netns methods addr_add, addr_del, addr_list,
 * addr_wait.
 *
 *   ns:addr_add("eth0", "192.168.1.1/24", {broadcast = true})
 *   ns:addr_list{family = "inet", dev = "eth0"}   -- one device's only
 */
#include <linux/if_addr.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "addr_wait.h"
#include "link.h"
#include "lua_ip.h"
#include "lua_netns.h"
#include "rtnames.h"

static const char *const families[] = {"inet", "inet6", NULL};

enum { A_BROADCAST, A_NODAD, A_WAIT };
static const struct lopt add_spec[] = {
    {"broadcast", LOPT_ANY, 0, 0, NULL, NULL, 0,
     "true (brd +: the subnet's last address) or an IPv4 address"},
    {"nodad", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "IPv6: usable at once, no duplicate address detection"},
    {"wait", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "IPv6 (default true): on a device that is up with carrier, return "
     "once duplicate address detection is over, so the address is usable; "
     "false: return at once, the address tentative for a second or two"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

enum { W_TIMEOUT };
static const struct lopt wait_spec[] = {
    {"timeout", LOPT_NUM, 0, 3600, NULL, NULL, 0,
     "seconds (default 5) until the wait gives up"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

/* DAD takes up to 2 s with the kernel's defaults (a random delay of up to
 * rtr_solicit_delay, then dad_transmits probes retrans_time apart). */
#define DAD_WAIT_MS 5000

enum { L_FAMILY, L_DEV };
static const struct lopt show_spec[] = {
    {"family", LOPT_CHOICE, 0, 0, families, NULL, 0, "only this family"},
    {"dev", LOPT_DEV, 0, 0, NULL, NULL, 0,
     "only this device's (one filtered dump)"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

static const struct lopt prefix_arg = {
    "prefix", LOPT_STR, 0, LIP_TEXT_MAX, NULL, NULL, LOPT_REQUIRED, NULL};

/* The device at 2 (checked, not yet resolved) and the prefix at 3: like
 * `ip addr`, a bare address means /32 or /128. Returns the device's label. */
static const char *check_args (lua_State *L, const char *op,
                               struct ipaddr *prefix, int *ifindex,
                               const char **name) {
  struct lopt_val v;
  lnslab_check_dev(L, 2, op, ifindex, name);
  const char *dev = lnslab_dev_label(L, *ifindex, *name);
  lnslab_check_arg(L, 3, op, dev, "prefix", &prefix_arg, &v);
  lnslab_check_ip(L, 3, op, dev, lnslab_arg_label(L, 3, "prefix"), LIP_PREFIX,
                  prefix);
  return dev;
}

static int resolve (lua_State *L, struct nl *nl, const char *op, int ifindex,
                    const char *name) {
  struct err e;
  if (ifindex > 0) return ifindex;
  if ((ifindex = link_index(nl, name, &e)) < 0) lnslab_fail(L, op, name, &e);
  return ifindex;
}

/* "addr add 192.168.1.1/24 dev veth-test1" names both objects. */
static const char *object (lua_State *L, const char *dev) {
  return lua_pushfstring(L, "%s dev %s", lua_tostring(L, 3), dev);
}

/* The broadcast option: NULL for none. */
static const struct ipaddr *check_broadcast (lua_State *L, const char *op,
                                             const char *dev,
                                             const struct ipaddr *prefix,
                                             struct ipaddr *brd) {
  struct err e;
  int type = lua_getfield(L, 4, "broadcast");
  const struct ipaddr *out = NULL;
  if (prefix->family != AF_INET)
    lnslab_raise(L, "%s %s: option 'broadcast' is only for IPv4 addresses", op,
                 dev);
  if (type == LUA_TBOOLEAN) {
    /* `brd +`: none on /31 and /32, which have no broadcast (RFC 3021) */
    if (lua_toboolean(L, -1) && prefix->prefixlen < 31) {
      ipaddr_broadcast(prefix, brd);
      out = brd;
    }
  } else if (type == LUA_TSTRING && lua_rawlen(L, -1) < IPADDR_TEXT_MAX &&
             strlen(lua_tostring(L, -1)) == lua_rawlen(L, -1) &&
             ipaddr_parse(lua_tostring(L, -1), brd, &e) == 0 &&
             brd->family == AF_INET && brd->prefixlen < 0) {
    out = brd;
  } else {
    const char *got = lnslab_given(L, -1);
    lnslab_raise(
        L, "%s %s: option 'broadcast' must be true or an IPv4 address, got %s",
        op, dev, got);
  }
  lua_pop(L, 1);
  return out;
}

static void settle (lua_State *L, struct lnetns *ns, struct nl *nl, int ifindex,
                    const struct ipaddr *prefix, const char *obj);

/* addr_add(dev, prefix [, {broadcast = true | "a.b.c.d", nodad = bool,
 *                           wait = bool}]) */
static int m_addr_add (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "addr add");
  struct lopt_val v[A_WAIT + 1];
  struct ipaddr prefix, brd;
  const struct ipaddr *brdp = NULL;
  const char *name;
  int ifindex;
  unsigned flags = 0;
  struct err e;
  lnslab_check_nargs(L, 4, "addr add");
  lua_settop(L, 4); /* absent arguments are nil, below the device's label */
  const char *dev = check_args(L, "addr add", &prefix, &ifindex, &name);
  lnslab_options(L, 4, "addr add", dev, add_spec, v);
  if (v[A_BROADCAST].set)
    brdp = check_broadcast(L, "addr add", dev, &prefix, &brd);
  if (v[A_NODAD].set && v[A_NODAD].b) flags |= IFA_F_NODAD;
  struct nl *nl = lnetns_rtnl(L, ns);
  ifindex = resolve(L, nl, "addr add", ifindex, name);
  if (addr_add(nl, ifindex, &prefix, brdp, flags, &e) < 0)
    return lnslab_fail(L, "addr add", object(L, dev), &e);
  if (prefix.family == AF_INET6 && !(flags & IFA_F_NODAD) &&
      !(v[A_WAIT].set && !v[A_WAIT].b))
    settle(L, ns, nl, ifindex, &prefix, object(L, dev));
  return 0;
}

/* After an IPv6 address was added: wait for DAD when the device does it
 * now (a device that is down, or without carrier, starts it later: see
 * addr_wait). An address that failed DAD, or is still tentative at the
 * deadline, is removed again, and the add fails: nothing half-made. */
static void settle (lua_State *L, struct lnetns *ns, struct nl *nl, int ifindex,
                    const struct ipaddr *prefix, const char *obj) {
  struct ipaddr which;
  struct err e;
  char text[IPADDR_TEXT_MAX];
  int runs = addr_dad_runs(nl, ifindex, &e);
  if (runs < 0) lnslab_fail(L, "addr add", obj, &e);
  if (!runs) return;
  int r = addr_wait_dad(nl, ns->fd, ifindex, DAD_WAIT_MS, &which, &e);
  if (r < 0) lnslab_fail(L, "addr add", obj, &e);
  if (r == ADDR_SETTLED) return;
  addr_del(nl, ifindex, prefix, &e);
  ipaddr_format(&which, 0, text, sizeof text);
  if (r == ADDR_DADFAILED)
    lnslab_raise(L,
                 "addr add %s: duplicate address detection failed for %s "
                 "(dadfailed): another node on the link has it",
                 obj, text);
  lnslab_raise(L,
               "addr add %s: %s still tentative after %d s (duplicate "
               "address detection)",
               obj, text, DAD_WAIT_MS / 1000);
}

/* addr_del(dev, prefix) */
static int m_addr_del (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "addr del");
  struct ipaddr prefix;
  const char *name;
  int ifindex;
  struct err e;
  lnslab_check_nargs(L, 3, "addr del");
  lua_settop(L, 3); /* absent arguments are nil, below the device's label */
  const char *dev = check_args(L, "addr del", &prefix, &ifindex, &name);
  struct nl *nl = lnetns_rtnl(L, ns);
  ifindex = resolve(L, nl, "addr del", ifindex, name);
  if (addr_del(nl, ifindex, &prefix, &e) < 0)
    return lnslab_fail(L, "addr del", object(L, dev), &e);
  return 0;
}

/* One entry shaped like an item of `ip -j addr`'s addr_info, plus the
 * ifindex it belongs to. */
static void push_addr (lua_State *L, const void *item) {
  const struct addr_info *a = item;
  char num[16];
  lua_createtable(L, 0, 10);
  lnslab_set_int(L, "ifindex", a->ifindex);
  lnslab_set_str(L, "family", a->local.family == AF_INET ? "inet" : "inet6");
  lnslab_set_ip(L, "local", &a->local, 0);
  lnslab_set_ip(L, "address", &a->peer, 0);
  lnslab_set_int(L, "prefixlen", a->local.prefixlen);
  lnslab_set_ip(L, "broadcast", &a->broadcast, 0);
  lnslab_set_str(L, "scope",
                 rtname_of(rtnames_scope, a->scope, num, sizeof num));
  if (a->label[0]) lnslab_set_str(L, "label", a->label);
  if (a->flags & IFA_F_TENTATIVE) lnslab_set_bool(L, "tentative", 1);
  if (a->flags & IFA_F_NODAD) lnslab_set_bool(L, "nodad", 1);
  if (a->valid_lft != 0xffffffffu)
    lnslab_set_int(L, "valid_life_time", a->valid_lft);
}

/* addr_list([{family = "inet" | "inet6", dev = NAME | IFINDEX}]) */
static int m_addr_list (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "addr show");
  struct lopt_val v[L_DEV + 1];
  struct addr_info *list;
  size_t n;
  struct err e;
  int family = AF_UNSPEC, ifindex = 0;
  lnslab_check_nargs(L, 2, "addr show");
  lnslab_options(L, 2, "addr show", ns->name, show_spec, v);
  if (v[L_FAMILY].set) family = v[L_FAMILY].i ? AF_INET6 : AF_INET;
  struct nl *nl = lnetns_rtnl(L, ns);
  if (v[L_DEV].set)
    ifindex = resolve(L, nl, "addr show", (int)v[L_DEV].i, v[L_DEV].s);
  if (v[L_DEV].set &&
      !v[L_DEV].s) { /* a filtered dump of no device is empty, not an error */
    struct link_info info;
    if (link_get(nl, ifindex, NULL, &info, &e) < 0)
      return lnslab_fail(L, "addr show", lnslab_dev_label(L, ifindex, NULL),
                         &e);
  }
  if (addr_list(nl, family, ifindex, &list, &n, &e) < 0)
    return lnslab_fail(L, "addr show", ns->name, &e);
  lnslab_push_owned_list(L, list, n, sizeof *list, push_addr);
  return 1;
}

/* addr_wait(dev [, {timeout = s}]): wait until no IPv6 address of dev is
 * tentative. true; or false, the address and "tentative" (at the
 * deadline) or "dadfailed" (at once: another node has it). */
static int m_addr_wait (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "addr wait");
  struct lopt_val v[W_TIMEOUT + 1];
  struct ipaddr which;
  const char *name;
  int ifindex;
  struct err e;
  char text[IPADDR_TEXT_MAX];
  lnslab_check_nargs(L, 3, "addr wait");
  lua_settop(L, 3);
  lnslab_check_dev(L, 2, "addr wait", &ifindex, &name);
  const char *dev = lnslab_dev_label(L, ifindex, name);
  lnslab_options(L, 3, "addr wait", dev, wait_spec, v);
  double timeout = v[W_TIMEOUT].set ? v[W_TIMEOUT].n : DAD_WAIT_MS / 1000.0;
  struct nl *nl = lnetns_rtnl(L, ns);
  ifindex = resolve(L, nl, "addr wait", ifindex, name);
  struct link_info info; /* an ifindex names no device until asked */
  if (link_get(nl, ifindex, NULL, &info, &e) < 0)
    return lnslab_fail(L, "addr wait", dev, &e);
  int r = addr_wait_dad(nl, ns->fd, ifindex, (int)(timeout * 1000 + 0.5),
                        &which, &e);
  if (r < 0) return lnslab_fail(L, "addr wait", dev, &e);
  lua_pushboolean(L, r == ADDR_SETTLED);
  if (r == ADDR_SETTLED) return 1;
  ipaddr_format(&which, 0, text, sizeof text);
  lua_pushstring(L, text);
  lua_pushstring(L, r == ADDR_DADFAILED ? "dadfailed" : "tentative");
  return 3;
}

static const luaL_Reg methods[] = {{"addr_add", m_addr_add},
                                   {"addr_wait", m_addr_wait},
                                   {"addr_del", m_addr_del},
                                   {"addr_list", m_addr_list},
                                   {NULL, NULL}};

static const struct lopt_set option_sets[] = {{"addr add", add_spec},
                                              {"addr show", show_spec},
                                              {"addr wait", wait_spec},
                                              {NULL, NULL}};

const struct lbinding laddr_binding = {"addr", NULL, methods, option_sets,
                                       NULL};
