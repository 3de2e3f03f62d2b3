/*
 * lua_nftrace.c - ns:nftrace_start{addrs = {...}}: trace the packets of
 * some addresses through nf_tables in one namespace (nftrace.h). Returns
 * a tracer: t:events() reads what the kernel reported so far, t:stop()
 * removes the table (so do closing and collecting the tracer: the table
 * belongs to its socket).
 *
 *   local t = ns.handle:nftrace_start{ addrs = { "10.0.1.1", "10.0.1.2" } }
 *   ... ping ...
 *   for _, ev in ipairs(t:events()) do print(ev.chain, ev.verdict) end
 *   t:stop()
 */
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lua_ip.h"
#include "lua_netns.h"
#include "nftrace.h"

#define LNFTRACE "nslab.nftrace"
#define TRACE_TABLE "nslab-why" /* the name `nft list tables` would show */

struct ltracer {
  struct nl ctl, mon; /* ctl.sock == NULL once stopped */
  int lost;           /* events dropped by a full queue, so far */
};

static const struct lopt start_spec[] = {
    {"addrs", LOPT_TABLE, 0, 0, NULL, NULL, LOPT_REQUIRED,
     "the addresses whose packets (from or to them) are traced, 1..8"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};

static void read_addrs (lua_State *L, const char *op, const char *object,
                        struct ipaddr *addrs, size_t *n) {
  lua_getfield(L, 2, "addrs");
  lua_Integer len = (lua_Integer)lua_rawlen(L, -1);
  if (len < 1 || len > NFTRACE_ADDRS_MAX)
    lnslab_raise(L, "%s %s: option 'addrs' must hold 1..%d addresses, got %d",
                 op, object, NFTRACE_ADDRS_MAX, (int)len);
  for (lua_Integer i = 1; i <= len; i++) {
    lua_rawgeti(L, -1, i);
    lua_pushfstring(L, "option 'addrs' item %d", (int)i);
    if (lua_type(L, -2) != LUA_TSTRING)
      lnslab_raise(L, "%s %s: %s must be an address, got %s", op, object,
                   lua_tostring(L, -1), luaL_typename(L, -2));
    lnslab_check_ip(L, -2, op, object, lua_tostring(L, -1), LIP_ADDRESS,
                    &addrs[i - 1]);
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  *n = (size_t)len;
}

static int m_nftrace_start (lua_State *L) {
  const char *op = "nftrace start";
  struct lnetns *ns = lnetns_check(L, 1, op);
  struct lopt_val v[1];
  struct ipaddr addrs[NFTRACE_ADDRS_MAX];
  size_t n;
  struct err e;
  const char *object = ns->name ? ns->name : "netns";
  lnslab_check_nargs(L, 2, op);
  if (lua_type(L, 2) != LUA_TTABLE)
    return lnslab_raise(L, "%s %s: %s must be a table, got %s", op, object,
                        lnslab_arg_label(L, 2, "options"), luaL_typename(L, 2));
  lnslab_options(L, 2, op, object, start_spec, v);
  read_addrs(L, op, object, addrs, &n);
  struct ltracer *t = lua_newuserdatauv(L, sizeof *t, 0);
  memset(t, 0, sizeof *t);
  luaL_setmetatable(L, LNFTRACE);
  /* the listener first: no event of the table's first packets is lost */
  if (nftrace_listen(&t->mon, ns->fd, &e) < 0)
    return lnslab_fail(L, op, object, &e);
  if (nl_open(&t->ctl, NETLINK_NETFILTER, ns->fd, &e) < 0 ||
      nftrace_table_add(&t->ctl, TRACE_TABLE, addrs, n, &e) < 0) {
    nl_close(&t->ctl);
    nl_close(&t->mon);
    return lnslab_fail(L, op, object, &e);
  }
  return 1;
}

static struct ltracer *check_tracer (lua_State *L, const char *op) {
  struct ltracer *t = luaL_testudata(L, 1, LNFTRACE);
  if (!t)
    lnslab_raise(L, "%s: argument self must be a tracer, got %s", op,
                 luaL_typename(L, 1));
  return t;
}

static void push_event (lua_State *L, const void *item) {
  const struct nftrace_event *ev = item;
  char num[16];
  lua_createtable(L, 0, 16);
  lnslab_set_int(L, "id", ev->id);
  lnslab_set_str(L, "type", nftrace_type_name(ev->type));
  lnslab_set_str(L, "family", nft_family_name(ev->family));
  lnslab_set_str(L, "table", ev->table);
  lnslab_set_str(L, "chain", ev->chain);
  if (ev->handle) lnslab_set_int(L, "handle", (lua_Integer)ev->handle);
  if (ev->has_verdict)
    lnslab_set_str(L, "verdict", nftrace_verdict_name(ev->verdict));
  if (ev->target[0]) lnslab_set_str(L, "target", ev->target);
  if (ev->has_policy)
    lnslab_set_str(L, "policy", nftrace_verdict_name(ev->policy));
  if (ev->iif) lnslab_set_int(L, "iif", ev->iif);
  if (ev->oif) lnslab_set_int(L, "oif", ev->oif);
  if (ev->mark) lnslab_set_int(L, "mark", ev->mark);
  if (ev->nfproto) lnslab_set_str(L, "nfproto", nft_family_name(ev->nfproto));
  lnslab_set_ip(L, "saddr", &ev->saddr, 0);
  lnslab_set_ip(L, "daddr", &ev->daddr, 0);
  if (ev->protocol >= 0)
    lnslab_set_str(L, "protocol",
                   nft_proto_name((unsigned)ev->protocol, num, sizeof num));
  const char *icmp = nftrace_icmp_name(ev->protocol, ev->icmp_type);
  if (icmp) lnslab_set_str(L, "icmp_type", icmp);
}

/* t:events(): the events since the last call, oldest first; then
 * whether any were lost (the kernel's queue overflowed). */
static int m_events (lua_State *L) {
  struct ltracer *t = check_tracer(L, "nftrace events");
  struct nftrace_event *list;
  size_t n;
  int lost;
  struct err e;
  lnslab_check_nargs(L, 1, "nftrace events");
  if (!t->mon.sock) return lnslab_raise(L, "nftrace events: tracer stopped");
  if (nftrace_read(&t->mon, &list, &n, &lost, &e) < 0)
    return lnslab_fail(L, "nftrace events", NULL, &e);
  t->lost |= lost;
  lnslab_push_owned_list(L, list, n, sizeof *list, push_event);
  lua_pushboolean(L, t->lost);
  return 2;
}

/* Delete the table, then close both sockets (which would remove an owned
 * table anyway): stopping twice is fine. */
static int release (lua_State *L, int raise) {
  struct ltracer *t = luaL_testudata(L, 1, LNFTRACE);
  struct err e;
  int rc = 0;
  if (!t) return 0;
  if (t->ctl.sock) rc = nftrace_table_del(&t->ctl, TRACE_TABLE, &e);
  nl_close(&t->ctl);
  nl_close(&t->mon);
  if (rc < 0 && raise) return lnslab_fail(L, "nftrace stop", NULL, &e);
  return 0;
}

static int m_stop (lua_State *L) {
  check_tracer(L, "nftrace stop");
  lnslab_check_nargs(L, 1, "nftrace stop");
  return release(L, 1);
}

static int m_gc (lua_State *L) {
  return release(L, 0);
}

static int m_tostring (lua_State *L) {
  struct ltracer *t = check_tracer(L, "nftrace tostring");
  lua_pushstring(L, t->ctl.sock ? "nftrace (table inet " TRACE_TABLE ")"
                                : "nftrace (stopped)");
  return 1;
}

static void lnftrace_init (lua_State *L, int module, int methods) {
  static const luaL_Reg tracer_methods[] = {
      {"events", m_events}, {"stop", m_stop}, {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__gc", m_gc},
                                  {"__close", m_gc},
                                  {"__tostring", m_tostring},
                                  {NULL, NULL}};
  (void)module;
  (void)methods;
  lnslab_new_class(L, LNFTRACE, meta, tracer_methods);
}

static const luaL_Reg ns_methods[] = {{"nftrace_start", m_nftrace_start},
                                      {NULL, NULL}};

static const struct lopt_set option_sets[] = {{"nftrace start", start_spec},
                                              {NULL, NULL}};

const struct lbinding lnftrace_binding = {"nftrace", NULL, ns_methods,
                                          option_sets, lnftrace_init};
