/*
 * lua_aux.c - what every binding shares: one shape of error, one reader
 * of declared options and arguments (see lua_aux.h).
 */
#include "lua_aux.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"
#include "link.h"
#include "lua_netns.h"

int lnslab_raise (lua_State *L, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  return lua_error(L);
}

int lnslab_fail (lua_State *L, const char *op, const char *object,
                 const struct err *e) {
  if (object) return lnslab_raise(L, "%s %s: %s", op, object, err_text(e));
  return lnslab_raise(L, "%s: %s", op, err_text(e));
}

/*
** {======================================================
** Checking one value against one option's spec
** =======================================================
*/

/* "OP OBJECT: " or "OP: ", pushed. */
static const char *prefix (lua_State *L, const char *op, const char *object) {
  if (object) return lua_pushfstring(L, "%s %s: ", op, object);
  return lua_pushfstring(L, "%s: ", op);
}

/* A number as people write it: 1400, 0.5, 1e+09, inf, nan. */
static const char *number_text (lua_State *L, lua_Number n) {
  char buf[32];
  if (isnan(n)) return lua_pushliteral(L, "nan");
  snprintf(buf, sizeof buf, "%.14g", (double)n);
  return lua_pushstring(L, buf);
}

/* What was given, for "..., got X": a number as it is, a string quoted
 * (its length when long or not printable), else the type's name. */
const char *lnslab_given (lua_State *L, int idx) {
  switch (lua_type(L, idx)) {
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx))
      return lua_pushfstring(L, "%I", lua_tointeger(L, idx));
    return number_text(L, lua_tonumber(L, idx));
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    int plain = len <= 40 && strlen(s) == len;
    for (size_t i = 0; plain && i < len; i++)
      plain = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f && s[i] != '"';
    if (plain) return lua_pushfstring(L, "\"%s\"", s);
    if (strlen(s) != len) return lua_pushfstring(L, "a string with a NUL byte");
    return lua_pushfstring(L, "a string of %I bytes", (lua_Integer)len);
  }
  case LUA_TNONE: return "nothing";
  default: return luaL_typename(L, idx);
  }
}

/* The words after "must be" for a spec, pushed. */
static const char *wanted (lua_State *L, const struct lopt *o) {
  switch (o->type) {
  case LOPT_BOOL: return lua_pushliteral(L, "a boolean");
  case LOPT_INT:
    return lua_pushfstring(L, "an integer %I..%I", (lua_Integer)o->min,
                           (lua_Integer)o->max);
  case LOPT_NUM: {
    const char *min = number_text(L, o->min), *max = number_text(L, o->max);
    return lua_pushfstring(L, "a number %s..%s", min, max);
  }
  case LOPT_STR: {
    lua_Integer max = o->max > 0 ? (lua_Integer)o->max : LOPT_STR_MAX;
    return lua_pushfstring(L, "a string of %d..%I bytes without NUL",
                           (o->flags & LOPT_EMPTY) ? 0 : 1, max);
  }
  case LOPT_IFNAME:
    return lua_pushfstring(
        L, "an interface name (1..%d bytes, no '/', ':' or spaces)",
        IFNAMSIZ - 1);
  case LOPT_CHOICE: {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "one of ");
    for (const char *const *c = o->choices; *c; c++) {
      if (c != o->choices) luaL_addstring(&b, c[1] ? ", " : " or ");
      luaL_addstring(&b, *c);
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
  }
  case LOPT_NETNS: return lua_pushliteral(L, "a netns");
  case LOPT_DEV:
    return lua_pushfstring(L, "an ifindex 1..%d or an interface name", INT_MAX);
  case LOPT_TABLE: return lua_pushliteral(L, "a table");
  case LOPT_ANY: return lua_pushliteral(L, "a value");
  }
  return lua_pushliteral(L, "?");
}

/* Where a value is, for the message of a refusal, made only then (a
 * valid value costs no formatting): "OP OBJECT: " and the value's label,
 * which is given whole, or an option's ("option 'PATH.KEY'"), or a
 * positional argument's ("argument N (WHAT)", counted from stack index
 * arg as luaL_argerror counts). */
struct where {
  const char *op, *object;
  const char *label;      /* whole, or NULL */
  const char *path, *key; /* an option: path NULL at the top level */
  int arg;                /* an argument: its stack index */
  const char *what;
  lua_Integer item; /* an item of the list argument arg: its number */
  int field;        /* and one of its fields (key its name), or 0 */
};

