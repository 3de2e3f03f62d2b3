/*
 * lua_neigh.c - (being written)
 */
#include "lua_nslab.h"

void lneigh_register(lua_State *L, int module, int methods) {
  (void)L;
  (void)module;
  (void)methods;
}
