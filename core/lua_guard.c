/*
 * lua_guard.c - outside an nslab world, nslab.core only reads.
 *
 * nslab changes networks inside a world of its own (nslab run, repl,
 * lua, sandbox set NSLAB_WORLD). Loaded by the stock interpreter outside
 * one, as root, the same core would change the machine's own network: so
 * every function and method not listed below as read-only refuses, until
 * core.allow_host() (nslab.netns.allow_host()) says that is what is
 * meant. The guard is in the core, not in the Lua layer, so `require
 * "nslab.core"` is no way around it; and it fails closed: a function
 * added later refuses until it is listed here.
 */
#include <stdlib.h>
#include <string.h>

#include "lua_netns.h"

static const char ALLOWED[] = "nslab.host_allowed";

/* What reads and changes nothing (module functions, then netns methods). */
static const char *const read_only_functions[] = {"options",
                                                  "bindings",
                                                  "check_options",
                                                  "check_value",
                                                  "clock",
                                                  "cpu_clock",
                                                  "rusage",
                                                  "sleep",
                                                  "readlink",
                                                  "sysctl_path",
                                                  "netns_open",
                                                  "netns_open_pid",
                                                  "netns_open_path",
                                                  "netns_current",
                                                  "netns_list",
                                                  "allow_host",
                                                  "guarded",
                                                  "nft_rule",
                                                  "nft_vocabulary",
                                                  "packet_decode",
                                                  "packet_headers",
                                                  "netns_pool_stats",
                                                  NULL};
static const char *const read_only_methods[] = {
    "name",       "fd",          "inode",      "close",     "link_get",
    "link_list",  "addr_list",   "route_list", "route_get", "neigh_list",
    "sysctl_get", "tuntap_list", "nft_list",   NULL};

/* The operation a refused function names: "link add" for link_add, and
 * the words of the Lua API where they differ. */
static const char *op_of (lua_State *L, const char *name) {
  static const struct {
    const char *name, *op;
  } words[] = {{"netns_create", "netns add"},
               {"run", "netns run"},
               {"exec", "netns exec"},
               {"ping", "ping"},
               {NULL, NULL}};
  for (int i = 0; words[i].name; i++)
    if (!strcmp(words[i].name, name)) return lua_pushstring(L, words[i].op);
  luaL_gsub(L, name, "_", " ");
  return lua_tostring(L, -1);
}

static int host_allowed (lua_State *L) {
  int on = lua_getfield(L, LUA_REGISTRYINDEX, ALLOWED) == LUA_TBOOLEAN &&
           lua_toboolean(L, -1);
  lua_pop(L, 1);
  return on;
}

/* The closure standing for a function that changes something: upvalue 1
 * is the function, 2 the operation. */
static int guarded_call (lua_State *L) {
  if (!host_allowed(L))
    return lnslab_raise(
        L,
        "%s: refusing to change the machine's own network outside an "
        "nslab world (run it with nslab run/repl/lua/sandbox, or call "
        "nslab.netns.allow_host())",
        lua_tostring(L, lua_upvalueindex(2)));
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

static int listed (const char *const *list, const char *name) {
  for (; *list; list++)
    if (!strcmp(*list, name)) return 1;
  return 0;
}

/* Replace every function of the table at t not in read_only. */
static void guard_table (lua_State *L, int t, const char *const *read_only) {
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION &&
        !listed(read_only, lua_tostring(L, -2))) {
      lua_pushvalue(L, -2); /* key */
      lua_pushvalue(L, -2); /* function */
      op_of(L, lua_tostring(L, -2));
      lua_pushcclosure(L, guarded_call, 2);
      lua_rawset(L, t);
    }
    lua_pop(L, 1);
  }
}

/* core.allow_host(): changes are allowed from now on, here too. */
static int l_allow_host (lua_State *L) {
  lnslab_check_nargs(L, 0, "allow host");
  lua_pushboolean(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, ALLOWED);
  return 0;
}

/* core.guarded(): do changes refuse (outside a world, not allowed)? */
static int l_guarded (lua_State *L) {
  lnslab_check_nargs(L, 0, "guarded");
  lua_pushboolean(L, !host_allowed(L));
  return 1;
}

static int in_world (void) {
  const char *world = getenv("NSLAB_WORLD");
  return world && *world;
}

void lnetns_guard (lua_State *L, int module, int methods) {
  static const luaL_Reg functions[] = {
      {"allow_host", l_allow_host}, {"guarded", l_guarded}, {NULL, NULL}};
  lnslab_add(L, module, functions);
  if (in_world()) {
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, ALLOWED);
    return;
  }
  guard_table(L, lua_absindex(L, module), read_only_functions);
  guard_table(L, lua_absindex(L, methods), read_only_methods);
}
