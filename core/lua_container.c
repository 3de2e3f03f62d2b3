/*
 * lua_container.c - (being written)
 */
#include "lua_nslab.h"

void lcontainer_register(lua_State *L, int module, int methods) {
  (void)L;
  (void)module;
  (void)methods;
}
