/*
 * lua_world.c - core.world_fresh(): a clean slate for each spec.
 */
#include "lua_nslab.h"
#include "world.h"


/*
** world_fresh(): new network and mount namespaces for this process (lo
** up, empty /run/netns). Handles opened before still point at the old
** namespaces.
*/
static int l_world_fresh (lua_State *L) {
  struct err e;
  if (world_fresh(&e) < 0) return lnslab_fail(L, "world fresh", NULL, &e);
  return 0;
}


static void lworld_register(lua_State *L, int module, int methods) {
  (void)methods;
  lua_pushcfunction(L, l_world_fresh);
  lua_setfield(L, module, "world_fresh");
}

const struct lbinding lworld_binding = {"world", NULL, NULL, NULL, lworld_register};
