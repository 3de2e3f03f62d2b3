/*
 * lua_sysctl.c - (being written)
 */
#include "lua_nslab.h"

void lsysctl_register(lua_State *L, int module, int methods) {
  (void)L;
  (void)module;
  (void)methods;
}
