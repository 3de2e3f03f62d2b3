/*
 * lua_nslab.h - the seam between the C core and Lua (module nslab.core).
 *
 * One userdata type, "nslab.netns", owns a namespace fd and the
 * namespace's rtnetlink socket (opened on first use). Each lua_*.c file
 * registers its functions with lnslab_register: module functions in the
 * module table, methods in the netns method table.
 */
#ifndef NSLAB_LUA_NSLAB_H
#define NSLAB_LUA_NSLAB_H

#include <lauxlib.h>
#include <lua.h>

#include "err.h"
#include "nl.h"

#define LNETNS "nslab.netns"

struct lnetns {
  int fd;        /* -1 once closed */
  char *name;    /* malloc'd; NULL for an anonymous namespace */
  struct nl rt;  /* rt.sock == NULL until first used */
  struct nl nft; /* NETLINK_NETFILTER, the same way (lua_nft.c) */
};

/* The namespace at idx; raises "attempt to use a closed netns". */
struct lnetns *lnetns_check(lua_State *L, int idx);
/* Push a new userdata owning fd (and a copy of name). */
struct lnetns *lnetns_push(lua_State *L, int fd, const char *name);
/* The namespace's rtnetlink socket, opened on first use; raises. */
struct nl *lnetns_rtnl(lua_State *L, struct lnetns *ns);

/* Raise a message as it is: no "file:line:" of the Lua caller, since the
 * caller is usually nslab's own Lua layer, not the user's code. */
int lnslab_raise(lua_State *L, const char *fmt, ...);

/* Raise "op object: reason" (object may be NULL). Never returns. */
int lnslab_fail(lua_State *L, const char *op, const char *object,
                const struct err *e);

/* Raise "op: invalid option 'x'" if the table at idx has a key not in
 * allowed (NULL-terminated). Misspelled options are errors. */
void lnslab_check_options(lua_State *L, int idx, const char *op,
                          const char *const allowed[]);

/* Read optional fields of an options table (idx may be none/nil). */
lua_Integer lnslab_opt_int(lua_State *L, int idx, const char *key,
                           lua_Integer dflt);
/* An integer option within min..max ("op: key must be min..max"). */
lua_Integer lnslab_opt_range(lua_State *L, int idx, const char *op,
                             const char *key, lua_Integer dflt,
                             lua_Integer min, lua_Integer max);
/* A boolean option: true or false ("op: option 'key' must be a boolean"),
 * dflt when absent or when the table at idx is none/nil. */
int lnslab_opt_bool(lua_State *L, int idx, const char *op, const char *key, int dflt);
const char *lnslab_opt_str(lua_State *L, int idx, const char *key,
                           const char *dflt);

/* A device argument: an integer ifindex or a name; sets one of the two. */
void lnslab_check_dev(lua_State *L, int idx, int *ifindex, const char **name);

/* Set t[key] for the table on top of the stack. */
void lnslab_set_int(lua_State *L, const char *key, lua_Integer v);
void lnslab_set_str(lua_State *L, const char *key, const char *v);

/* Set t[key] to the text of an address (with "/N" when with_prefix);
 * nothing when the address is unset (family 0). */
struct ipaddr;
void lnslab_set_ip(lua_State *L, const char *key, const struct ipaddr *a,
                   int with_prefix);

/* The ifindex of a device argument (name or number) in the namespace;
 * raises "op NAME: No such device" and the like. */
int lnslab_ifindex(lua_State *L, struct nl *nl, int idx, const char *op);
/* The same, a failure naming object ("neigh add 10.0.0.9 dev eth9: ...")
 * instead of the device. */
int lnslab_ifindex_of(lua_State *L, struct nl *nl, int idx, const char *op,
                      const char *object);

/* Push an array of n C items (each size bytes) as a Lua sequence of
 * tables, push(L, item) making each one. */
typedef void (*lnslab_push_fn)(lua_State *L, const void *item);
void lnslab_push_list(lua_State *L, const void *items, size_t n, size_t size,
                      lnslab_push_fn push);

/* Add functions to the table at index t (the module or the methods). */
void lnslab_add(lua_State *L, int t, const luaL_Reg *functions);

/* Each lua_*.c contributes its functions through one of these. */
void lnetns_register(lua_State *L, int module, int methods);
void llink_register(lua_State *L, int module, int methods);
void laddr_register(lua_State *L, int module, int methods);
void lroute_register(lua_State *L, int module, int methods);
void lprobe_register(lua_State *L, int module, int methods);
void lproc_register(lua_State *L, int module, int methods);
void lworld_register(lua_State *L, int module, int methods);
void lneigh_register(lua_State *L, int module, int methods);
void lsysctl_register(lua_State *L, int module, int methods);
void ltun_register(lua_State *L, int module, int methods);
void lsock_register(lua_State *L, int module, int methods);
void lcontainer_register(lua_State *L, int module, int methods);
void lnft_register(lua_State *L, int module, int methods);

int luaopen_nslab_core(lua_State *L);

#endif
