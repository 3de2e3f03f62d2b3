/*
 * lua_ip.c - address and prefix values (see lua_ip.h).
 */
#include "lua_ip.h"

#include <string.h>
#include <sys/socket.h>

void lnslab_check_ip (lua_State *L, int idx, const char *op, const char *object,
                      const char *label, enum lip_kind kind,
                      struct ipaddr *out) {
  const char *text = lua_tostring(L, idx);
  struct err e;
  int ok = text && ipaddr_parse(text, out, &e) == 0;
  if (ok && kind == LIP_ADDRESS && out->prefixlen >= 0) ok = 0;
  if (ok && kind == LIP_PREFIX && out->prefixlen < 0)
    out->prefixlen = out->family == AF_INET ? 32 : 128;
  if (ok) return;
  const char *what = kind == LIP_ADDRESS ? "an IPv4 or IPv6 address"
                                         : "an IPv4 or IPv6 prefix";
  if (object)
    lnslab_raise(L, "%s %s: %s must be %s, got \"%s\"", op, object, label, what,
                 text ? text : "?");
  lnslab_raise(L, "%s: %s must be %s, got \"%s\"", op, label, what,
               text ? text : "?");
}
