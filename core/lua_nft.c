/*
 * lua_nft.c - nf_tables: netns methods nft_apply and nft_list.
 *
 *   ns:nft_apply{ {op="add", object="table", family="ip", table="nat"},
 *                 {op="add", object="rule", family="ip", table="nat",
 *                  chain="POSTROUTING", exprs={
 *                    {"match", key="ip saddr", op="==", value="172.17.0.0/16"},
 *                    {"counter"}, {"masquerade"}}} }
 *   -- Docker's `-m addrtype --dst-type LOCAL`:
 *   {"match", key="fib daddr type", op="==", value="local"}
 *   ns:nft_list("ip", "nat") --> {tables=, chains=, rules=}
 *
 * A rule's exprs use nft's words (keys "ip saddr", "tcp dport", ...), the
 * structured form of the rule text; nft_list gives them back in the same
 * form. Every list of ops is one batch: all of it or nothing.
 */
#include <limits.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lua_nslab.h"
#include "nft.h"

/* The namespace's nf_tables socket, opened on first use while the thread
 * is briefly inside the namespace (see nl.h). */
static struct nl *lnetns_nft(lua_State *L, struct lnetns *ns) {
  struct err e;
  if (!ns->nft.sock && nl_open(&ns->nft, NETLINK_NETFILTER, ns->fd, &e) < 0)
    lnslab_fail(L, "nft: netlink open", ns->name, &e);
  return &ns->nft;
}

/* Index of name in a NULL-terminated or counted list of names; -1. */
static int name_index(const char *const *names, int n, const char *name) {
  for (int i = 0; i < n && names[i]; i++)
    if (!strcmp(names[i], name)) return i;
  return -1;
}

/*
** {======================================================
** Rule items: {"match", key=, op=, value=} and the statements
** =======================================================
*/

#define RULE "nft rule"

/* Raise on a field of item t that its kind does not have: a misspelled
 * field must not be silently ignored. */
static void check_fields(lua_State *L, int t, const char *kind,
                         const char *const allowed[]) {
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    int ok = lua_type(L, -1) == LUA_TNUMBER && lua_tointeger(L, -1) == 1;
    if (lua_type(L, -1) == LUA_TSTRING)
      ok = name_index(allowed, INT_MAX, lua_tostring(L, -1)) >= 0;
    if (!ok)
      lnslab_raise(L, RULE ": invalid field '%s' in \"%s\"", luaL_tolstring(L, -1, NULL), kind);
  }
}

/* The string field key of t, or NULL when absent. */
static const char *item_str(lua_State *L, int t, const char *kind, const char *key) {
  int type = lua_getfield(L, t, key);
  const char *s = lua_tostring(L, -1);
  lua_pop(L, 1);
  if (type == LUA_TNIL) return NULL;
  if (type != LUA_TSTRING)
    lnslab_raise(L, RULE ": %s %s must be a string, got %s", kind, key, lua_typename(L, type));
  return s;
}

/* The integer field key of t within min..max; dflt when absent. */
static lua_Integer item_int(lua_State *L, int t, const char *what, const char *key,
                            lua_Integer dflt, lua_Integer min, lua_Integer max) {
  int isint = 0;
  lua_getfield(L, t, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return dflt;
  }
  lua_Integer v = lua_type(L, -1) == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : 0;
  if (!isint || v < min || v > max)
    lnslab_raise(L, RULE ": %s %s: must be an integer %I..%I", what,
                 luaL_tolstring(L, -1, NULL), min, max);
  lua_pop(L, 1);
  return v;
}

static void copy_name(lua_State *L, char *dst, size_t size, const char *what,
                      const char *name) {
  if (!name || !*name) lnslab_raise(L, RULE ": %s needs a chain", what);
  if (strlen(name) >= size)
    lnslab_raise(L, RULE ": %s \"%s\": longer than %d bytes", what, name, (int)size - 1);
  memcpy(dst, name, strlen(name) + 1);
}

/* iifname/oifname "eth0", or "eth*" for every name starting "eth". */
static void check_ifname(lua_State *L, struct nft_item *it, const char *key,
                         const char *name) {
  size_t len = strlen(name);
  size_t bare = len && name[len - 1] == '*' ? len - 1 : len;
  if (bare == 0) lnslab_raise(L, RULE ": %s \"%s\": empty interface name", key, name);
  if (bare > 15)
    lnslab_raise(L, RULE ": %s \"%s\": interface name longer than 15 bytes", key, name);
  memcpy(it->text, name, len + 1);
}

