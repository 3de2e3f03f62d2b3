/*
 * lua_nslab.h - transitional: what the bindings not yet moved to declared
 * options (lua_aux.h) still use. Goes away once every binding declares
 * its options; new code includes lua_aux.h and lua_netns.h.
 */
#ifndef NSLAB_LUA_NSLAB_H
#define NSLAB_LUA_NSLAB_H

#include "lua_aux.h"
#include "lua_netns.h"

void lnslab_check_options(lua_State *L, int idx, const char *op,
                          const char *const allowed[]);
lua_Integer lnslab_opt_int(lua_State *L, int idx, const char *key,
                           lua_Integer dflt);
lua_Integer lnslab_opt_range(lua_State *L, int idx, const char *op,
                             const char *key, lua_Integer dflt,
                             lua_Integer min, lua_Integer max);
int lnslab_opt_bool(lua_State *L, int idx, const char *op, const char *key, int dflt);
const char *lnslab_opt_str(lua_State *L, int idx, const char *key,
                           const char *dflt);

#endif
