/*
 * lua_bridge_opts.c - bridge = {...} for link add and link set.
 */
#include "lua_bridge_opts.h"

/* Whole centiseconds fit the kernel's u32 clock_t up to ~497 days. */
#define SECONDS_MAX 42949672.0

enum { B_STP, B_AGEING, B_FORWARD, B_HELLO, B_MAX_AGE, B_PRIORITY, B_SNOOPING };

const struct lopt bridge_opt_spec[] = {
    [B_STP] = {"stp", LOPT_BOOL, 0, 0, NULL, NULL, 0,
               "spanning tree on (kernel STP)"},
    [B_AGEING] = {"ageing_time", LOPT_NUM, 0, SECONDS_MAX, NULL, NULL, 0,
                  "seconds a learned address stays in the FDB"},
    [B_FORWARD] = {"forward_delay", LOPT_NUM, 0, SECONDS_MAX, NULL, NULL, 0,
                   "seconds in listening and learning (2..30 with STP on)"},
    [B_HELLO] = {"hello_time", LOPT_NUM, 1, 10, NULL, NULL, 0,
                 "seconds between STP hellos"},
    [B_MAX_AGE] = {"max_age", LOPT_NUM, 6, 40, NULL, NULL, 0,
                   "seconds an STP hello stays valid"},
    [B_PRIORITY] = {"priority", LOPT_INT, 0, 65535, NULL, NULL, 0,
                    "STP bridge priority"},
    [B_SNOOPING] = {"mcast_snooping", LOPT_BOOL, 0, 0, NULL, NULL, 0,
                    "IGMP/MLD snooping"},
    {NULL, LOPT_ANY, 0, 0, NULL, NULL, 0, NULL}};

static long centis (const struct lopt_val *v) {
  return v->set ? (long)(v->n * 100 + 0.5) : -1;
}

void bridge_opts_from (const struct lopt_val *v, struct bridge_opts *b) {
  bridge_opts_init(b);
  if (v[B_STP].set) b->stp = v[B_STP].b;
  if (v[B_SNOOPING].set) b->mcast_snooping = v[B_SNOOPING].b;
  if (v[B_PRIORITY].set) b->priority = (long)v[B_PRIORITY].i;
  b->ageing_time = centis(&v[B_AGEING]);
  b->forward_delay = centis(&v[B_FORWARD]);
  b->hello_time = centis(&v[B_HELLO]);
  b->max_age = centis(&v[B_MAX_AGE]);
}

int lbridge_opts (lua_State *L, int idx, const char *op, const char *object,
                  struct bridge_opts *b) {
  struct lopt_val v[sizeof bridge_opt_spec / sizeof *bridge_opt_spec];
  bridge_opts_init(b);
  if (lua_isnoneornil(L, idx)) return 0;
  if (lua_getfield(L, idx, "bridge") == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  lnslab_suboptions(L, -1, op, object, "bridge", bridge_opt_spec, v);
  lua_pop(L, 1);
  bridge_opts_from(v, b);
  return 1;
}