static void check_addr(lua_State *L, struct nft_item *it, int family,
                       const char *text) {
  struct err e;
  const char *v = family == AF_INET ? "IPv4" : "IPv6";
  if (ipaddr_parse(text, &it->addr, &e) < 0 || it->addr.family != family)
    lnslab_raise(L, RULE ": \"%s\" is not an %s %s", text, v,
                 strchr(text, '/') ? "prefix" : "address");
}

/* A value as an error shows it: a string in quotes, else as it is. */
static const char *token(lua_State *L, int idx) {
  const char *text = luaL_tolstring(L, idx, NULL);
  return lua_type(L, idx) == LUA_TSTRING ? lua_pushfstring(L, "\"%s\"", text) : text;
}

/* tcp, udp, icmp, icmpv6 (nft prints it ipv6-icmp) or a number. */
static unsigned check_proto(lua_State *L, int idx, const char *key) {
  static const struct { const char *name; unsigned value; } protos[] = {
      {"tcp", IPPROTO_TCP}, {"udp", IPPROTO_UDP}, {"icmp", IPPROTO_ICMP},
      {"icmpv6", IPPROTO_ICMPV6}, {"ipv6-icmp", IPPROTO_ICMPV6}};
  int isint = 0;
  if (lua_type(L, idx) == LUA_TSTRING) {
    for (size_t i = 0; i < sizeof protos / sizeof *protos; i++)
      if (!strcmp(protos[i].name, lua_tostring(L, idx))) return protos[i].value;
  } else if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Integer v = lua_tointegerx(L, idx, &isint);
    if (isint && v >= 0 && v <= 255) return (unsigned)v;
  }
  return (unsigned)lnslab_raise(
      L, RULE ": %s %s: not a protocol (tcp, udp, icmp, icmpv6 or 0..255)", key, token(L, idx));
}

static unsigned check_port(lua_State *L, int idx, const char *key) {
  int isint = 0;
  lua_Integer v = lua_type(L, idx) == LUA_TNUMBER ? lua_tointegerx(L, idx, &isint) : -1;
  if (!isint || v < 0 || v > 65535)
    lnslab_raise(L, RULE ": %s %s: not a port (0..65535)", key, token(L, idx));
  return (unsigned)v;
}

static unsigned ct_bit(lua_State *L, const char *name) {
  for (const struct nft_ct_state *s = nft_ct_states; s->name; s++)
    if (!strcmp(s->name, name)) return s->bit;
  return (unsigned)lnslab_raise(L, RULE ": ct state \"%s\": not a conntrack state "
                                "(new, established, related, invalid, untracked)", name);
}

/* ct state: an array of states ("==" any of them) or one state. */
static unsigned check_ct_state(lua_State *L, int idx, int neq) {
  unsigned bits = 0;
  lua_Integer n;
  if (lua_type(L, idx) == LUA_TSTRING) return ct_bit(L, lua_tostring(L, idx));
  if (lua_type(L, idx) != LUA_TTABLE || (n = (lua_Integer)lua_rawlen(L, idx)) == 0)
    lnslab_raise(L, RULE ": ct state needs a list of states");
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_rawgeti(L, idx, i) != LUA_TSTRING)
      lnslab_raise(L, RULE ": ct state: states are strings, got %s", luaL_typename(L, -1));
    bits |= ct_bit(L, lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  if (neq && n > 1) lnslab_raise(L, RULE ": ct state != takes one state");
  return bits;
}

/* fib daddr type: a route type by the name nft gives it. */
static unsigned check_fib_type(lua_State *L, int idx, const char *key) {
  if (lua_type(L, idx) == LUA_TSTRING) {
    int i = name_index(nft_fib_types, NFT_FIB_TYPE_COUNT, lua_tostring(L, idx));
    if (i >= 0) return (unsigned)i;
  }
  return (unsigned)lnslab_raise(
      L, RULE ": %s %s: not an address type (unicast, local, broadcast, anycast, multicast, "
         "blackhole, unreachable, prohibit or unspec)", key, token(L, idx));
}

