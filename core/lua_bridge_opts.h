/*
 * lua_bridge_opts.h - a bridge's options as Lua gives them (bridge = {stp
 * = true, forward_delay = 4, ...}, times in seconds): one declared spec,
 * shared by link add and link set.
 */
#ifndef NSLAB_LUA_BRIDGE_OPTS_H
#define NSLAB_LUA_BRIDGE_OPTS_H

#include "link.h"
#include "lua_aux.h"

/* stp, ageing_time, forward_delay, hello_time, max_age, priority,
 * mcast_snooping; a LOPT_TABLE's sub for option "bridge". */
extern const struct lopt bridge_opt_spec[];

/* The values read against bridge_opt_spec into b (unset fields stay
 * unset: bridge_opts_init). */
void bridge_opts_from (const struct lopt_val *v, struct bridge_opts *b);

/* The table in field "bridge" of the options at idx, checked, into b;
 * returns 0 when absent. */
int lbridge_opts (lua_State *L, int idx, const char *op, const char *object,
                  struct bridge_opts *b);

#endif