static int self_slots (lua_State *L);

static const char *where_label (lua_State *L, const struct where *w) {
  if (w->label) return lua_pushstring(L, w->label);
  if (w->item && w->field)
    return lua_pushfstring(L, "argument %d (%s) item %I [%d] (%s)", w->arg,
                           w->what, w->item, w->field, w->key);
  if (w->item)
    return lua_pushfstring(L, "argument %d (%s) item %I", w->arg, w->what,
                           w->item);
  if (w->key)
    return lua_pushfstring(L, "option '%s%s%s'", w->path ? w->path : "",
                           w->path ? "." : "", w->key);
  return lua_pushfstring(L, "argument %d (%s)", w->arg - self_slots(L),
                         w->what);
}

/* Raise "PREFIX LABEL must be WANTED, got GIVEN" about the value at v. */
static int refuse (lua_State *L, const struct where *w, const struct lopt *o,
                   int v) {
  const char *pre = prefix(L, w->op, w->object);
  const char *label = where_label(L, w);
  const char *want = wanted(L, o);
  return lnslab_raise(L, "%s%s must be %s, got %s", pre, label, want,
                      lnslab_given(L, v));
}

static int integral (lua_State *L, int v, lua_Integer *out) {
  if (lua_type(L, v) != LUA_TNUMBER) return 0;
  if (lua_isinteger(L, v)) {
    *out = lua_tointeger(L, v);
    return 1;
  }
  /* A float with an integral value (3.0) is an integer; 2^63, NaN and
     the infinities are not. */
  return lua_numbertointeger(lua_tonumber(L, v), out) &&
         (lua_Number)*out == lua_tonumber(L, v);
}

static int string_ok (lua_State *L, int v, const struct lopt *o,
                      struct lopt_val *out) {
  size_t max = o->max > 0 ? (size_t)o->max : LOPT_STR_MAX;
  if (lua_type(L, v) != LUA_TSTRING) return 0;
  out->s = lua_tolstring(L, v, &out->len);
  if (out->len > max || strlen(out->s) != out->len) return 0;
  return out->len > 0 || (o->flags & LOPT_EMPTY);
}

/* Check the value at v (absolute) against o; w says where it is, for a
 * message. On success out is filled. */
static void check_value (lua_State *L, int v, const struct where *w,
                         const struct lopt *o, struct lopt_val *out) {
  struct err e;
  memset(out, 0, sizeof *out);
  out->set = 1;
  switch (o->type) {
  case LOPT_BOOL:
    if (lua_type(L, v) != LUA_TBOOLEAN) refuse(L, w, o, v);
    out->b = lua_toboolean(L, v);
    break;
  case LOPT_INT:
    if (!integral(L, v, &out->i) || out->i < (lua_Integer)o->min ||
        out->i > (lua_Integer)o->max)
      refuse(L, w, o, v);
    out->n = (lua_Number)out->i;
    break;
  case LOPT_NUM:
    if (lua_type(L, v) != LUA_TNUMBER) refuse(L, w, o, v);
    out->n = lua_tonumber(L, v);
    if (!isfinite(out->n) || out->n < o->min || out->n > o->max)
      refuse(L, w, o, v);
    break;
  case LOPT_STR:
    if (!string_ok(L, v, o, out)) refuse(L, w, o, v);
    break;
  case LOPT_IFNAME: {
    static const struct lopt name = {"",   LOPT_STR, 0, IFNAMSIZ - 1,
                                     NULL, NULL,     0, NULL};
    if (!string_ok(L, v, &name, out) || link_name_ok(out->s, &e) < 0)
      refuse(L, w, o, v);
    break;
  }
  case LOPT_CHOICE:
    if (lua_type(L, v) == LUA_TSTRING) {
      out->s = lua_tolstring(L, v, &out->len);
      for (const char *const *c = o->choices; *c; c++)
        if (strlen(*c) == out->len && !memcmp(*c, out->s, out->len)) {
          out->i = c - o->choices;
          return;
        }
    }
    refuse(L, w, o, v);
    break;
  case LOPT_NETNS: {
    struct lnetns *ns = luaL_testudata(L, v, LNETNS);
    if (!ns) refuse(L, w, o, v);
    if (ns->deleted || ns->fd < 0) { /* lnetns_check says why, naming it */
      const char *pre = prefix(L, w->op, w->object);
      const char *label = where_label(L, w);
      lnetns_check(L, v, lua_pushfstring(L, "%s%s", pre, label));
    }
    out->ns = ns;
    break;
  }
  case LOPT_DEV:
    if (lua_type(L, v) == LUA_TNUMBER) {
      if (!integral(L, v, &out->i) || out->i <= 0 || out->i > INT_MAX)
        refuse(L, w, o, v);
    } else {
      static const struct lopt name = {"",   LOPT_IFNAME, 0, 0,
                                       NULL, NULL,        0, NULL};
      check_value(L, v, w, &name, out);
    }
    break;
  case LOPT_TABLE:
    if (lua_type(L, v) != LUA_TTABLE) refuse(L, w, o, v);
    break;
  case LOPT_ANY: break;
  }
}

