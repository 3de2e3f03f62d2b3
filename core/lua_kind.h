/*
 * lua_kind.h - link kinds (link_kind.h) at the seam: a row's option spec
 * made from its fields, options read into the row's data, the data pushed
 * as nslab's table and as `ip -j -d link`'s info_data. Used by lua_link.c
 * (link_add, link tables) and lua_tun.c; no kind is named here.
 */
#ifndef NSLAB_LUA_KIND_H
#define NSLAB_LUA_KIND_H

#include "link_kind.h"
#include "lua_aux.h"
#include "nl.h"

/* The options of row k (its fields that are not read only), ended by
 * {NULL}: made once, they live as long as the process. */
const struct lopt *lkind_spec (const struct link_kind *k);

/* Check the options table at idx (nil: none) against k's spec and fill
 * data (every field unset first). key names the table in messages
 * ("vxlan": option 'vxlan.id'), NULL for a table of k's options alone;
 * device names are looked up over nl. Raises in the shape of lua_aux.h. */
void lkind_read (lua_State *L, int idx, const char *op, const char *object,
                 const char *key, const struct link_kind *k, struct nl *nl,
                 void *data);

/* Set the fields of k's data on the table on top: nslab's names and
 * units (seconds, booleans), or with ip_view `ip -j -d`'s (only fields it
 * prints, its units). Unset fields are left out. */
void lkind_set_fields (lua_State *L, const struct link_kind *k,
                       const void *data, int ip_view);

#endif
