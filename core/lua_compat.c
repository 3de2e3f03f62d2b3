/*
 * lua_compat.c - transitional: the option helpers of the bindings not yet
 * moved to declared options (see lua_nslab.h).
 */
#include <string.h>

#include "lua_nslab.h"

void lnslab_check_options(lua_State *L, int idx, const char *op,
                          const char *const allowed[]) {
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int known = 0;
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char *key = lua_tostring(L, -1);
      for (const char *const *a = allowed; *a && !known; a++)
        known = !strcmp(*a, key);
    }
    if (!known) {
      /* luaL_tolstring pushes a copy; the key itself must stay intact. */
      const char *key = luaL_tolstring(L, -1, NULL);
      lnslab_raise(L, "%s: invalid option '%s'", op, key);
    }
  }
}

lua_Integer lnslab_opt_int(lua_State *L, int idx, const char *key,
                           lua_Integer dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  lua_getfield(L, idx, key);
  lua_Integer v = dflt;
  if (!lua_isnil(L, -1)) {
    int isint = 0;
    if (lua_type(L, -1) == LUA_TNUMBER) v = lua_tointegerx(L, -1, &isint);
    if (!isint) lnslab_raise(L, "option '%s' must be an integer", key);
  }
  lua_pop(L, 1);
  return v;
}

lua_Integer lnslab_opt_range(lua_State *L, int idx, const char *op,
                             const char *key, lua_Integer dflt,
                             lua_Integer min, lua_Integer max) {
  if (lua_isnoneornil(L, idx)) return dflt;
  int given = lua_getfield(L, idx, key) != LUA_TNIL;
  lua_pop(L, 1);
  lua_Integer v = lnslab_opt_int(L, idx, key, dflt);
  if (given && (v < min || v > max))
    lnslab_raise(L, "%s: %s must be %I..%I", op, key, min, max);
  return v;
}

int lnslab_opt_bool(lua_State *L, int idx, const char *op, const char *key, int dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  int type = lua_getfield(L, idx, key), v = dflt;
  if (type == LUA_TBOOLEAN) v = lua_toboolean(L, -1);
  else if (type != LUA_TNIL) lnslab_raise(L, "%s: option '%s' must be a boolean", op, key);
  lua_pop(L, 1);
  return v;
}

/* The string stays valid: it is anchored in the options table. */
const char *lnslab_opt_str(lua_State *L, int idx, const char *key,
                           const char *dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  lua_getfield(L, idx, key);
  const char *v = dflt;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING)
      lnslab_raise(L, "option '%s' must be a string", key);
    v = lua_tostring(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

