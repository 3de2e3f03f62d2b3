/*
 * lua_ip.h - address and prefix values of options and arguments, checked
 * in the one shape of lua_aux.h:
 *   route add: option 'via' must be an IPv4 or IPv6 address, got "10.0.0.300"
 */
#ifndef NSLAB_LUA_IP_H
#define NSLAB_LUA_IP_H

#include "ipaddr.h"
#include "lua_aux.h"

enum lip_kind {
  LIP_ADDRESS, /* an address without "/N" */
  LIP_PREFIX,  /* a prefix; a bare address is a host prefix (/32, /128) */
};

/* The string at idx (already checked as one) as kind; label names it
 * ("option 'dst'", "argument 3 (prefix)"). Raises. */
void lnslab_check_ip (lua_State *L, int idx, const char *op, const char *object,
                      const char *label, enum lip_kind kind,
                      struct ipaddr *out);

/* Longest text of an address or prefix option: the LOPT_STR max. */
#define LIP_TEXT_MAX (IPADDR_TEXT_MAX - 1)

#endif
