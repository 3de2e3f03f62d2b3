/*
 * lua_options.c - the option reader of lua_aux.c for options the Lua
 * layer declares itself (check.reachable's, a lab's), so there is one
 * reader and one shape of message for all of them:
 *
 *   core.check_options(opts, "check reachable", nil,
 *                      {count = {type = "integer", min = 1, max = 1000}})
 *   core.check_value(v, "link wait", "eth0", "argument 2 (timeout)",
 *                    {type = "number", min = 0, max = 3600})
 *
 * A spec is written as core.options() shows the C ones.
 */
#include <string.h>

#include "lua_aux.h"

static const char *const type_names[] = {
    "boolean", "integer", "number", "string", "ifname", "choice",
    "netns",   "device",  "table",  "any",    NULL};

/* Memory that lives as long as the arena table at index arena. */
static void *alloc (lua_State *L, int arena, size_t size) {
  void *p = lua_newuserdatauv(L, size, 0);
  memset(p, 0, size);
  lua_rawseti(L, arena, luaL_len(L, arena) + 1);
  return p;
}

static int flag (lua_State *L, int idx, const char *key) {
  int on = lua_getfield(L, idx, key) == LUA_TBOOLEAN && lua_toboolean(L, -1);
  lua_pop(L, 1);
  return on;
}

static const struct lopt *spec_from_lua (lua_State *L, int idx, int arena);

/* The string at the top of the stack, kept alive by the arena (the
 * converted spec points into it); returns it. */
static const char *anchored (lua_State *L, int arena) {
  const char *s = lua_tostring(L, -1);
  if (s) {
    lua_pushvalue(L, -1);
    lua_rawseti(L, arena, luaL_len(L, arena) + 1);
  }
  return s;
}

/* One option from its description at idx. Its strings are anchored in
 * the arena: the converted form outlives the call (see cached). */
static void option_from_lua (lua_State *L, int idx, int arena, const char *key,
                             struct lopt *o) {
  if (lua_type(L, idx) != LUA_TTABLE)
    lnslab_raise(L, "option spec '%s': a table is required", key);
  o->key = key;
  lua_getfield(L, idx, "type");
  const char *type = lua_tostring(L, -1);
  int t = -1;
  for (int i = 0; type && type_names[i]; i++)
    if (!strcmp(type, type_names[i])) t = i;
  if (t < 0) lnslab_raise(L, "option spec '%s': unknown type", key);
  lua_pop(L, 1);
  o->type = (enum lopt_type)t;
  int has_min = lua_getfield(L, idx, "min") == LUA_TNUMBER;
  o->min = lua_tonumber(L, -1);
  lua_getfield(L, idx, "max");
  o->max = lua_tonumber(L, -1);
  lua_pop(L, 2);
  if (flag(L, idx, "required")) o->flags |= LOPT_REQUIRED;
  if (flag(L, idx, "object")) o->flags |= LOPT_OBJECT;
  if (o->type == LOPT_STR && has_min && o->min == 0) o->flags |= LOPT_EMPTY;
  if (lua_getfield(L, idx, "choices") == LUA_TTABLE) {
    lua_Integer n = luaL_len(L, -1);
    const char **c = alloc(L, arena, (size_t)(n + 1) * sizeof *c);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_geti(L, -1, i);
      c[i - 1] = anchored(L, arena);
      lua_pop(L, 1);
    }
    o->choices = c;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "fields") == LUA_TTABLE)
    o->sub = spec_from_lua(L, lua_gettop(L), arena);
  lua_pop(L, 1);
}

static const struct lopt *spec_from_lua (lua_State *L, int idx, int arena) {
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      lnslab_raise(L, "option spec: keys must be strings");
    n++;
    lua_pop(L, 1);
  }
  struct lopt *spec = alloc(L, arena, (size_t)(n + 1) * sizeof *spec);
  int i = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pushvalue(L, -2);
    const char *key = anchored(L, arena);
    lua_pop(L, 1);
    option_from_lua(L, lua_gettop(L), arena, key, &spec[i++]);
    lua_pop(L, 1);
  }
  return spec;
}

