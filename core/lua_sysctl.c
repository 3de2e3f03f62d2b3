/*
 * lua_sysctl.c - sysctls of a namespace, as sysctl(8) reads and writes
 * them, without a process:
 *
 *   ns:sysctl_get "net.ipv4.ip_forward"            --> "0"
 *   ns:sysctl_set("net.ipv4.ip_forward", 1)        -- sysctl -w ...=1
 *   ns:sysctl_get "net/ipv4/conf/lxcbr0.1/forwarding"
 *   core.sysctl_path "net.ipv4.ip_forward"  --> "/proc/sys/net/ipv4/ip_forward"
 *
 * Errors name the key: "sysctl net.ipv4.ip_forwrd: unknown key",
 * "sysctl net.ipv4.ip_forward: Invalid argument".
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lua_netns.h"
#include "sysctl.h"

/* The object of an error: the key, none when empty ("sysctl: empty key"). */
#define KEY_LABEL(key) (*(key) ? (key) : NULL)

/* The key at idx: a string without NUL; the core says why it is not a
 * key (empty, too long, outside net.). */
static const char *check_key (lua_State *L, int idx) {
  static const struct lopt key = {
      "key", LOPT_STR, 0, PATH_MAX, NULL, NULL, LOPT_REQUIRED | LOPT_EMPTY,
      NULL};
  struct lopt_val v;
  lnslab_check_value(L, idx, "sysctl", NULL, "argument 1 (key)", &key, &v);
  return v.s;
}

/*
** core.sysctl_path(key): the /proc/sys file key names (what sysctl -w
** writes to), or raise why it is not a key nslab accepts.
*/
static int l_sysctl_path (lua_State *L) {
  lnslab_check_nargs(L, 1, "sysctl");
  lua_settop(L, 1);
  const char *key = check_key(L, 1);
  char path[PATH_MAX];
  struct err e;
  if (sysctl_path(key, path, sizeof path, &e) < 0)
    return lnslab_fail(L, "sysctl", KEY_LABEL(key), &e);
  lua_pushstring(L, path);
  return 1;
}

/*
** ns:sysctl_get(key) --> the value, as `sysctl -n key` prints it.
*/
static int m_sysctl_get (lua_State *L) {
  lnslab_check_nargs(L, 2, "sysctl");
  lua_settop(L, 2);
  struct lnetns *ns = lnetns_check(L, 1, "sysctl");
  const char *key = check_key(L, 2);
  char *value;
  struct err e;
  if (sysctl_get(ns->fd, key, &value, &e) < 0)
    return lnslab_fail(L, "sysctl", KEY_LABEL(key), &e);
  lua_pushstring(L, value);
  free(value);
  return 1;
}

/*
** ns:sysctl_set(key, value): value is a string or an integer (sysctl -w
** key=value).
*/
static int m_sysctl_set (lua_State *L) {
  static const struct lopt text = {"value",
                                   LOPT_STR,
                                   0,
                                   SYSCTL_VALUE_MAX - 1,
                                   NULL,
                                   NULL,
                                   LOPT_REQUIRED | LOPT_EMPTY,
                                   NULL};
  struct lopt_val v;
  struct err e;
  lnslab_check_nargs(L, 3, "sysctl");
  lua_settop(L, 3);
  struct lnetns *ns = lnetns_check(L, 1, "sysctl");
  const char *key = check_key(L, 2);
  if (lua_type(L, 3) == LUA_TNUMBER) {
    if (!lua_isinteger(L, 3)) /* 1.5, nan, inf: no sysctl takes them */
      return lnslab_raise(
          L,
          "sysctl %s: argument 2 (value) must be a string or an integer, got %s",
          key, lua_tostring(L, 3));
    lua_pushstring(L, lua_tostring(L, 3));
    lua_replace(L, 3);
  } else if (lua_type(L, 3) != LUA_TSTRING) {
    return lnslab_raise(
        L,
        "sysctl %s: argument 2 (value) must be a string or an integer, got %s",
        key, luaL_typename(L, 3));
  }
  lnslab_check_value(L, 3, "sysctl", KEY_LABEL(key), "argument 2 (value)",
                     &text, &v);
  /* the kernel would take the first line and fail on the rest ("1\n2"
     set 1, then said "short write"): refused before writing */
  if (memchr(v.s, '\n', v.len))
    return lnslab_raise(
        L,
        "sysctl %s: argument 2 (value) must be one line, got a string with a newline",
        key);
  if (sysctl_set(ns->fd, key, v.s, &e) < 0)
    return lnslab_fail(L, "sysctl", KEY_LABEL(key), &e);
  return 0;
}

static const luaL_Reg functions[] = {{"sysctl_path", l_sysctl_path},
                                     {NULL, NULL}};
static const luaL_Reg methods[] = {
    {"sysctl_get", m_sysctl_get}, {"sysctl_set", m_sysctl_set}, {NULL, NULL}};

const struct lbinding lsysctl_binding = {"sysctl", functions, methods, NULL,
                                         NULL};
