/*
 * lua_aux.h - what every binding shares, as lauxlib is to Lua's libraries:
 * raising errors in one shape, reading declared options, checking
 * positional arguments, pushing lists. No binding is known here; the
 * registration table of all of them is lua_init.c.
 *
 * Every message has one shape: "OP OBJECT: what is wrong" (OBJECT may be
 * absent), e.g.
 *   link add veth-a: option 'mtu' must be an integer 68..65535, got 70000
 *   link add: invalid option 'mtux'
 *   netns add: argument 1 (name) must be a string of 1..255 bytes without NUL,
 * got 300 bytes
 */
#ifndef NSLAB_LUA_AUX_H
#define NSLAB_LUA_AUX_H

#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>

#include "err.h"

/* Raise a message as it is: no "file:line:" of the Lua caller, since the
 * caller is usually nslab's own Lua layer, not the user's code. */
int lnslab_raise (lua_State *L, const char *fmt, ...);

/* Raise "op object: reason" (object may be NULL). Never returns. */
int lnslab_fail (lua_State *L, const char *op, const char *object,
                 const struct err *e);

/*
** {======================================================
** Declared options
** =======================================================
*/

/* Longest string option or argument unless a spec says otherwise. */
#define LOPT_STR_MAX 4096

enum lopt_type {
  LOPT_BOOL,   /* true or false */
  LOPT_INT,    /* an integer (no fraction, no string) in min..max */
  LOPT_NUM,    /* a finite number in min..max (seconds and the like) */
  LOPT_STR,    /* a string of 1..max bytes (max 0: LOPT_STR_MAX), no NUL */
  LOPT_IFNAME, /* an interface name the kernel accepts (1..15 bytes) */
  LOPT_CHOICE, /* one of choices; the value is its index */
  LOPT_NETNS,  /* an open netns handle */
  LOPT_DEV,    /* a device: an ifindex 1..INT_MAX or an interface name */
  LOPT_TABLE,  /* a table; its fields are checked against sub when given */
  LOPT_ANY,    /* anything but nil: the binding checks it itself (e.g. a
                  rule of its own grammar), and the spec says so in doc */
};

#define LOPT_REQUIRED 1u /* must be present */
#define LOPT_OBJECT 2u   /* its value names the object in every message */
#define LOPT_EMPTY 4u    /* LOPT_STR: the empty string is allowed */

/* One option: name, type, range or choices, and a line for help(). A spec
 * is an array of these ended by {NULL}. */
struct lopt {
  const char *key;
  enum lopt_type type;
  lua_Number min, max;        /* LOPT_INT, LOPT_NUM; LOPT_STR: max length */
  const char *const *choices; /* LOPT_CHOICE, NULL-terminated */
  const struct lopt *sub;     /* LOPT_TABLE: the nested spec, or NULL */
  unsigned flags;             /* LOPT_REQUIRED | LOPT_OBJECT | LOPT_EMPTY */
  const char *doc;
};

/* An options table of one operation, e.g. "link add": what lua_init.c
 * exports as core.options() for help() and the bad-input spec. */
struct lopt_set {
  const char *op;
  const struct lopt *spec;
};

/* The value of one option, once checked. Strings stay anchored in the
 * options table, handles in it too. */
struct lopt_val {
  int set;       /* present (not nil) */
  int b;         /* LOPT_BOOL */
  lua_Integer i; /* LOPT_INT; LOPT_CHOICE: index; LOPT_DEV: ifindex or 0 */
  lua_Number n;  /* LOPT_NUM (and LOPT_INT as a number) */
  const char
      *s;     /* LOPT_STR, LOPT_IFNAME, LOPT_CHOICE; LOPT_DEV: name or NULL */
  size_t len; /* length of s */
  struct lnetns *ns; /* LOPT_NETNS */
};

/* Check the options table at idx (none or nil: no options) against spec
 * and fill out[i] for spec[i]: unknown keys, wrong types, numbers out of
 * range, NaN, ±inf, numeric strings, embedded NULs, over-long strings and
 * missing required keys raise "OP OBJECT: option 'key' must be ...";
 * nested tables (LOPT_TABLE with sub) are checked too. The object is the
 * value of the LOPT_OBJECT option when the spec has one, else object (may
 * be NULL). The stack is left as it was: a LOPT_TABLE or LOPT_ANY value is
 * fetched again by the caller (lua_getfield), and strings and handles stay
 * anchored in the table. Returns the object used in messages. */
const char *lnslab_options (lua_State *L, int idx, const char *op,
                            const char *object, const struct lopt *spec,
                            struct lopt_val *out);
/* The same for the nested table at idx, the value of option key: its
 * messages say option 'key.field'. */
const char *lnslab_suboptions (lua_State *L, int idx, const char *op,
                               const char *object, const char *key,
                               const struct lopt *spec, struct lopt_val *out);

/* The index of key in spec (a binding names its fields by key, once). */
int lnslab_opt_index (const struct lopt *spec, const char *key);