static void check_match(lua_State *L, int t, struct nft_item *it) {
  static const char *const fields[] = {"key", "op", "value", NULL};
  check_fields(L, t, "match", fields);
  const char *key = item_str(L, t, "match", "key");
  const char *op = item_str(L, t, "match", "op");
  int k = key ? name_index(nft_key_names, NFTK_COUNT, key) : -1;
  if (k < 0) lnslab_raise(L, RULE ": unknown match key \"%s\"", key ? key : "(none)");
  else it->key = (enum nft_key)k;
  if (op && strcmp(op, "==") && strcmp(op, "!="))
    lnslab_raise(L, RULE ": %s: op must be \"==\" or \"!=\", got \"%s\"", key, op);
  it->neq = op && !strcmp(op, "!=");
  if (lua_getfield(L, t, "value") == LUA_TNIL) lnslab_raise(L, RULE ": %s needs a value", key);
  int v = lua_gettop(L);
  switch (it->key) {
  case NFTK_IIFNAME:
  case NFTK_OIFNAME: check_ifname(L, it, key, item_str(L, t, key, "value")); break;
  case NFTK_IP_SADDR:
  case NFTK_IP_DADDR: check_addr(L, it, AF_INET, item_str(L, t, key, "value")); break;
  case NFTK_IP6_SADDR:
  case NFTK_IP6_DADDR: check_addr(L, it, AF_INET6, item_str(L, t, key, "value")); break;
  case NFTK_META_L4PROTO:
  case NFTK_IP_PROTOCOL: it->value = check_proto(L, v, key); break;
  case NFTK_CT_STATE: it->value = check_ct_state(L, v, it->neq); break;
  case NFTK_FIB_DADDR_TYPE: it->value = check_fib_type(L, v, key); break;
  default: it->value = check_port(L, v, key); break;
  }
  lua_settop(L, v - 1);
}

/* snat/dnat to addr[:port]: an address of the table's family (either in
 * inet). */
static void check_nat(lua_State *L, int t, int family, struct nft_item *it) {
  static const char *const fields[] = {"addr", "port", NULL};
  const char *kind = nft_item_names[it->kind];
  check_fields(L, t, kind, fields);
  const char *addr = item_str(L, t, kind, "addr");
  const char *want = family == NFPROTO_IPV6 ? "IPv6" : family == NFPROTO_INET
                                                   ? "IPv4 or IPv6" : "IPv4";
  struct err e;
  if (!addr) lnslab_raise(L, RULE ": %s needs addr", kind);
  if (ipaddr_parse(addr, &it->addr, &e) < 0 || it->addr.prefixlen >= 0 ||
      (family == NFPROTO_IPV6 ? it->addr.family != AF_INET6
                              : family != NFPROTO_INET && it->addr.family != AF_INET))
    lnslab_raise(L, RULE ": %s to \"%s\": not an %s address", kind, addr, want);
  it->value = (unsigned)item_int(L, t, lua_pushfstring(L, "%s to port", kind), "port", 0, 1, 65535);
  lua_pop(L, 1);
}

static void check_statement(lua_State *L, int t, int family, struct nft_item *it) {
  static const char *const none[] = {NULL};
  static const char *const counter[] = {"packets", "bytes", NULL};
  static const char *const chain[] = {"chain", NULL};
  static const char *const log[] = {"prefix", NULL};
  const char *kind = nft_item_names[it->kind];
  switch (it->kind) {
  case NFTI_COUNTER:
    check_fields(L, t, kind, counter);
    it->packets = (uint64_t)item_int(L, t, "counter", "packets", 0, 0, LUA_MAXINTEGER);
    it->bytes = (uint64_t)item_int(L, t, "counter", "bytes", 0, 0, LUA_MAXINTEGER);
    break;
  case NFTI_JUMP:
  case NFTI_GOTO:
    check_fields(L, t, kind, chain);
    copy_name(L, it->text, NFT_TEXT_MAX, kind, item_str(L, t, kind, "chain"));
    break;
  case NFTI_SNAT:
  case NFTI_DNAT: check_nat(L, t, family, it); break;
  case NFTI_LOG: {
    check_fields(L, t, kind, log);
    const char *prefix = item_str(L, t, kind, "prefix");
    if (prefix && strlen(prefix) > NFT_LOG_PREFIX_MAX)
      lnslab_raise(L, RULE ": log prefix longer than %d bytes", NFT_LOG_PREFIX_MAX);
    if (prefix) memcpy(it->text, prefix, strlen(prefix) + 1);
    break;
  }
  default: check_fields(L, t, kind, none);
  }
}

