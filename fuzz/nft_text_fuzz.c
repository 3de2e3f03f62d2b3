/*
 * nft_text_fuzz.c - nft.lua's rule parser (the Lua layer, in an embedded
 * Lua 5.4 with nslab.core linked in) on any string, in a table of any
 * family: every input gives the rule's text or an error of nslab's own
 * ("nft rule..."), never an internal Lua error; and the text nslab
 * explains is one line that reads back as itself.
 *
 * Built with the bindings and liblua5.4 (see the Makefile's FUZZ_LUA);
 * NSLAB_LUA_DIR is the tree's lua/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

int luaopen_nslab_core (lua_State *L);

static lua_State *L;

/* check(family, text) -> nil, or what is wrong */
static const char check_lua[] =
    "local nft = require('nslab.nft')\n"
    "return function(family, text)\n"
    "  local ok, explained = pcall(nft.format, text, false, family)\n"
    "  if not ok then\n"
    "    if type(explained) ~= 'string' or not explained:match('^nft rule') then\n"
    "      return 'internal error: ' .. tostring(explained)\n"
    "    end\n"
    "    return nil\n"
    "  end\n"
    "  if explained:find('\\n') then return 'a newline in ' .. explained end\n"
    "  local ok2, again = pcall(nft.format, explained, false, family)\n"
    "  if not ok2 or again ~= explained then\n"
    "    return ('not stable: %q -> %q -> %s'):format(text, explained, tostring(again))\n"
    "  end\n"
    "end\n";

static void fail (const char *what) {
  fprintf(stderr, "nft_text_fuzz: %s\n", what);
  abort();
}

int LLVMFuzzerInitialize (int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  L = luaL_newstate();
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, NSLAB_LUA_DIR "/?.lua");
  lua_setfield(L, -2, "path");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_nslab_core);
  lua_setfield(L, -2, "nslab.core");
  lua_settop(L, 0);
  if (luaL_loadstring(L, check_lua) != LUA_OK ||
      lua_pcall(L, 0, 1, 0) != LUA_OK)
    fail(lua_tostring(L, -1));
  lua_setfield(L, LUA_REGISTRYINDEX, "nft_text_fuzz");
  return 0;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  static const char *const families[] = {"ip", "ip6", "inet", "bridge"};
  if (size == 0 || size > 1024) return 0;
  lua_getfield(L, LUA_REGISTRYINDEX, "nft_text_fuzz");
  lua_pushstring(L, families[data[0] % 4]);
  lua_pushlstring(L, (const char *)data + 1, size - 1);
  if (lua_pcall(L, 2, 1, 0) != LUA_OK) fail(lua_tostring(L, -1));
  if (lua_isstring(L, -1)) fail(lua_tostring(L, -1));
  lua_settop(L, 0);
  return 0;
}