/* Push a spec as the Lua table core.options() shows:
 * {key = {type = "integer", min =, max =, choices = {...}, fields = {...},
 *  required = true, doc = "..."}, ...}. */
void lnslab_push_spec (lua_State *L, const struct lopt *spec);

/* }====================================================== */

/*
** {======================================================
** Positional arguments
** =======================================================
*/

/* At most n arguments: "OP: too many arguments (N given, at most n)".
 * Arguments are numbered in messages as luaL_argerror numbers them: the
 * self of a method call (ns:link_set(...)) is not counted. */
void lnslab_check_nargs (lua_State *L, int n, const char *op);

/* Argument idx as one of the option types, with the same checks and the
 * same words ("OP OBJECT: argument 2 (what) must be ..."); what names the
 * argument. spec gives the type, range and flags (its key is ignored):
 * e.g. static const struct lopt name = {"name", LOPT_IFNAME}. An absent
 * argument is an error unless the spec lacks LOPT_REQUIRED, when out->set
 * is 0. */
void lnslab_check_arg (lua_State *L, int idx, const char *op,
                       const char *object, const char *what,
                       const struct lopt *spec, struct lopt_val *out);

/* The same for any value, label naming it in the message ("option
 * 'count'", "argument 2 (timeout)"). */
void lnslab_check_value (lua_State *L, int idx, const char *op,
                         const char *object, const char *label,
                         const struct lopt *spec, struct lopt_val *out);

/* Push field k of item i (from 0) of the list argument at stack index arg
 * (what: its name), checked as spec, the item first as a table; a refusal
 * names it "argument ARG (WHAT) item I [K] (KEY)", formatted only then. */
void lnslab_push_item_field (lua_State *L, int arg, const char *op,
                             const char *what, size_t i, int k,
                             const struct lopt *spec, struct lopt_val *out);

/* What was given at idx, for "..., got X": a number as it is, a short
 * string quoted, else its length or its type; pushed (or a literal). */
const char *lnslab_given (lua_State *L, int idx);
/* "argument N (what)" for the argument at idx, N counted without the self
 * of a method call; pushed. */
const char *lnslab_arg_label (lua_State *L, int idx, const char *what);

/* Common cases of the above. */
const char *lnslab_check_str (lua_State *L, int idx, const char *op,
                              const char *what, size_t max, size_t *len);
lua_Integer lnslab_check_int (lua_State *L, int idx, const char *op,
                              const char *what, lua_Integer min,
                              lua_Integer max);
/* A device argument: an integer ifindex or a name; sets one of the two. */
void lnslab_check_dev (lua_State *L, int idx, const char *op, int *ifindex,
                       const char **name);
/* The object of a message about a device: its name or "ifindex N". */
const char *lnslab_dev_label (lua_State *L, int ifindex, const char *name);

/* }====================================================== */

/* Set t[key] for the table on top of the stack. */
void lnslab_set_int (lua_State *L, const char *key, lua_Integer v);
void lnslab_set_str (lua_State *L, const char *key, const char *v);
void lnslab_set_bool (lua_State *L, const char *key, int v);

/* Set t[key] to the text of an address (with "/N" when with_prefix);
 * nothing when the address is unset (family 0). */
struct ipaddr;
void lnslab_set_ip (lua_State *L, const char *key, const struct ipaddr *a,
                    int with_prefix);

/* Push an array of n C items (each size bytes) as a Lua sequence of
 * tables, push(L, item) making each one. */
typedef void (*lnslab_push_fn)(lua_State *L, const void *item);
void lnslab_push_list (lua_State *L, const void *items, size_t n, size_t size,
                       lnslab_push_fn push);
/* The same for a malloc'd array, which is freed after, also when Lua
 * raises an out-of-memory error midway. */
void lnslab_push_owned_list (lua_State *L, void *items, size_t n, size_t size,
                             lnslab_push_fn push);

/* Add functions to the table at index t (a module, methods, a metatable). */
void lnslab_add (lua_State *L, int t, const luaL_Reg *functions);

/* Register the userdata class name: its metatable holds meta (__gc,
 * __close, __tostring...) and an __index table of methods. */
void lnslab_new_class (lua_State *L, const char *name, const luaL_Reg *meta,
                       const luaL_Reg *methods);

/*
** {======================================================
** Bindings: what each lua_*.c contributes, listed once in lua_init.c
** =======================================================
*/

struct lbinding {
  const char *name;               /* "link", "nft", ... */
  const luaL_Reg *functions;      /* module functions, or NULL */
  const luaL_Reg *methods;        /* netns methods, or NULL */
  const struct lopt_set *options; /* ended by {NULL}, or NULL */
  void (*init)(lua_State *L, int module, int methods); /* or NULL */
};

/* }====================================================== */

/* The module nslab.core (lua_init.c). */
int luaopen_nslab_core (lua_State *L);

#endif
