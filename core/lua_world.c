/*
 * lua_world.c - core.world_fresh(): a clean slate for each spec.
 */
#include "lua_aux.h"
#include "world.h"

/*
** world_fresh(): new network and mount namespaces for this process (lo
** up, empty /run/netns). Handles opened before still point at the old
** namespaces.
*/
static int l_world_fresh (lua_State *L) {
  struct err e;
  lnslab_check_nargs(L, 0, "world fresh");
  if (world_fresh(&e) < 0) return lnslab_fail(L, "world fresh", NULL, &e);
  return 0;
}

static const luaL_Reg functions[] = {{"world_fresh", l_world_fresh},
                                     {NULL, NULL}};

const struct lbinding lworld_binding = {"world", functions, NULL, NULL, NULL};
