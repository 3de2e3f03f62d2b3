/*
 * lua_qdisc.c - the netns methods shape(dev, opts) and unshape(dev): a
 * device's root qdisc, as tc makes it (qdisc.c).
 *
 *   ns:shape("veth0", {rate = 1250000, burst = 15140, latency = 0.05})
 *                                     -- tbf: 10 Mbit/s, bytes per second
 *   ns:shape("veth0", {delay = 0.1, loss = 1})   -- netem, where there is one
 *   ns:unshape("veth0")               -- tc qdisc del dev veth0 root
 *
 * The Lua layer (nslab.shape) reads tc's words ("10mbit", "32kb", "50ms")
 * and gives the core numbers.
 */
#include <errno.h>

#include "lua_netns.h"
#include "qdisc.h"

#define BURST_MIN 15140 /* ten full Ethernet frames */

static const struct lopt shape_spec[] = {
    {"rate", LOPT_INT, 1, 1e13, NULL, NULL, 0,
     "tbf: bytes per second (tc's rate / 8)"},
    {"burst", LOPT_INT, 1, 1 << 30, NULL, NULL, 0,
     "tbf: bytes the bucket holds (rate / 100, at least 15140)"},
    {"latency", LOPT_NUM, 0, 60, NULL, NULL, 0,
     "tbf: seconds a packet may wait in the queue (0.05)"},
    {"delay", LOPT_NUM, 0, 60, NULL, NULL, 0, "netem: seconds added"},
    {"jitter", LOPT_NUM, 0, 60, NULL, NULL, 0, "netem: seconds of variation"},
    {"loss", LOPT_NUM, 0, 100, NULL, NULL, 0, "netem: percent of packets lost"},
    {"limit", LOPT_INT, 1, 1 << 30, NULL, NULL, 0,
     "netem: packets queued at most (1000)"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
enum { S_RATE, S_BURST, S_LATENCY, S_DELAY, S_JITTER, S_LOSS, S_LIMIT };

static const struct lopt_set option_sets[] = {{"link shape", shape_spec},
                                              {NULL, NULL}};

/* The device argument (2) checked, and its name for messages: the name,
 * or "ifindex N" (pushed), which the Lua layer renames. */
static const char *device (lua_State *L, const char *op) {
  int ifindex;
  const char *name;
  lnslab_check_dev(L, 2, op, &ifindex, &name);
  return lnslab_dev_label(L, ifindex, name);
}

static uint32_t us_of (lua_Number s) {
  return (uint32_t)(s * 1e6 + 0.5);
}

/* shape(dev, opts): tbf when a rate is given, netem for delay, jitter or
 * loss; returns {kind =, limit =, burst =} as given to the kernel. */
static int m_shape (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "link shape");
  struct lopt_val v[S_LIMIT + 1];
  struct err e;
  lnslab_check_nargs(L, 3, "link shape");
  lua_settop(L, 3);
  const char *dev = device(L, "link shape");
  lnslab_options(L, 3, "link shape", dev, shape_spec, v);
  struct nl *nl = lnetns_rtnl(L, ns);
  int ifindex = lnslab_ifindex_of(L, nl, 2, "link shape", dev);
  int netem = v[S_DELAY].set || v[S_JITTER].set || v[S_LOSS].set;
  int tbf = v[S_RATE].set || v[S_BURST].set || v[S_LATENCY].set;
  if (netem && tbf)
    return lnslab_raise(L,
                        "link shape %s: a rate with delay or loss at once is "
                        "not built (netem with a tbf under it)",
                        dev);
  if (!netem && !v[S_RATE].set)
    return lnslab_raise(
        L, "link shape %s: option 'rate' is required (or delay, jitter, loss)",
        dev);
  if (!netem && v[S_LIMIT].set)
    return lnslab_raise(L,
                        "link shape %s: option 'limit' is netem's (a tbf's "
                        "limit comes from latency)",
                        dev);
  lua_createtable(L, 0, 3);
  if (netem) {
    struct qdisc_netem n = {
        .delay_us = v[S_DELAY].set ? us_of(v[S_DELAY].n) : 0,
        .jitter_us = v[S_JITTER].set ? us_of(v[S_JITTER].n) : 0,
        .loss = v[S_LOSS].set ? v[S_LOSS].n : 0,
        .limit = v[S_LIMIT].set ? (uint32_t)v[S_LIMIT].i : 0};
    if (qdisc_netem(nl, ifindex, &n, &e) < 0)
      return lnslab_fail(L, "link shape", dev, &e);
    lnslab_set_str(L, "kind", "netem");
    return 1;
  }
  struct qdisc_tbf t = {.rate = (uint64_t)v[S_RATE].i};
  uint64_t burst = v[S_BURST].set ? (uint64_t)v[S_BURST].i : t.rate / 100;
  if (!v[S_BURST].set && burst < BURST_MIN) burst = BURST_MIN;
  t.burst = burst > 1u << 30 ? 1u << 30 : (uint32_t)burst;
  t.latency_us = us_of(v[S_LATENCY].set ? v[S_LATENCY].n : 0.05);
  if (qdisc_tbf(nl, ifindex, &t, &e) < 0)
    return lnslab_fail(L, "link shape", dev, &e);
  lnslab_set_str(L, "kind", "tbf");
  lnslab_set_int(L, "rate", (lua_Integer)t.rate);
  lnslab_set_int(L, "burst", t.burst);
  lnslab_set_int(L, "limit", qdisc_tbf_limit(&t));
  lnslab_set_int(L, "latency_us", t.latency_us);
  return 1;
}

/* unshape(dev): the root qdisc removed; a device without one is no error
 * (tc says "Cannot delete qdisc with handle of zero"; nothing to undo). */
static int m_unshape (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, "link unshape");
  struct err e;
  lnslab_check_nargs(L, 2, "link unshape");
  lua_settop(L, 2);
  const char *dev = device(L, "link unshape");
  struct nl *nl = lnetns_rtnl(L, ns);
  int ifindex = lnslab_ifindex_of(L, nl, 2, "link unshape", dev);
  if (qdisc_del_root(nl, ifindex, &e) < 0 && e.code != ENOENT &&
      e.code != EINVAL)
    return lnslab_fail(L, "link unshape", dev, &e);
  return 0;
}

static const luaL_Reg methods[] = {
    {"shape", m_shape}, {"unshape", m_unshape}, {NULL, NULL}};

const struct lbinding lqdisc_binding = {"qdisc", NULL, methods, option_sets,
                                        NULL};