/* The exprs array at idx as items, in a userdata anchored in the table
 * at anchor (the items live as long as the call). */
static struct nft_item *check_items(lua_State *L, int idx, int family, int anchor,
                                    size_t *n) {
  *n = lua_rawlen(L, idx);
  struct nft_item *items = lua_newuserdatauv(L, (*n ? *n : 1) * sizeof *items, 0);
  lua_rawseti(L, anchor, (lua_Integer)lua_rawlen(L, anchor) + 1);
  memset(items, 0, (*n ? *n : 1) * sizeof *items);
  for (size_t i = 0; i < *n; i++) {
    struct nft_item *it = &items[i];
    it->addr.prefixlen = -1;
    if (lua_rawgeti(L, idx, (lua_Integer)i + 1) != LUA_TTABLE)
      lnslab_raise(L, RULE ": expression %d must be a table, got %s", (int)i + 1,
                   luaL_typename(L, -1));
    int t = lua_gettop(L);
    if (lua_rawgeti(L, t, 1) != LUA_TSTRING)
      lnslab_raise(L, RULE ": expression %d has no name (e.g. {\"match\", ...}, {\"accept\"})",
                   (int)i + 1);
    const char *kind = lua_tostring(L, -1);
    int k = name_index(nft_item_names, NFTI_UNKNOWN, kind);
    if (k < 0) lnslab_raise(L, RULE ": unknown statement \"%s\"", kind);
    else it->kind = (enum nft_item_kind)k;
    if (it->kind == NFTI_MATCH) check_match(L, t, it);
    else check_statement(L, t, family, it);
    lua_settop(L, t - 1);
  }
  return items;
}

/* }====================================================== */

/*
** {======================================================
** Ops
** =======================================================
*/

static const char *const verbs[] = {"add", "insert", "delete", "flush", NULL};
static const char *const objects[] = {"table", "chain", "rule", "ruleset", NULL};

/* A string field of op t; where names the op in the error. */
static const char *op_str(lua_State *L, int t, const char *where, const char *key) {
  int type = lua_getfield(L, t, key);
  const char *s = lua_tostring(L, -1);
  lua_pop(L, 1);
  if (type == LUA_TNIL) return NULL;
  if (type != LUA_TSTRING)
    lnslab_raise(L, "%s: %s must be a string, got %s", where, key, lua_typename(L, type));
  return s;
}

/* Which fields each kind of op has. */
static const char *const *op_fields(const struct nft_op *op) {
  static const char *const table[] = {"op", "object", "family", "table", NULL};
  static const char *const chain_add[] = {"op", "object", "family", "table", "chain", "type",
                                          "hook", "priority", "policy", NULL};
  static const char *const chain[] = {"op", "object", "family", "table", "chain", NULL};
  static const char *const rule_add[] = {"op", "object", "family", "table", "chain",
                                         "exprs", "handle", NULL};
  static const char *const rule_delete[] = {"op", "object", "family", "table", "chain",
                                            "handle", NULL};
  static const char *const ruleset[] = {"op", "object", "family", NULL};
  switch (op->object) {
  case NFTO_TABLE: return table;
  case NFTO_CHAIN: return op->verb == NFTV_ADD ? chain_add : chain;
  case NFTO_RULE: return op->verb == NFTV_DELETE ? rule_delete : rule_add;
  default: return ruleset;
  }
}

static int verb_fits(enum nft_verb v, enum nft_object o) {
  switch (v) {
  case NFTV_ADD: return o != NFTO_RULESET;
  case NFTV_INSERT: return o == NFTO_RULE;
  case NFTV_DELETE: return o != NFTO_RULESET;
  default: return o != NFTO_RULE;
  }
}

/* op, object, family, table and chain: enough to name the op. */
static void check_op_head(lua_State *L, int t, const char *where, struct nft_op *op) {
  const char *verb = op_str(L, t, where, "op"), *object = op_str(L, t, where, "object");
  int v = verb ? name_index(verbs, 4, verb) : -1, o = object ? name_index(objects, 4, object) : -1;
  if (v < 0) lnslab_raise(L, "%s: op must be add, insert, delete or flush", where);
  if (o < 0) lnslab_raise(L, "%s: object must be table, chain, rule or ruleset", where);
  op->verb = (enum nft_verb)v;
  op->object = (enum nft_object)o;
  if (!verb_fits(op->verb, op->object)) lnslab_raise(L, "%s: cannot %s a %s", where, verb, object);
  const char *family = op_str(L, t, where, "family");
  if (!family && op->object == NFTO_RULESET) op->family = NFPROTO_UNSPEC;
  else if (family && (op->family = nft_family_value(family)) < 0)
    lnslab_raise(L, "%s: unknown family \"%s\" (ip, ip6, inet, bridge)", where, family);
  op->table = op_str(L, t, where, "table");
  op->chain = op_str(L, t, where, "chain");
}

