/*
 * lua_sock.c - (being written)
 */
#include "lua_nslab.h"

void lsock_register(lua_State *L, int module, int methods) {
  (void)L;
  (void)module;
  (void)methods;
}