/* }====================================================== */

int lnslab_opt_index (const struct lopt *spec, const char *key) {
  for (int i = 0; spec[i].key; i++)
    if (!strcmp(spec[i].key, key)) return i;
  return -1;
}

/* Check the table at idx against spec; path ("bridge") names a nested
 * table in the labels: option 'bridge.stp'. */
static const char *read_options (lua_State *L, int idx, const char *op,
                                 const char *object, const char *path,
                                 const struct lopt *spec,
                                 struct lopt_val *out) {
  int n = 0, named = -1;
  while (spec[n].key) n++;
  memset(out, 0, (size_t)n * sizeof *out);
  int absent = lua_isnoneornil(L, idx);
  idx = lua_absindex(L, idx);
  int top = lua_gettop(L);
  if (!absent && lua_type(L, idx) != LUA_TTABLE) {
    const char *pre = prefix(L, op, object);
    if (path)
      lnslab_raise(L, "%soption '%s' must be a table, got %s", pre, path,
                   lnslab_given(L, idx));
    lnslab_raise(L, "%soptions must be a table, got %s", pre,
                 lnslab_given(L, idx));
  }
  /* The object first: every later message names it. */
  for (int i = 0; i < n; i++)
    if (spec[i].flags & LOPT_OBJECT) named = i;
  if (named >= 0 && !absent) {
    if (lua_getfield(L, idx, spec[named].key) != LUA_TNIL) {
      struct where w = {op, NULL, NULL, NULL, spec[named].key, 0, NULL, 0, 0};
      check_value(L, top + 1, &w, &spec[named], &out[named]);
      object = out[named].s; /* anchored in the options table */
    }
    lua_settop(L, top);
  }
  const char *dot = path ? "." : "";
  if (!path) path = "";
  if (!absent) {
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      int known = lua_type(L, -2) == LUA_TSTRING &&
                  lnslab_opt_index(spec, lua_tostring(L, -2)) >= 0;
      if (!known) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2)
                                                         : lnslab_given(L, -2);
        lnslab_raise(L, "%sinvalid option '%s%s%s'", prefix(L, op, object),
                     path, dot, key);
      }
      lua_pop(L, 1);
    }
  }
  for (int i = 0; i < n; i++) {
    if (absent || lua_getfield(L, idx, spec[i].key) == LUA_TNIL) {
      lua_settop(L, top);
      if (spec[i].flags & LOPT_REQUIRED)
        lnslab_raise(L, "%soption '%s%s%s' is required (%s)",
                     prefix(L, op, object), path, dot, spec[i].key,
                     wanted(L, &spec[i]));
      continue;
    }
    struct where w = {op,   object, NULL, *path ? path : NULL, spec[i].key, 0,
                      NULL, 0,      0};
    check_value(L, top + 1, &w, &spec[i], &out[i]);
    if (spec[i].type == LOPT_TABLE && spec[i].sub) {
      /* Checked here too, so nothing is sent before all of it is right. */
      int m = 0;
      while (spec[i].sub[m].key) m++;
      struct lopt_val *scratch =
          lua_newuserdatauv(L, (size_t)(m + 1) * sizeof *scratch, 0);
      const char *sub = lua_pushfstring(L, "%s%s%s", path, dot, spec[i].key);
      read_options(L, top + 1, op, object, sub, spec[i].sub, scratch);
    }
    lua_settop(L, top);
  }
  lua_settop(L, top);
  return object;
}

const char *lnslab_options (lua_State *L, int idx, const char *op,
                            const char *object, const struct lopt *spec,
                            struct lopt_val *out) {
  return read_options(L, idx, op, object, NULL, spec, out);
}

