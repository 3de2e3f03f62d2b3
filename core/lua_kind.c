/*
 * lua_kind.c - link kinds at the seam (see lua_kind.h).
 */
#include "lua_kind.h"

#include <errno.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include "ipaddr.h"
#include "link.h"

static struct lopt specs[LINK_KINDS_MAX][KIND_FIELDS_MAX + 1];
static const struct kind_field *spec_fields[LINK_KINDS_MAX][KIND_FIELDS_MAX];

static int row_index (const struct link_kind *k) {
  for (int i = 0; link_kinds[i]; i++)
    if (link_kinds[i] == k) return i;
  return -1;
}

/* One option from one field. Whole centiseconds fit in the kernel's u32;
 * addresses are strings, parsed after. */
static struct lopt option_of (const struct kind_field *f) {
  struct lopt o = {f->name, LOPT_BOOL, 0, 0, NULL, NULL, 0, f->doc};
  switch (f->type) {
  case KF_BOOL: o.type = LOPT_BOOL; break;
  case KF_UINT:
    o.type = LOPT_INT;
    o.min = f->min;
    o.max = f->max;
    break;
  case KF_SECONDS:
    o.type = LOPT_NUM;
    o.min = f->min / 100.0;
    o.max = f->max / 100.0;
    break;
  case KF_CHOICE:
    o.type = LOPT_CHOICE;
    o.choices = f->choices;
    break;
  case KF_ADDR:
    o.type = LOPT_STR;
    o.max = IPADDR_TEXT_MAX - 1;
    break;
  case KF_DEV: o.type = LOPT_DEV; break;
  case KF_TEXT: break; /* read only */
  }
  if (f->flags & KF_REQUIRED) o.flags |= LOPT_REQUIRED;
  return o;
}

const struct lopt *lkind_spec (const struct link_kind *k) {
  int r = row_index(k);
  struct lopt *spec = specs[r];
  if (spec[0].key || !k->fields[0].name) return spec; /* made, or empty */
  int n = 0;
  for (const struct kind_field *f = k->fields; f->name && n < KIND_FIELDS_MAX;
       f++)
    if (!(f->flags & KF_READONLY)) {
      spec_fields[r][n] = f;
      spec[n++] = option_of(f);
    }
  return spec;
}

/* "OP OBJECT: " for a message of our own. */
static const char *pre (lua_State *L, const char *op, const char *object) {
  return object ? lua_pushfstring(L, "%s %s: ", op, object)
                : lua_pushfstring(L, "%s: ", op);
}

void lkind_read (lua_State *L, int idx, const char *op, const char *object,
                 const char *key, const struct link_kind *k, struct nl *nl,
                 void *data) {
  const struct lopt *spec = lkind_spec(k);
  const struct kind_field *const *fields = spec_fields[row_index(k)];
  struct lopt_val v[KIND_FIELDS_MAX + 1];
  struct err e;
  idx = lua_absindex(L, idx);
  link_kind_init(k, data);
  if (!spec[0].key) return;
  if (key)
    lnslab_suboptions(L, idx, op, object, key, spec, v);
  else
    lnslab_options(L, idx, op, object, spec, v);
  for (int i = 0; spec[i].key; i++) {
    const struct kind_field *f = fields[i];
    const char *dot = key ? key : "", *sep = key ? "." : "";
    if (!v[i].set) continue;
    switch (f->type) {
    case KF_BOOL: *kind_long(f, data) = v[i].b; break;
    case KF_UINT: *kind_long(f, data) = (long)v[i].i; break;
    case KF_SECONDS: *kind_long(f, data) = (long)(v[i].n * 100 + 0.5); break;
    case KF_CHOICE: *kind_long(f, data) = f->values[v[i].i]; break;
    case KF_ADDR: {
      struct ipaddr *a = (struct ipaddr *)((char *)data + f->offset);
      if (ipaddr_parse(v[i].s, a, &e) < 0 || a->prefixlen >= 0)
        lnslab_raise(
            L, "%soption '%s%s%s' must be an IPv4 or IPv6 address, got \"%s\"",
            pre(L, op, object), dot, sep, f->name, v[i].s);
      break;
    }
    case KF_DEV:
      if (v[i].s) {
        int ifindex = link_index(nl, v[i].s, &e);
        if (ifindex < 0 && e.code == ENODEV)
          lnslab_raise(
              L, "%soption '%s%s%s' must be a device here, got \"%s\" (%s)",
              pre(L, op, object), dot, sep, f->name, v[i].s, err_text(&e));
        if (ifindex < 0) lnslab_fail(L, op, object, &e);
        *kind_long(f, data) = ifindex;
      } else {
        *kind_long(f, data) = (long)v[i].i;
      }
      break;
    case KF_TEXT: break;
    }
  }
}

static void push_seconds (lua_State *L, long centis) {
  if (centis % 100 == 0)
    lua_pushinteger(L, centis / 100);
  else
    lua_pushnumber(L, (lua_Number)centis / 100);
}

void lkind_set_fields (lua_State *L, const struct link_kind *k,
                       const void *data, int ip_view) {
  for (const struct kind_field *f = k->fields; f->name; f++) {
    const char *name = ip_view ? f->ip : f->name;
    if (!name) continue;
    if (f->type == KF_ADDR) {
      const struct ipaddr *a =
          (const struct ipaddr *)((const char *)data + f->offset);
      char key[KF_TEXT_MAX + 2];
      int six = ip_view && (f->flags & KF_IP_6) && a->family == AF_INET6;
      snprintf(key, sizeof key, "%s%s", name, six ? "6" : "");
      lnslab_set_ip(L, key, a, 0);
      continue;
    }
    if (f->type == KF_TEXT) {
      const char *text = (const char *)data + f->offset;
      if (text[0])
        lua_pushlstring(L, text, strnlen(text, KF_TEXT_MAX));
      else
        continue;
      lua_setfield(L, -2, name);
      continue;
    }
    long v = *kind_clong(f, data);
    if (v < 0) continue;
    switch (f->type) {
    case KF_BOOL:
      if (ip_view && (f->flags & KF_IP_INT))
        lua_pushinteger(L, v);
      else
        lua_pushboolean(L, v != 0);
      break;
    case KF_SECONDS:
      if (ip_view)
        lua_pushinteger(L, v);
      else
        push_seconds(L, v);
      break;
    case KF_CHOICE: {
      int c = kind_choice(f, v);
      if (c >= 0)
        lua_pushstring(L, f->choices[c]);
      else
        lua_pushinteger(L, v);
      break;
    }
    default: lua_pushinteger(L, v); break;
    }
    lua_setfield(L, -2, name);
  }
}
