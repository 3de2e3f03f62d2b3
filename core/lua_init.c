/*
 * lua_init.c - the module nslab.core: every binding, listed once (as
 * linit.c lists Lua's libraries). Each lua_*.c exports one struct
 * lbinding; here its functions go into the module, its methods into the
 * netns method table, and its option specs into core.options().
 */
#include "lua_aux.h"
#include "lua_netns.h"

extern const struct lbinding lutil_binding, loptions_binding, lnetns_binding,
    llink_binding, laddr_binding, lroute_binding, lneigh_binding,
    lsysctl_binding, ltun_binding, lprobe_binding, lsock_binding, lproc_binding,
    lcontainer_binding, lworld_binding, lnft_binding, lcapture_binding,
    lqdisc_binding, lnftrace_binding;

static const struct lbinding *const bindings[] = {
    &lutil_binding,
    &loptions_binding,
    &lnetns_binding,
    &llink_binding,
    &laddr_binding,
    &lroute_binding,
    &lneigh_binding,
    &lsysctl_binding,
    &ltun_binding,
    &lprobe_binding,
    &lsock_binding,
    &lproc_binding,
    &lcontainer_binding,
    &lworld_binding,
    &lnft_binding,
    &lcapture_binding,
    &lqdisc_binding,
    &lnftrace_binding,
    NULL,
};

/* core.options(): {["link add"] = {mtu = {type = "integer", ...}, ...}}
 * for every option set a binding declares. */
static int l_options (lua_State *L) {
  lnslab_check_nargs(L, 0, "options");
  lua_newtable(L);
  for (const struct lbinding *const *b = bindings; *b; b++)
    for (const struct lopt_set *s = (*b)->options; s && s->op; s++) {
      lnslab_push_spec(L, s->spec);
      lua_setfield(L, -2, s->op);
    }
  return 1;
}

/* core.bindings(): {link = {functions = {...}, methods = {...}}, ...}:
 * which binding gives which names (help() and the bad-input spec). */
static void push_names (lua_State *L, const luaL_Reg *r, const char *key) {
  lua_newtable(L);
  for (int i = 1; r && r->name; r++, i++) {
    lua_pushstring(L, r->name);
    lua_rawseti(L, -2, i);
  }
  lua_setfield(L, -2, key);
}

static int l_bindings (lua_State *L) {
  lnslab_check_nargs(L, 0, "bindings");
  lua_newtable(L);
  for (const struct lbinding *const *b = bindings; *b; b++) {
    lua_newtable(L);
    push_names(L, (*b)->functions, "functions");
    push_names(L, (*b)->methods, "methods");
    lua_newtable(L);
    for (int i = 1; (*b)->options && (*b)->options[i - 1].op; i++) {
      lua_pushstring(L, (*b)->options[i - 1].op);
      lua_rawseti(L, -2, i);
    }
    lua_setfield(L, -2, "options");
    lua_setfield(L, -2, (*b)->name);
  }
  return 1;
}

int luaopen_nslab_core (lua_State *L) {
  static const luaL_Reg own[] = {
      {"options", l_options}, {"bindings", l_bindings}, {NULL, NULL}};
  luaL_newlib(L, own); /* module */
  int module = lua_gettop(L);
  luaL_newmetatable(L, LNETNS);
  int meta = lua_gettop(L);
  lua_newtable(L); /* methods */
  int methods = lua_gettop(L);
  lua_pushvalue(L, methods);
  lua_setfield(L, meta, "__index");
  for (const struct lbinding *const *b = bindings; *b; b++) {
    if ((*b)->functions) lnslab_add(L, module, (*b)->functions);
    if ((*b)->methods) lnslab_add(L, methods, (*b)->methods);
    if ((*b)->init) (*b)->init(L, module, methods);
  }
  lnetns_guard(L, module, methods); /* last: it sees every function */
  lua_settop(L, module);
  return 1;
}
