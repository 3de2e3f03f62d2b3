/*
 * lineedit.h - the Lua modules built into bin/nslab only (not into
 * nslab/core.so): the prompt's line editor (lineedit.c, libedit) and the
 * terminal handoff of ns:shell() (tty.c). main.c preloads them.
 */
#ifndef NSLAB_LINEEDIT_H
#define NSLAB_LINEEDIT_H

#include <lua.h>

int luaopen_nslab_lineedit (lua_State *L);
int luaopen_nslab_tty (lua_State *L);

#endif
