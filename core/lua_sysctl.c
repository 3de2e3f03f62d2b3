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
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lua_nslab.h"
#include "sysctl.h"


/* The object of an error: the key, none when empty ("sysctl: empty key"). */
#define KEY_LABEL(key) (*(key) ? (key) : NULL)

/* The key at idx: a string, never with a NUL inside. */
static const char *check_key (lua_State *L, int idx) {
  size_t len;
  const char *key = luaL_checklstring(L, idx, &len);
  if (strlen(key) != len)
    lnslab_raise(L, "sysctl: a key cannot contain a NUL byte");
  return key;
}


/*
** core.sysctl_path(key): the /proc/sys file key names (what sysctl -w
** writes to), or raise why it is not a key nslab accepts.
*/
static int l_sysctl_path (lua_State *L) {
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
  struct lnetns *ns = lnetns_check(L, 1, NULL);
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
** ns:sysctl_set(key, value): value is a string or a number (sysctl -w
** key=value).
*/
static int m_sysctl_set (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  const char *key = check_key(L, 2);
  size_t len;
  struct err e;
  luaL_argexpected(L, lua_type(L, 3) == LUA_TSTRING ||
                   lua_type(L, 3) == LUA_TNUMBER, 3, "string or number");
  const char *value = lua_tolstring(L, 3, &len);
  if (strlen(value) != len)
    return lnslab_raise(L, "sysctl %s: the value contains a NUL byte", key);
  if (sysctl_set(ns->fd, key, value, &e) < 0)
    return lnslab_fail(L, "sysctl", KEY_LABEL(key), &e);
  return 0;
}


static void lsysctl_register(lua_State *L, int module, int methods) {
  static const luaL_Reg functions[] = {
    {"sysctl_path", l_sysctl_path}, {NULL, NULL}
  };
  static const luaL_Reg method_list[] = {
    {"sysctl_get", m_sysctl_get}, {"sysctl_set", m_sysctl_set}, {NULL, NULL}
  };
  lnslab_add(L, module, functions);
  lnslab_add(L, methods, method_list);
}

const struct lbinding lsysctl_binding = {"sysctl", NULL, NULL, NULL, lsysctl_register};