const char *lnslab_suboptions (lua_State *L, int idx, const char *op,
                               const char *object, const char *key,
                               const struct lopt *spec, struct lopt_val *out) {
  return read_options(L, idx, op, object, key, spec, out);
}

void lnslab_push_spec (lua_State *L, const struct lopt *spec) {
  static const char *const types[] = {"boolean", "integer", "number", "string",
                                      "ifname",  "choice",  "netns",  "device",
                                      "table",   "any"};
  lua_newtable(L);
  for (const struct lopt *o = spec; o->key; o++) {
    lua_createtable(L, 0, 6);
    lnslab_set_str(L, "type", types[o->type]);
    if (o->type == LOPT_INT || o->type == LOPT_NUM || o->type == LOPT_STR) {
      lua_Number max =
          o->type == LOPT_STR && o->max <= 0 ? LOPT_STR_MAX : o->max;
      lua_Number min =
          o->type == LOPT_STR ? ((o->flags & LOPT_EMPTY) ? 0 : 1) : o->min;
      if (o->type == LOPT_NUM) {
        lua_pushnumber(L, min);
        lua_setfield(L, -2, "min");
        lua_pushnumber(L, max);
        lua_setfield(L, -2, "max");
      } else {
        lnslab_set_int(L, "min", (lua_Integer)min);
        lnslab_set_int(L, "max", (lua_Integer)max);
      }
    }
    if (o->type == LOPT_IFNAME) lnslab_set_int(L, "max", IFNAMSIZ - 1);
    if (o->choices) {
      lua_newtable(L);
      for (int i = 0; o->choices[i]; i++) {
        lua_pushstring(L, o->choices[i]);
        lua_rawseti(L, -2, i + 1);
      }
      lua_setfield(L, -2, "choices");
    }
    if (o->sub) {
      lnslab_push_spec(L, o->sub);
      lua_setfield(L, -2, "fields");
    }
    if (o->flags & LOPT_REQUIRED) lnslab_set_bool(L, "required", 1);
    if (o->flags & LOPT_OBJECT) lnslab_set_bool(L, "object", 1);
    if (o->doc) lnslab_set_str(L, "doc", o->doc);
    lua_setfield(L, -2, o->key);
  }
}

/*
** {======================================================
** Positional arguments
** =======================================================
*/

/* 1 when the running C function was called as a method (ns:x()), whose
 * self is not counted in messages, as luaL_argerror does not count it. */
static int self_slots (lua_State *L) {
  lua_Debug ar;
  if (!lua_getstack(L, 0, &ar)) return 0;
  lua_getinfo(L, "n", &ar);
  return ar.namewhat && !strcmp(ar.namewhat, "method");
}

const char *lnslab_arg_label (lua_State *L, int idx, const char *what) {
  return lua_pushfstring(L, "argument %d (%s)",
                         lua_absindex(L, idx) - self_slots(L), what);
}

void lnslab_check_nargs (lua_State *L, int n, const char *op) {
  int top = lua_gettop(L);
  if (top > n) {
    int self = self_slots(L);
    lnslab_raise(L, "%s: too many arguments (%d given, at most %d)", op,
                 top - self, n - self);
  }
}

/* The value at idx, checked; w says where it is. */
static void check_at (lua_State *L, int idx, const struct where *w,
                      const struct lopt *spec, struct lopt_val *out) {
  int top = lua_gettop(L);
  if (lua_isnoneornil(L, idx)) {
    memset(out, 0, sizeof *out);
    if (spec->flags & LOPT_REQUIRED) refuse(L, w, spec, idx);
  } else {
    check_value(L, idx, w, spec, out);
  }
  lua_settop(L, top);
}

void lnslab_check_value (lua_State *L, int idx, const char *op,
                         const char *object, const char *label,
                         const struct lopt *spec, struct lopt_val *out) {
  struct where w = {op, object, label, NULL, NULL, 0, NULL, 0, 0};
  check_at(L, lua_absindex(L, idx), &w, spec, out);
}

void lnslab_check_arg (lua_State *L, int idx, const char *op,
                       const char *object, const char *what,
                       const struct lopt *spec, struct lopt_val *out) {
  idx = lua_absindex(L, idx);
  /* An absent argument must stay absent: else the label pushed next
     would take its slot and be checked as its value. */
  if (idx > lua_gettop(L)) lua_settop(L, idx);
  struct where w = {op, object, NULL, NULL, NULL, idx, what, 0, 0};
  check_at(L, idx, &w, spec, out);
}