/* After the check of the fields: a misspelled "chian" says so. */
static void check_names(lua_State *L, const char *where, const struct nft_op *op) {
  const char *what = objects[op->object];
  if (op->object != NFTO_RULESET && !op->table)
    lnslab_raise(L, "%s: %s %s needs a table", where, verbs[op->verb], what);
  if (op->object != NFTO_RULESET && op->object != NFTO_TABLE && !op->chain)
    lnslab_raise(L, "%s: %s %s needs a chain", where, verbs[op->verb], what);
}

/* A base chain has a hook, a priority and maybe a type and a policy; a
 * regular chain none of them. */
static void check_chain(lua_State *L, int t, const char *where, struct nft_op *op) {
  static const char *const types[] = {"filter", "nat", "route", NULL};
  const char *hook = op_str(L, t, where, "hook"), *type = op_str(L, t, where, "type");
  const char *policy = op_str(L, t, where, "policy");
  int has_prio = lua_getfield(L, t, "priority") != LUA_TNIL, isint = 0;
  if (!hook) {
    if (type || policy || has_prio)
      lnslab_raise(L, "%s: type, priority and policy are for a base chain (give a hook)", where);
    lua_pop(L, 1);
    return;
  }
  if ((op->hook = nft_hook_value(hook)) < 0)
    lnslab_raise(L, "%s: unknown hook \"%s\" (prerouting, input, forward, output, postrouting)",
                 where, hook);
  if (type && name_index(types, 3, type) < 0)
    lnslab_raise(L, "%s: unknown chain type \"%s\" (filter, nat, route)", where, type);
  op->type = type;
  lua_Integer prio = lua_type(L, -1) == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : 0;
  if (!has_prio) lnslab_raise(L, "%s: a base chain needs a priority", where);
  if (!isint || prio < INT32_MIN || prio > INT32_MAX)
    lnslab_raise(L, "%s: priority must be an integer, got %s", where,
                 lua_type(L, -1) == LUA_TSTRING
                     ? lua_pushfstring(L, "\"%s\"", lua_tostring(L, -1))
                     : luaL_tolstring(L, -1, NULL));
  op->priority = (int32_t)prio;
  lua_pop(L, 1);
  if (policy && strcmp(policy, "accept") && strcmp(policy, "drop"))
    lnslab_raise(L, "%s: policy must be accept or drop, got \"%s\"", where, policy);
  if (policy) op->policy = !strcmp(policy, "accept") ? NF_ACCEPT : NF_DROP;
}

static void check_rule(lua_State *L, int t, const char *where, int anchor,
                       struct nft_op *op) {
  int isint = 0;
  if (lua_getfield(L, t, "handle") != LUA_TNIL) {
    lua_Integer h = lua_type(L, -1) == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : 0;
    if (!isint || h <= 0)
      lnslab_raise(L, "%s: handle must be a positive integer, got %s", where,
                   luaL_tolstring(L, -1, NULL));
    op->handle = (uint64_t)h;
  } else if (op->verb == NFTV_DELETE) {
    lnslab_raise(L, "%s: delete rule needs a handle", where);
  }
  lua_pop(L, 1);
  if (op->verb == NFTV_DELETE) return;
  if (lua_getfield(L, t, "exprs") != LUA_TTABLE)
    lnslab_raise(L, "%s: exprs must be a list of expressions, got %s", where,
                 luaL_typename(L, -1));
  op->items = check_items(L, lua_gettop(L), op->family, anchor, &op->n_items);
  lua_pop(L, 1);
}