/*
** Each spec table is converted once: the converted form stays in a
** registry table with weak keys (the spec tables), so a call costs what
** reading its options costs, not a walk of its spec. Specs are
** declarations made once; a spec table changed after its first use keeps
** its first meaning.
*/
static const char CACHE[] = "nslab.options.cache";

/* The arena of the spec table at idx (created by convert on first use),
 * pushed; its first element is the converted form. */
static void push_cached (lua_State *L, int idx,
                         void (*convert)(lua_State *, int, int)) {
  idx = lua_absindex(L, idx);
  if (lua_getfield(L, LUA_REGISTRYINDEX, CACHE) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, CACHE);
  }
  lua_pushvalue(L, idx);
  if (lua_rawget(L, -2) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    convert(L, idx, lua_gettop(L)); /* raises on a bad spec: nothing kept */
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);
  }
  lua_remove(L, -2);
}

static void convert_spec (lua_State *L, int idx, int arena) {
  spec_from_lua(L, idx, arena); /* its first alloc is the spec itself */
}

static void convert_option (lua_State *L, int idx, int arena) {
  struct lopt *o = alloc(L, arena, sizeof *o);
  option_from_lua(L, idx, arena, "", o);
}

static const void *form_of (lua_State *L) {
  lua_rawgeti(L, -1, 1);
  const void *form = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return form;
}

/* check_options(opts, op, object, spec): raises, or returns nothing. */
static int l_check_options (lua_State *L) {
  static const struct lopt table = {"spec", LOPT_TABLE,    0,   0, NULL,
                                    NULL,   LOPT_REQUIRED, NULL};
  struct lopt_val v;
  lnslab_check_nargs(L, 4, "check_options");
  const char *op = lnslab_check_str(L, 2, "check_options", "op", 256, NULL);
  const char *object = lua_isnil(L, 3)
                           ? NULL
                           : lnslab_check_str(L, 3, "check_options", "object",
                                              LOPT_STR_MAX, NULL);
  lnslab_check_arg(L, 4, "check_options", NULL, "spec", &table, &v);
  push_cached(L, 4, convert_spec);
  const struct lopt *spec = form_of(L);
  int n = 0;
  while (spec[n].key) n++;
  struct lopt_val *out = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *out, 0);
  memset(out, 0, (size_t)(n + 1) * sizeof *out);
  lnslab_options(L, 1, op, object, spec, out);
  return 0;
}

/* check_value(v, op, object, label, option): raises, or returns nothing. */
static int l_check_value (lua_State *L) {
  static const struct lopt table = {"spec", LOPT_TABLE,    0,   0, NULL,
                                    NULL,   LOPT_REQUIRED, NULL};
  struct lopt_val v;
  lnslab_check_nargs(L, 5, "check_value");
  const char *op = lnslab_check_str(L, 2, "check_value", "op", 256, NULL);
  const char *object =
      lua_isnil(L, 3)
          ? NULL
          : lnslab_check_str(L, 3, "check_value", "object", LOPT_STR_MAX, NULL);
  const char *label = lnslab_check_str(L, 4, "check_value", "label", 256, NULL);
  lnslab_check_arg(L, 5, "check_value", NULL, "spec", &table, &v);
  push_cached(L, 5, convert_option);
  struct lopt o = *(const struct lopt *)form_of(L);
  o.key = label; /* this call's; the cached one names none */
  lnslab_check_value(L, 1, op, object, label, &o, &v);
  return 0;
}

static const luaL_Reg functions[] = {{"check_options", l_check_options},
                                     {"check_value", l_check_value},
                                     {NULL, NULL}};

const struct lbinding loptions_binding = {"options", functions, NULL, NULL,
                                          NULL};