void lnslab_push_item_field (lua_State *L, int arg, const char *op,
                             const char *what, size_t i, int k,
                             const struct lopt *spec, struct lopt_val *out) {
  static const struct lopt item = {"item", LOPT_TABLE,    0,   0, NULL,
                                   NULL,   LOPT_REQUIRED, NULL};
  struct where w = {op, NULL, NULL, NULL, NULL, arg, what, (lua_Integer)i + 1,
                    0};
  struct lopt_val t;
  lua_geti(L, arg, (lua_Integer)i + 1);
  check_at(L, lua_gettop(L), &w, &item, &t);
  lua_geti(L, -1, k);
  w.field = k;
  w.key = spec->key;
  check_at(L, lua_gettop(L), &w, spec, out);
  lua_remove(L, -2); /* the item (anchored in the list) */
}

const char *lnslab_check_str (lua_State *L, int idx, const char *op,
                              const char *what, size_t max, size_t *len) {
  struct lopt spec = {what, LOPT_STR,      0,   (lua_Number)max, NULL,
                      NULL, LOPT_REQUIRED, NULL};
  struct lopt_val v;
  lnslab_check_arg(L, idx, op, NULL, what, &spec, &v);
  if (len) *len = v.len;
  return v.s;
}

lua_Integer lnslab_check_int (lua_State *L, int idx, const char *op,
                              const char *what, lua_Integer min,
                              lua_Integer max) {
  struct lopt spec = {what, LOPT_INT, (lua_Number)min, (lua_Number)max,
                      NULL, NULL,     LOPT_REQUIRED,   NULL};
  struct lopt_val v;
  lnslab_check_arg(L, idx, op, NULL, what, &spec, &v);
  return v.i;
}

void lnslab_check_dev (lua_State *L, int idx, const char *op, int *ifindex,
                       const char **name) {
  static const struct lopt spec = {"dev", LOPT_DEV,      0,   0, NULL,
                                   NULL,  LOPT_REQUIRED, NULL};
  struct lopt_val v;
  lnslab_check_arg(L, idx, op, NULL, "dev", &spec, &v);
  *ifindex = v.s ? 0 : (int)v.i;
  *name = v.s;
}

const char *lnslab_dev_label (lua_State *L, int ifindex, const char *name) {
  if (name) return name;
  return lua_pushfstring(L, "ifindex %d", ifindex);
}

/* }====================================================== */

void lnslab_set_int (lua_State *L, const char *key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}

void lnslab_set_str (lua_State *L, const char *key, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, key);
}

void lnslab_set_bool (lua_State *L, const char *key, int v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, key);
}

void lnslab_set_ip (lua_State *L, const char *key, const struct ipaddr *a,
                    int with_prefix) {
  char text[IPADDR_TEXT_MAX];
  if (!a->family) return;
  ipaddr_format(a, with_prefix, text, sizeof text);
  lnslab_set_str(L, key, text);
}

void lnslab_push_list (lua_State *L, const void *items, size_t n, size_t size,
                       lnslab_push_fn push) {
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    push(L, (const char *)items + i * size);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* The array is owned by a Lua value while it is turned into tables, so an
 * out-of-memory error midway does not leak it. */
static int free_box (lua_State *L) {
  void **box = lua_touserdata(L, 1);
  free(*box);
  *box = NULL;
  return 0;
}

void lnslab_push_owned_list (lua_State *L, void *items, size_t n, size_t size,
                             lnslab_push_fn push) {
  void **box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = items;
  if (luaL_newmetatable(L, "nslab.list")) {
    lua_pushcfunction(L, free_box);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  lnslab_push_list(L, items, n, size, push);
  free(*box);
  *box = NULL;
  lua_remove(L, -2);
}

void lnslab_add (lua_State *L, int t, const luaL_Reg *functions) {
  lua_pushvalue(L, t);
  luaL_setfuncs(L, functions, 0);
  lua_pop(L, 1);
}

void lnslab_new_class (lua_State *L, const char *name, const luaL_Reg *meta,
                       const luaL_Reg *methods) {
  luaL_newmetatable(L, name);
  int mt = lua_gettop(L);
  lnslab_add(L, mt, meta);
  lua_newtable(L);
  lnslab_add(L, lua_gettop(L), methods);
  lua_setfield(L, mt, "__index");
  lua_pop(L, 1);
}