/* Op i of the list (a table at t) into op. */
static void check_op(lua_State *L, int t, size_t i, int anchor, struct nft_op *op) {
  char desc[3 * NFT_TEXT_MAX + 64];
  int top = lua_gettop(L);
  const char *where = lua_pushfstring(L, "nft: op %d", (int)i + 1);
  if (lua_type(L, t) != LUA_TTABLE)
    lnslab_raise(L, "%s: expected a table, got %s", where, luaL_typename(L, t));
  nft_op_init(op);
  check_op_head(L, t, where, op);
  nft_op_describe(op, desc, sizeof desc);
  where = lua_pushfstring(L, "nft: op %d (%s)", (int)i + 1, desc);
  lnslab_check_options(L, t, where, op_fields(op));
  check_names(L, where, op);
  if (op->object == NFTO_CHAIN && op->verb == NFTV_ADD) check_chain(L, t, where, op);
  if (op->object == NFTO_RULE) check_rule(L, t, where, anchor, op);
  lua_settop(L, top);
}

/* ns:nft_apply(ops): one batch; raises "nft: op N (add rule ...): why". */
static int m_nft_apply(lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  luaL_checktype(L, 2, LUA_TTABLE);
  size_t n = lua_rawlen(L, 2), failed;
  lua_newtable(L); /* anchor for the items of each rule */
  int anchor = lua_gettop(L);
  struct nft_op *ops = lua_newuserdatauv(L, (n ? n : 1) * sizeof *ops, 0);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 2, (lua_Integer)i + 1);
    check_op(L, lua_gettop(L), i, anchor, &ops[i]);
    lua_pop(L, 1);
  }
  struct err e;
  if (nft_apply(lnetns_nft(L, ns), ops, n, &failed, &e) == 0) return 0;
  if (failed >= n) return lnslab_raise(L, "nft: batch of %d ops: %s", (int)n, err_text(&e));
  char desc[3 * NFT_TEXT_MAX + 64];
  nft_op_describe(&ops[failed], desc, sizeof desc);
  return lnslab_raise(L, "nft: op %d (%s): %s", (int)failed + 1, desc, err_text(&e));
}

/* }====================================================== */

/*
** {======================================================
** Listing
** =======================================================
*/

static void push_addr(lua_State *L, const struct ipaddr *a) {
  char text[IPADDR_TEXT_MAX];
  ipaddr_format(a, 1, text, sizeof text);
  lua_pushstring(L, text);
}

static void push_proto(lua_State *L, unsigned proto) {
  switch (proto) {
  case IPPROTO_TCP: lua_pushliteral(L, "tcp"); break;
  case IPPROTO_UDP: lua_pushliteral(L, "udp"); break;
  case IPPROTO_ICMP: lua_pushliteral(L, "icmp"); break;
  case IPPROTO_ICMPV6: lua_pushliteral(L, "icmpv6"); break;
  default: lua_pushinteger(L, proto);
  }
}

static void push_ct_state(lua_State *L, unsigned bits) {
  int n = 0;
  lua_newtable(L);
  for (const struct nft_ct_state *s = nft_ct_states; s->name; s++)
    if (bits & s->bit) {
      lua_pushstring(L, s->name);
      lua_rawseti(L, -2, ++n);
    }
}

static void push_match_value(lua_State *L, const struct nft_item *it) {
  switch (it->key) {
  case NFTK_IIFNAME:
  case NFTK_OIFNAME: lua_pushstring(L, it->text); break;
  case NFTK_IP_SADDR:
  case NFTK_IP_DADDR:
  case NFTK_IP6_SADDR:
  case NFTK_IP6_DADDR: push_addr(L, &it->addr); break;
  case NFTK_META_L4PROTO:
  case NFTK_IP_PROTOCOL: push_proto(L, it->value); break;
  case NFTK_CT_STATE: push_ct_state(L, it->value); break;
  case NFTK_FIB_DADDR_TYPE: lua_pushstring(L, nft_fib_types[it->value]); break;
  default: lua_pushinteger(L, it->value);
  }
}

static void push_item(lua_State *L, const void *p) {
  const struct nft_item *it = p;
  lua_createtable(L, 1, 3);
  lua_pushstring(L, nft_item_names[it->kind]);
  lua_rawseti(L, -2, 1);
  switch (it->kind) {
  case NFTI_MATCH:
    lnslab_set_str(L, "key", nft_key_names[it->key]);
    lnslab_set_str(L, "op", it->neq ? "!=" : "==");
    push_match_value(L, it);
    lua_setfield(L, -2, "value");
    break;
  case NFTI_COUNTER:
    lnslab_set_int(L, "packets", (lua_Integer)it->packets);
    lnslab_set_int(L, "bytes", (lua_Integer)it->bytes);
    break;
  case NFTI_JUMP:
  case NFTI_GOTO: lnslab_set_str(L, "chain", it->text); break;
  case NFTI_SNAT:
  case NFTI_DNAT:
    lnslab_set_ip(L, "addr", &it->addr, 0);
    if (it->value) lnslab_set_int(L, "port", it->value);
    break;
  case NFTI_LOG:
    if (it->text[0]) lnslab_set_str(L, "prefix", it->text);
    break;
  case NFTI_UNKNOWN: lnslab_set_str(L, "name", it->text); break;
  default: break;
  }
}

static void push_table(lua_State *L, const void *p) {
  const struct nft_table_info *t = p;
  lua_createtable(L, 0, 3);
  lnslab_set_str(L, "family", nft_family_name(t->family));
  lnslab_set_str(L, "name", t->name);
  lnslab_set_int(L, "handle", (lua_Integer)t->handle);
}

static void push_chain(lua_State *L, const void *p) {
  const struct nft_chain_info *c = p;
  lua_createtable(L, 0, 8);
  lnslab_set_str(L, "family", nft_family_name(c->family));
  lnslab_set_str(L, "table", c->table);
  lnslab_set_str(L, "name", c->name);
  lnslab_set_int(L, "handle", (lua_Integer)c->handle);
  if (c->hook < 0) return;
  lnslab_set_str(L, "type", c->type);
  lnslab_set_str(L, "hook", nft_hook_name(c->hook));
  lnslab_set_int(L, "priority", c->priority);
  lnslab_set_str(L, "policy", c->policy == NF_DROP ? "drop" : "accept");
}

static void push_rule(lua_State *L, const void *p) {
  const struct nft_rule_info *r = p;
  lua_createtable(L, 0, 5);
  lnslab_set_str(L, "family", nft_family_name(r->family));
  lnslab_set_str(L, "table", r->table);
  lnslab_set_str(L, "chain", r->chain);
  lnslab_set_int(L, "handle", (lua_Integer)r->handle);
  lnslab_push_list(L, r->items, r->n_items, sizeof *r->items, push_item);
  lua_setfield(L, -2, "exprs");
}

/* The C ruleset, freed by __gc even when building the Lua tables runs
 * out of memory half way. */
#define LNFT_RULESET "nslab.nft_ruleset"

static int ruleset_gc(lua_State *L) {
  nft_ruleset_free(luaL_checkudata(L, 1, LNFT_RULESET));
  return 0;
}

/* ns:nft_list([family [, table]]) -> {tables=, chains=, rules=} */
static int m_nft_list(lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  const char *fname = luaL_optstring(L, 2, NULL), *table = luaL_optstring(L, 3, NULL);
  int family = NFPROTO_UNSPEC;
  struct err e;
  if (fname && (family = nft_family_value(fname)) < 0)
    return lnslab_raise(L, "nft list: unknown family \"%s\" (ip, ip6, inet, bridge)", fname);
  struct nl *nl = lnetns_nft(L, ns);
  struct nft_ruleset *rs = lua_newuserdatauv(L, sizeof *rs, 0);
  memset(rs, 0, sizeof *rs);
  luaL_setmetatable(L, LNFT_RULESET);
  if (nft_list(nl, family, table, rs, &e) < 0) return lnslab_fail(L, "nft list", NULL, &e);
  lua_createtable(L, 0, 3);
  lnslab_push_list(L, rs->tables, rs->n_tables, sizeof *rs->tables, push_table);
  lua_setfield(L, -2, "tables");
  lnslab_push_list(L, rs->chains, rs->n_chains, sizeof *rs->chains, push_chain);
  lua_setfield(L, -2, "chains");
  lnslab_push_list(L, rs->rules, rs->n_rules, sizeof *rs->rules, push_rule);
  lua_setfield(L, -2, "rules");
  nft_ruleset_free(rs);
  return 1;
}

/* }====================================================== */

static void lnft_register(lua_State *L, int module, int methods) {
  static const luaL_Reg method_list[] = {{"nft_apply", m_nft_apply},
                                         {"nft_list", m_nft_list},
                                         {NULL, NULL}};
  (void)module;
  lnslab_add(L, methods, method_list);
  luaL_newmetatable(L, LNFT_RULESET);
  lua_pushcfunction(L, ruleset_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}

const struct lbinding lnft_binding = {"nft", NULL, NULL, NULL, lnft_register};
