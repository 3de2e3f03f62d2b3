/*
 * lua_nft.c - nf_tables: netns methods nft_apply and nft_list, and the
 * vocabulary and canonical text of rules for the Lua layer.
 *
 *   ns:nft_apply{ {op="add", object="table", family="ip", table="nat"},
 *                 {op="add", object="rule", family="ip", table="nat",
 *                  chain="POSTROUTING", exprs={
 *                    {"match", key="ip saddr", op="==", value="172.17.0.0/16"},
 *                    {"counter"}, {"masquerade"}}} }
 *   -- Docker's `-m addrtype --dst-type LOCAL`:
 *   {"match", key="fib daddr type", op="==", value="local"}
 *   ns:nft_list("ip", "nat") --> {tables=, chains=, rules=}
 *   core.nft_rule("ip", exprs) --> text, exprs as the kernel will hold them
 *   core.nft_vocabulary() --> {keys=, statements=, ct_states=, ...}
 *
 * A rule's exprs use nft's words (keys "ip saddr", "tcp dport", ...), the
 * structured form of the rule text, checked against the rows of
 * nft_vocab.c; nft_list gives them back in the same form. Every list of
 * ops is one batch: all of it or nothing. Every table read here is a
 * declared option set (lnft_binding.options).
 */
#include <limits.h>
#include <linux/netfilter.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lua_aux.h"
#include "lua_netns.h"
#include "nft.h"

/* The namespace's nf_tables socket, opened on first use while the thread
 * is briefly inside the namespace (see nl.h). */
static struct nl *lnetns_nft (lua_State *L, struct lnetns *ns) {
  return lnetns_socket(L, ns, &ns->nft, NETLINK_NETFILTER, "nft: netlink open");
}

/*
** {======================================================
** Declared option sets
** =======================================================
*/

#define RULE "nft rule"
/* More than any rule nft would write; it bounds what one rule costs. */
#define NFT_RULE_ITEMS_MAX 256
#define MAX_INT53 9007199254740992.0 /* 2^53: integers a double holds */

/* The names of the rows, for LOPT_CHOICE (filled by lnft_init). */
static const char *key_names[NFTK_COUNT + 1];
static const char *const verbs[] = {"add", "insert", "delete", "flush", NULL};
static const char *const objects[] = {"table", "chain", "rule", "ruleset",
                                      NULL};
static const char *const match_ops[] = {"==", "!=", NULL};

#define OPT_VERB                                                               \
  {                                                                            \
    "op", LOPT_CHOICE, 0, 0, verbs, NULL, LOPT_REQUIRED,                       \
        "add, insert, delete or flush"                                         \
  }
#define OPT_OBJECT                                                             \
  {                                                                            \
    "object", LOPT_CHOICE, 0, 0, objects, NULL, LOPT_REQUIRED,                 \
        "table, chain, rule or ruleset"                                        \
  }
#define OPT_FAMILY                                                             \
  {                                                                            \
    "family", LOPT_CHOICE, 0, 0, nft_family_names, NULL, 0,                    \
        "the table's family (default ip)"                                      \
  }
#define OPT_TABLE                                                              \
  {                                                                            \
    "table", LOPT_STR, 0, NFT_NAME_MAX, NULL, NULL, LOPT_REQUIRED,             \
        "table name"                                                           \
  }
#define OPT_CHAIN                                                              \
  {                                                                            \
    "chain", LOPT_STR, 0, NFT_NAME_MAX, NULL, NULL, LOPT_REQUIRED,             \
        "chain name"                                                           \
  }

/* The places of the fields in the specs below: every op spec starts with
 * op, object, family, table, chain; then its own. */
enum { F_OP, F_OBJECT, F_FAMILY, F_TABLE, F_CHAIN, F_OWN };
enum { F_TYPE = F_OWN, F_HOOK, F_PRIORITY, F_POLICY }; /* chain_add_spec */
enum { F_EXPRS = F_OWN, F_POSITION };                  /* rule_add_spec */
enum { F_HANDLE = F_OWN };                             /* rule_delete_spec */

static const struct lopt table_spec[] = {
    OPT_VERB, OPT_OBJECT, OPT_FAMILY, OPT_TABLE, {NULL}};
static const struct lopt chain_add_spec[] = {
    OPT_VERB,
    OPT_OBJECT,
    OPT_FAMILY,
    OPT_TABLE,
    OPT_CHAIN,
    {"type", LOPT_CHOICE, 0, 0, nft_chain_types, NULL, 0,
     "base chain type (default filter)"},
    {"hook", LOPT_CHOICE, 0, 0, nft_hook_names, NULL, 0, "a base chain's hook"},
    {"priority", LOPT_INT, INT32_MIN, INT32_MAX, NULL, NULL, 0,
     "a base chain's priority"},
    {"policy", LOPT_CHOICE, 0, 0, nft_policies, NULL, 0,
     "a base chain's policy"},
    {NULL}};
static const struct lopt chain_spec[] = {OPT_VERB,  OPT_OBJECT, OPT_FAMILY,
                                         OPT_TABLE, OPT_CHAIN,  {NULL}};
static const struct lopt rule_add_spec[] = {
    OPT_VERB,
    OPT_OBJECT,
    OPT_FAMILY,
    OPT_TABLE,
    OPT_CHAIN,
    {"exprs", LOPT_TABLE, 0, 0, NULL, NULL, LOPT_REQUIRED,
     "the rule: an array of {\"match\", key=, op=, value=} and statements"},
    {"handle", LOPT_INT, 1, MAX_INT53, NULL, NULL, 0,
     "add after / insert before this rule"},
    {NULL}};
static const struct lopt rule_delete_spec[] = {
    OPT_VERB,
    OPT_OBJECT,
    OPT_FAMILY,
    OPT_TABLE,
    OPT_CHAIN,
    {"handle", LOPT_INT, 1, MAX_INT53, NULL, NULL, LOPT_REQUIRED,
     "the rule's handle"},
    {NULL}};
static const struct lopt ruleset_spec[] = {OPT_VERB,
                                           OPT_OBJECT,
                                           {"family", LOPT_CHOICE, 0, 0,
                                            nft_family_names, NULL, 0,
                                            "only this family (default all)"},
                                           {NULL}};

/* The fields of each statement, as nft_stmts names them. */
static const struct lopt match_spec[] = {
    {"key", LOPT_CHOICE, 0, 0, key_names, NULL, LOPT_REQUIRED,
     "what the match looks at"},
    {"op", LOPT_CHOICE, 0, 0, match_ops, NULL, 0, "== (the default) or !="},
    {"value", LOPT_ANY, 0, 0, NULL, NULL, LOPT_REQUIRED,
     "what it is compared with, as the key's type says (core.nft_vocabulary())"},
    {NULL}};
static const struct lopt counter_spec[] = {
    {"packets", LOPT_INT, 0, MAX_INT53, NULL, NULL, 0, "start value"},
    {"bytes", LOPT_INT, 0, MAX_INT53, NULL, NULL, 0, "start value"},
    {NULL}};
static const struct lopt chain_target_spec[] = {{"chain", LOPT_STR, 0,
                                                 NFT_NAME_MAX, NULL, NULL,
                                                 LOPT_REQUIRED, "the chain"},
                                                {NULL}};
static const struct lopt nat_spec[] = {
    {"addr", LOPT_STR, 0, IPADDR_TEXT_MAX, NULL, NULL, LOPT_REQUIRED,
     "the address to map to"},
    {"port", LOPT_INT, 1, 65535, NULL, NULL, 0, "the port to map to"},
    {NULL}};
static const struct lopt log_spec[] = {{"prefix", LOPT_STR, 0,
                                        NFT_LOG_PREFIX_MAX, NULL, NULL,
                                        LOPT_EMPTY, "text before each line"},
                                       {NULL}};
static const struct lopt reject_spec[] = {
    {"with", LOPT_STR, 1, 40, NULL, NULL, 0,
     "what it answers with: \"tcp reset\", or icmp, icmpv6 or icmpx and a "
     "code (\"icmp host-unreachable\"); default: the family's port "
     "unreachable"},
    {NULL}};
static const struct lopt no_spec[] = {{NULL}};

/* By enum nft_item_kind. */
static const struct lopt *const stmt_specs[NFTI_KIND_COUNT] = {
    [NFTI_MATCH] = match_spec,
    [NFTI_COUNTER] = counter_spec,
    [NFTI_ACCEPT] = no_spec,
    [NFTI_DROP] = no_spec,
    [NFTI_REJECT] = reject_spec,
    [NFTI_RETURN] = no_spec,
    [NFTI_JUMP] = chain_target_spec,
    [NFTI_GOTO] = chain_target_spec,
    [NFTI_MASQUERADE] = no_spec,
    [NFTI_SNAT] = nat_spec,
    [NFTI_DNAT] = nat_spec,
    [NFTI_LOG] = log_spec,
    [NFTI_UNKNOWN] = NULL};

static const struct lopt_set option_sets[] = {
    {"nft table", table_spec},
    {"nft add chain", chain_add_spec},
    {"nft chain", chain_spec},
    {"nft add rule", rule_add_spec},
    {"nft delete rule", rule_delete_spec},
    {"nft ruleset", ruleset_spec},
    {"nft rule match", match_spec},
    {"nft rule counter", counter_spec},
    {"nft rule jump", chain_target_spec},
    {"nft rule goto", chain_target_spec},
    {"nft rule snat", nat_spec},
    {"nft rule dnat", nat_spec},
    {"nft rule log", log_spec},
    {"nft rule reject", reject_spec},
    {NULL, NULL}};

/* }====================================================== */

/*
** {======================================================
** Rule items: {"match", key=, op=, value=} and the statements
** =======================================================
*/

/* A value as an error shows it: a string in quotes (control bytes as
 * \n, \xHH; cut at 64 bytes), else as it is. */
static const char *token (lua_State *L, int idx) {
  size_t len;
  if (lua_type(L, idx) != LUA_TSTRING) return luaL_tolstring(L, idx, NULL);
  const char *s = lua_tolstring(L, idx, &len);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addchar(&b, '"');
  for (size_t i = 0; i < len && i < 64; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c == '\n')
      luaL_addstring(&b, "\\n");
    else if (c < ' ' || c == 0x7f) {
      snprintf(esc, sizeof esc, "\\x%02x", c);
      luaL_addstring(&b, esc);
    } else
      luaL_addchar(&b, (char)c);
  }
  luaL_addstring(&b, len > 64 ? "\"..." : "\"");
  luaL_pushresult(&b);
  return lua_tostring(L, -1);
}

/* The string value at v, or an error in the words of the key. */
static const char *value_str (lua_State *L, int v, const char *key,
                              const char *what) {
  size_t len;
  if (lua_type(L, v) != LUA_TSTRING)
    lnslab_raise(L, RULE " %s: value must be %s, got %s", key, what,
                 token(L, v));
  const char *s = lua_tolstring(L, v, &len);
  if (strlen(s) != len) lnslab_raise(L, RULE " %s: value has a NUL byte", key);
  return s;
}

/* iifname/oifname "eth0", or "eth*" for every name starting "eth": a
 * name the kernel could give a device. */
static void check_ifname (lua_State *L, int v, struct nft_item *it,
                          const char *key) {
  const char *name = value_str(L, v, key, "an interface name");
  size_t len = strlen(name);
  if (len && name[len - 1] == '*') len--;
  if (len == 0)
    lnslab_raise(L, RULE ": %s \"%s\": empty interface name", key, name);
  if (len > IFNAMSIZ - 1)
    lnslab_raise(L, RULE ": %s \"%s\": interface name longer than %d bytes",
                 key, name, IFNAMSIZ - 1);
  if (!nft_ifname_ok(name, len))
    lnslab_raise(
        L,
        RULE
        ": %s %s: not an interface name (printable, no '/', ':', '\"', '*' or spaces)",
        key, token(L, v));
  memcpy(it->text, name, strlen(name) + 1);
}

static void check_addr (lua_State *L, int v, struct nft_item *it,
                        const char *key) {
  struct err e;
  int family = nft_keys[it->key].net == NFPROTO_IPV6 ? AF_INET6 : AF_INET;
  const char *version = family == AF_INET ? "IPv4" : "IPv6";
  const char *text = value_str(L, v, key, "an address");
  if (ipaddr_parse(text, &it->addr, &e) < 0 || it->addr.family != family)
    lnslab_raise(L, RULE ": \"%s\" is not an %s %s", text, version,
                 strchr(text, '/') ? "prefix" : "address");
}

/* A protocol by the name nft knows (/etc/protocols) or a number. */
/* The string at v, NULL when it is none or has a NUL (which every
 * comparison of C strings would stop at: found by fuzzing). */
static const char *word_at (lua_State *L, int v) {
  size_t len;
  const char *s =
      lua_type(L, v) == LUA_TSTRING ? lua_tolstring(L, v, &len) : NULL;
  return s && strlen(s) == len ? s : NULL;
}

static unsigned check_proto (lua_State *L, int v, const char *key) {
  lua_Integer n;
  if (word_at(L, v)) {
    int p = nft_proto_value(lua_tostring(L, v));
    if (p >= 0) return (unsigned)p;
  } else if (lua_isinteger(L, v) && (n = lua_tointeger(L, v)) >= 0 &&
             n <= 255) {
    return (unsigned)n;
  }
  return (unsigned)lnslab_raise(
      L,
      RULE
      ": %s %s: not a protocol (tcp, udp, icmp, icmpv6, a name of /etc/protocols or 0..255)",
      key, token(L, v));
}

static unsigned check_port (lua_State *L, int v, const char *key) {
  lua_Integer n = lua_isinteger(L, v) ? lua_tointeger(L, v) : -1;
  if (n < 0 || n > 65535)
    lnslab_raise(L, RULE ": %s %s: not a port (0..65535)", key, token(L, v));
  return (unsigned)n;
}

static unsigned ct_bit (lua_State *L, int v) {
  int bit = word_at(L, v) ? nft_ct_bit(lua_tostring(L, v)) : 0;
  if (!bit)
    lnslab_raise(L,
                 RULE ": ct state %s: not a conntrack state "
                      "(new, established, related, invalid, untracked)",
                 token(L, v));
  return (unsigned)bit;
}

/* ct state: an array of states ("==" any of them) or one state; each
 * once. */
static unsigned check_ct_state (lua_State *L, int v, int neq) {
  unsigned bits = 0;
  lua_Integer n;
  if (lua_type(L, v) == LUA_TSTRING) return ct_bit(L, v);
  if (lua_type(L, v) != LUA_TTABLE || (n = (lua_Integer)lua_rawlen(L, v)) == 0)
    lnslab_raise(L, RULE ": ct state needs a list of states");
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, v, i);
    unsigned bit = ct_bit(L, lua_gettop(L));
    if (bits & bit)
      lnslab_raise(L, RULE ": ct state \"%s\" given twice",
                   lua_tostring(L, -1));
    bits |= bit;
    lua_pop(L, 1);
  }
  if (neq && n > 1) lnslab_raise(L, RULE ": ct state != takes one state");
  return bits;
}

/* fib daddr type: a route type by the name nft gives it. */
static unsigned check_fib_type (lua_State *L, int v, const char *key) {
  if (word_at(L, v))
    for (unsigned i = 0; i < NFT_FIB_TYPE_COUNT; i++)
      if (!strcmp(nft_fib_types[i], lua_tostring(L, v))) return i;
  return (unsigned)lnslab_raise(
      L,
      RULE
      ": %s %s: not an address type (unicast, local, broadcast, anycast, multicast, "
      "blackhole, unreachable, prohibit or unspec)",
      key, token(L, v));
}

/* icmp type, icmpv6 type: a name nft gives it, or 0..255. */
static unsigned check_icmp_type (lua_State *L, int v, enum nft_key key) {
  const struct nft_name *names = nft_icmp_type_names(key);
  lua_Integer n;
  int t;
  if (word_at(L, v) && (t = nft_value_of(names, lua_tostring(L, v))) >= 0)
    return (unsigned)t;
  if (lua_isinteger(L, v) && (n = lua_tointeger(L, v)) >= 0 && n <= 255)
    return (unsigned)n;
  return (unsigned)lnslab_raise(
      L, RULE ": %s %s: not a type (0..255, or %s, %s, ...)",
      nft_keys[key].name, token(L, v),
      nft_name_of(names, key == NFTK_ICMP_TYPE ? 8 : 128),
      nft_name_of(names, key == NFTK_ICMP_TYPE ? 3 : 1));
}

/* The value at v of a match, by the type of its key's row. */
static void check_value (lua_State *L, int v, struct nft_item *it) {
  const char *key = nft_keys[it->key].name;
  switch (nft_keys[it->key].type) {
  case NFTT_IFNAME: check_ifname(L, v, it, key); break;
  case NFTT_ADDR: check_addr(L, v, it, key); break;
  case NFTT_PROTO: it->value = check_proto(L, v, key); break;
  case NFTT_PORT: it->value = check_port(L, v, key); break;
  case NFTT_CT_STATE: it->value = check_ct_state(L, v, it->neq); break;
  case NFTT_FIB_TYPE: it->value = check_fib_type(L, v, key); break;
  case NFTT_ICMP_TYPE: it->value = check_icmp_type(L, v, it->key); break;
  default: lnslab_raise(L, RULE ": %s: no value type", key);
  }
}

/* snat/dnat to addr[:port]: an address of the table's family (either in
 * inet). */
static void check_nat (lua_State *L, int family, const struct lopt_val *f,
                       struct nft_item *it) {
  const char *kind = nft_stmts[it->kind].name;
  const char *want = family == NFPROTO_IPV6   ? "IPv6"
                     : family == NFPROTO_INET ? "IPv4 or IPv6"
                                              : "IPv4";
  struct err e;
  if (ipaddr_parse(f[0].s, &it->addr, &e) < 0 || it->addr.prefixlen >= 0 ||
      (family == NFPROTO_IPV6
           ? it->addr.family != AF_INET6
           : family != NFPROTO_INET && it->addr.family != AF_INET))
    lnslab_raise(L, RULE ": %s to \"%s\": not an %s address", kind, f[0].s,
                 want);
  it->value = f[1].set ? (unsigned)f[1].i : 0;
}

/* The fields of item t besides its name, in a new table on the stack
 * (what the declared spec of the statement is checked against). */
static int item_fields (lua_State *L, int t) {
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) == LUA_TNUMBER && lua_isinteger(L, -2) &&
        lua_tointeger(L, -2) == 1) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  return lua_gettop(L);
}

static void check_item (lua_State *L, int t, int family, struct nft_item *it) {
  struct lopt_val f[4]; /* f[i]: field i of the statement's spec */
  const char *kind = nft_stmts[it->kind].name;
  int fields = item_fields(L, t);
  lnslab_options(L, fields, RULE, kind, stmt_specs[it->kind], f);
  switch (it->kind) {
  case NFTI_MATCH:
    it->key = (enum nft_key)f[0].i;
    it->neq = f[1].set && f[1].i == 1;
    lua_getfield(L, fields, "value");
    check_value(L, lua_gettop(L), it);
    break;
  case NFTI_COUNTER:
    it->packets = f[0].set ? (uint64_t)f[0].i : 0;
    it->bytes = f[1].set ? (uint64_t)f[1].i : 0;
    break;
  case NFTI_JUMP:
  case NFTI_GOTO: memcpy(it->text, f[0].s, f[0].len + 1); break;
  case NFTI_SNAT:
  case NFTI_DNAT: check_nat(L, family, f, it); break;
  case NFTI_LOG:
    if (f[0].set && !nft_log_prefix_ok(f[0].s, f[0].len))
      lnslab_raise(L, RULE
                   " log: option 'prefix' must be printable text without '\"'");
    if (f[0].set) memcpy(it->text, f[0].s, f[0].len + 1);
    break;
  case NFTI_REJECT:
    if (f[0].set && nft_with_parse(f[0].s, &it->with, &it->value) < 0)
      lnslab_raise(L,
                   RULE " reject: with \"%s\": not \"tcp reset\", nor icmp, "
                        "icmpv6 or icmpx and a code (a name nft has, as in "
                        "\"icmp host-unreachable\", or a number: 0..%d, "
                        "icmpx 0..%d)",
                   f[0].s, (int)nft_with_max[NFT_WITH_ICMP],
                   (int)nft_with_max[NFT_WITH_ICMPX]);
    break;
  default: break;
  }
  lua_settop(L, t);
}

/* The table at idx is a list: only the keys 1..#t (a misspelled field
 * next to the list must not be silently ignored). */
static void check_list (lua_State *L, int idx, const char *op,
                        const char *what) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
        lua_tointeger(L, -1) > n)
      lnslab_raise(L, "%s: %s must be a list, got the key %s", op, what,
                   token(L, -1));
  }
}

/* The exprs array at idx as items, in a userdata left on the stack (the
 * items live as long as it does). */
static struct nft_item *check_items (lua_State *L, int idx, int family,
                                     size_t *n) {
  idx = lua_absindex(L, idx);
  check_list(L, idx, RULE, "a rule");
  *n = lua_rawlen(L, idx);
  if (*n > NFT_RULE_ITEMS_MAX)
    lnslab_raise(L, RULE ": at most %d expressions in a rule, got %d",
                 NFT_RULE_ITEMS_MAX, (int)(*n > INT_MAX ? INT_MAX : *n));
  struct nft_item *items =
      lua_newuserdatauv(L, (*n ? *n : 1) * sizeof *items, 0);
  int top = lua_gettop(L);
  memset(items, 0, (*n ? *n : 1) * sizeof *items);
  if (*n == 0) lnslab_raise(L, RULE ": a rule needs at least one expression");
  for (size_t i = 0; i < *n; i++) {
    struct nft_item *it = &items[i];
    it->addr.prefixlen = -1;
    if (lua_rawgeti(L, idx, (lua_Integer)i + 1) != LUA_TTABLE)
      lnslab_raise(L, RULE ": expression %d must be a table, got %s",
                   (int)i + 1, luaL_typename(L, -1));
    int t = lua_gettop(L);
    if (lua_rawgeti(L, t, 1) != LUA_TSTRING)
      lnslab_raise(
          L,
          RULE
          ": expression %d has no name (e.g. {\"match\", ...}, {\"accept\"})",
          (int)i + 1);
    int k = nft_stmt_value(lua_tostring(L, -1));
    if (k < 0 || k == NFTI_UNKNOWN)
      lnslab_raise(L, RULE ": unknown statement \"%s\"", lua_tostring(L, -1));
    lua_pop(L, 1);
    it->kind = (enum nft_item_kind)k;
    check_item(L, t, family, it);
    lua_settop(L, top);
  }
  return items;
}

/* }====================================================== */

/*
** {======================================================
** Ops
** =======================================================
*/

/* The declared spec of an op of this verb and object; NULL when the
 * verb does not fit the object. */
static const struct lopt *op_spec (enum nft_verb v, enum nft_object o) {
  switch (o) {
  case NFTO_TABLE: return v == NFTV_INSERT ? NULL : table_spec;
  case NFTO_CHAIN:
    return v == NFTV_INSERT ? NULL
           : v == NFTV_ADD  ? chain_add_spec
                            : chain_spec;
  case NFTO_RULE:
    return v == NFTV_FLUSH    ? NULL
           : v == NFTV_DELETE ? rule_delete_spec
                              : rule_add_spec;
  default: return v == NFTV_FLUSH ? ruleset_spec : NULL;
  }
}

/* A field of op t checked against its spec alone (op, object), before
 * the op's spec is known. */
static void head_field (lua_State *L, int t, const char *where,
                        const struct lopt *o, struct lopt_val *out) {
  lua_getfield(L, t, o->key);
  const char *label = lua_pushfstring(L, "option '%s'", o->key);
  lnslab_check_value(L, -2, "nft:", where, label, o, out);
  lua_pop(L, 2);
}

/* A base chain has a hook, a priority and maybe a type and a policy; a
 * regular chain none of them. f is read by chain_add_spec. */
static void check_chain (lua_State *L, const char *where,
                         const struct lopt_val *f, struct nft_op *op) {
  if (!f[F_HOOK].set) {
    if (f[F_TYPE].set || f[F_PRIORITY].set || f[F_POLICY].set)
      lnslab_raise(
          L,
          "nft: %s: type, priority and policy are for a base chain (give a hook)",
          where);
    return;
  }
  if (!f[F_PRIORITY].set)
    lnslab_raise(L, "nft: %s: a base chain needs a priority", where);
  op->hook = (int)f[F_HOOK].i;
  op->type = f[F_TYPE].set ? f[F_TYPE].s : NULL;
  op->priority = (int32_t)f[F_PRIORITY].i;
  if (f[F_POLICY].set) op->policy = f[F_POLICY].i == 0 ? NF_ACCEPT : NF_DROP;
}

/* The name at idx if it is one a table or chain can have, else NULL:
   only such names go into descriptions. */
static const char *name_for_desc (lua_State *L, int idx) {
  size_t len;
  const char *s =
      lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
  return s && strlen(s) == len && nft_name_ok(s, len) ? s : NULL;
}

/* Op i of the list (a table at t) into op; the items of a rule stay in
 * a userdata anchored in the table at anchor. */
static void check_op (lua_State *L, int t, size_t i, int anchor,
                      struct nft_op *op) {
  char desc[3 * NFT_TEXT_MAX + 64];
  struct lopt_val f[10], verb, object;
  int top = lua_gettop(L);
  const char *where = lua_pushfstring(L, "op %d", (int)i + 1);
  memset(f, 0, sizeof f);
  if (lua_type(L, t) != LUA_TTABLE)
    lnslab_raise(L, "nft: %s: expected a table, got %s", where,
                 luaL_typename(L, t));
  nft_op_init(op);
  head_field(L, t, where, &table_spec[F_OP], &verb);
  head_field(L, t, where, &table_spec[F_OBJECT], &object);
  op->verb = (enum nft_verb)verb.i;
  op->object = (enum nft_object)object.i;
  const struct lopt *spec = op_spec(op->verb, op->object);
  if (!spec)
    lnslab_raise(L, "nft: %s: cannot %s a %s", where, verb.s, object.s);
  /* Enough to name the op in every later message. */
  struct lopt_val family;
  head_field(L, t, where, &table_spec[F_FAMILY], &family);
  if (family.set)
    op->family = nft_family_value(family.s);
  else if (op->object == NFTO_RULESET)
    op->family = NFPROTO_UNSPEC;
  lua_getfield(L, t, "family");
  lua_getfield(L, t, "table");
  lua_getfield(L, t, "chain");
  op->table = name_for_desc(L, -2);
  op->chain = name_for_desc(L, -1);
  lua_pop(L, 3);
  if (op->object == NFTO_RULESET || op->object == NFTO_TABLE) op->chain = NULL;
  if (op->object == NFTO_RULESET) op->table = NULL;
  nft_op_describe(op, desc, sizeof desc);
  where = lua_pushfstring(L, "op %d (%s)", (int)i + 1, desc);
  lnslab_options(L, t, "nft:", where, spec, f);
  if (f[F_FAMILY].set) op->family = nft_family_value(f[F_FAMILY].s);
  op->table = f[F_TABLE].set ? f[F_TABLE].s : NULL;
  op->chain = op->object != NFTO_TABLE && f[F_CHAIN].set ? f[F_CHAIN].s : NULL;
  if (spec == chain_add_spec) check_chain(L, where, f, op);
  if (spec == rule_add_spec) {
    if (f[F_POSITION].set) op->handle = (uint64_t)f[F_POSITION].i;
    lua_getfield(L, t, "exprs");
    op->items = check_items(L, -1, op->family, &op->n_items);
    lua_rawseti(L, anchor, (lua_Integer)lua_rawlen(L, anchor) + 1);
  } else if (spec == rule_delete_spec) {
    op->handle = (uint64_t)f[F_HANDLE].i;
  }
  lua_settop(L, top);
}

/* ns:nft_apply(ops): one batch; raises "nft: op N (add rule ...): why".
 * Returns {[i] = handle} for the rules it added (ops[i]), as the kernel
 * echoed them (none for a batch of more than NFT_ECHO_MAX ops). */
static int m_nft_apply (lua_State *L) {
  static const struct lopt list = {"ops", LOPT_TABLE,    0,   0, NULL,
                                   NULL,  LOPT_REQUIRED, NULL};
  struct lopt_val v;
  lnslab_check_nargs(L, 2, "nft apply");
  struct lnetns *ns = lnetns_check(L, 1, "nft apply");
  lnslab_check_arg(L, 2, "nft apply", NULL, "ops", &list, &v);
  check_list(L, 2, "nft apply", "argument 1 (ops)");
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
  uint64_t *handles = lua_newuserdatauv(L, (n ? n : 1) * sizeof *handles, 0);
  if (nft_apply_echo(lnetns_nft(L, ns), ops, n, &failed, handles, &e) == 0) {
    lua_createtable(L, 0, 0);
    for (size_t i = 0; i < n && n <= NFT_ECHO_MAX; i++)
      if (handles[i]) {
        lua_pushinteger(L, (lua_Integer)handles[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
      }
    return 1;
  }
  if (failed >= n)
    return lnslab_raise(L, "nft: batch of %d ops: %s", (int)n, err_text(&e));
  /* names the op by what it has of them that prints as it is */
  char desc[3 * NFT_TEXT_MAX + 64];
  struct nft_op named = ops[failed];
  if (named.table && !nft_name_ok(named.table, strlen(named.table)))
    named.table = NULL;
  if (named.chain && !nft_name_ok(named.chain, strlen(named.chain)))
    named.chain = NULL;
  nft_op_describe(&named, desc, sizeof desc);
  return lnslab_raise(L, "nft: op %d (%s): %s", (int)failed + 1, desc,
                      err_text(&e));
}

/* }====================================================== */

/*
** {======================================================
** Listing, and rules as text
** =======================================================
*/

static void push_ct_state (lua_State *L, unsigned bits) {
  int n = 0;
  lua_newtable(L);
  for (const struct nft_ct_state *s = nft_ct_states; s->name; s++)
    if (bits & s->bit) {
      lua_pushstring(L, s->name);
      lua_rawseti(L, -2, ++n);
    }
}

/* The value of a match as check_value reads it. */
static void push_match_value (lua_State *L, const struct nft_item *it) {
  char text[IPADDR_TEXT_MAX];
  switch (nft_keys[it->key].type) {
  case NFTT_IFNAME: lua_pushstring(L, it->text); break;
  case NFTT_ADDR:
    ipaddr_format(&it->addr, 1, text, sizeof text);
    lua_pushstring(L, text);
    break;
  case NFTT_PROTO:
    nft_proto_name(it->value, text, sizeof text);
    if (nft_proto_value(text) == (int)it->value)
      lua_pushstring(L, text);
    else
      lua_pushinteger(L, it->value);
    break;
  case NFTT_CT_STATE: push_ct_state(L, it->value); break;
  case NFTT_FIB_TYPE: lua_pushstring(L, nft_fib_types[it->value]); break;
  case NFTT_ICMP_TYPE: {
    const char *name = nft_name_of(nft_icmp_type_names(it->key), it->value);
    if (name)
      lua_pushstring(L, name);
    else
      lua_pushinteger(L, it->value);
    break;
  }
  default: lua_pushinteger(L, it->value);
  }
}

static void push_item (lua_State *L, const void *p) {
  const struct nft_item *it = p;
  lua_createtable(L, 1, 3);
  lua_pushstring(L, nft_stmts[it->kind].name);
  lua_rawseti(L, -2, 1);
  switch (it->kind) {
  case NFTI_MATCH:
    lnslab_set_str(L, "key", nft_keys[it->key].name);
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
  case NFTI_REJECT:
    if (it->with != NFT_WITH_DEFAULT) {
      char with[48];
      nft_with_text(it->with, it->value, with, sizeof with);
      lnslab_set_str(L, "with", with);
    }
    break;
  case NFTI_UNKNOWN: lnslab_set_str(L, "name", it->text); break;
  default: break;
  }
}

/* The text of items, as nft prints it. */
static void push_text (lua_State *L, int family, const struct nft_item *items,
                       size_t n, int with_counts) {
  luaL_Buffer b;
  size_t len = nft_rule_format(family, items, n, with_counts, NULL, 0);
  char *buf = luaL_buffinitsize(L, &b, len + 1);
  nft_rule_format(family, items, n, with_counts, buf, len + 1);
  luaL_pushresultsize(&b, len);
}

static void push_table (lua_State *L, const void *p) {
  const struct nft_table_info *t = p;
  lua_createtable(L, 0, 3);
  lnslab_set_str(L, "family", nft_family_name(t->family));
  lnslab_set_str(L, "name", t->name);
  lnslab_set_int(L, "handle", (lua_Integer)t->handle);
}

static void push_chain (lua_State *L, const void *p) {
  const struct nft_chain_info *c = p;
  lua_createtable(L, 0, 8);
  lnslab_set_str(L, "family", nft_family_name(c->family));
  lnslab_set_str(L, "table", c->table);
  lnslab_set_str(L, "name", c->name);
  lnslab_set_int(L, "handle", (lua_Integer)c->handle);
  if (c->hook < 0) return;
  lnslab_set_str(L, "type", c->type);
  lnslab_set_str(L, "hook", nft_chain_hook_name(c->family, c->hook));
  lnslab_set_int(L, "priority", c->priority);
  lnslab_set_str(L, "policy", c->policy == NF_DROP ? "drop" : "accept");
  if (c->device[0]) lnslab_set_str(L, "device", c->device);
}

/* A rule: its exprs, and its text as `nft list ruleset` prints it (text,
 * counters with their numbers) and as written (plain). */
static void push_rule (lua_State *L, const void *p) {
  const struct nft_rule_info *r = p;
  lua_createtable(L, 0, 7);
  lnslab_set_str(L, "family", nft_family_name(r->family));
  lnslab_set_str(L, "table", r->table);
  lnslab_set_str(L, "chain", r->chain);
  lnslab_set_int(L, "handle", (lua_Integer)r->handle);
  lnslab_push_list(L, r->items, r->n_items, sizeof *r->items, push_item);
  lua_setfield(L, -2, "exprs");
  push_text(L, r->family, r->items, r->n_items, 1);
  lua_setfield(L, -2, "text");
  push_text(L, r->family, r->items, r->n_items, 0);
  lua_setfield(L, -2, "plain");
}

/* The C ruleset, freed by __gc even when building the Lua tables runs
 * out of memory half way. */
#define LNFT_RULESET "nslab.nft_ruleset"

static int ruleset_gc (lua_State *L) {
  nft_ruleset_free(luaL_checkudata(L, 1, LNFT_RULESET));
  return 0;
}

static const struct lopt family_arg = {"family",         LOPT_CHOICE, 0, 0,
                                       nft_family_names, NULL,        0, NULL};
static const struct lopt table_arg = {"table", LOPT_STR, 0, NFT_NAME_MAX,
                                      NULL,    NULL,     0, NULL};

/* ns:nft_list([family [, table]]) -> {tables=, chains=, rules=} */
static int m_nft_list (lua_State *L) {
  struct lopt_val fam, table;
  struct err e;
  lnslab_check_nargs(L, 3, "nft list");
  lua_settop(L, 3); /* absent arguments as nil, before labels are pushed */
  struct lnetns *ns = lnetns_check(L, 1, "nft list");
  lnslab_check_arg(L, 2, "nft list", NULL, "family", &family_arg, &fam);
  lnslab_check_arg(L, 3, "nft list", NULL, "table", &table_arg, &table);
  int family = fam.set ? nft_family_value(fam.s) : NFPROTO_UNSPEC;
  struct nl *nl = lnetns_nft(L, ns);
  struct nft_ruleset *rs = lua_newuserdatauv(L, sizeof *rs, 0);
  memset(rs, 0, sizeof *rs);
  luaL_setmetatable(L, LNFT_RULESET);
  if (nft_list(nl, family, table.set ? table.s : NULL, rs, &e) < 0)
    return lnslab_fail(L, "nft list", NULL, &e);
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

/* The canonical items, freed by __gc should Lua raise midway. */
static int items_gc (lua_State *L) {
  struct nft_item **box = lua_touserdata(L, 1);
  free(*box);
  *box = NULL;
  return 0;
}

/* core.nft_rule(family, exprs [, with_counts]) -> text, exprs: the rule
 * as the kernel will hold it and nft will print it (in memory, no
 * kernel); raises what nft_apply would before sending. */
static int l_nft_rule (lua_State *L) {
  static const struct lopt family_req = {
      "family", LOPT_CHOICE, 0, 0, nft_family_names, NULL, LOPT_REQUIRED, NULL};
  static const struct lopt exprs = {"exprs", LOPT_TABLE,    0,   0, NULL,
                                    NULL,    LOPT_REQUIRED, NULL};
  static const struct lopt counts = {"with_counts", LOPT_BOOL, 0, 0,
                                     NULL,          NULL,      0, NULL};
  struct lopt_val fam, ex, wc;
  struct err e;
  size_t n, m;
  lnslab_check_nargs(L, 3, RULE);
  lua_settop(L, 3); /* absent arguments as nil, before labels are pushed */
  lnslab_check_arg(L, 1, RULE, NULL, "family", &family_req, &fam);
  lnslab_check_arg(L, 2, RULE, NULL, "exprs", &exprs, &ex);
  lnslab_check_arg(L, 3, RULE, NULL, "with_counts", &counts, &wc);
  int family = nft_family_value(fam.s);
  struct nft_item *items = check_items(L, 2, family, &n);
  struct nft_item **box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = NULL;
  if (luaL_newmetatable(L, "nslab.nft_items")) {
    lua_pushcfunction(L, items_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  if (nft_rule_canonical(family, items, n, box, &m, &e) < 0)
    return lnslab_fail(L, RULE, NULL, &e);
  push_text(L, family, *box, m, wc.set && wc.b);
  lnslab_push_list(L, *box, m, sizeof **box, push_item);
  return 2;
}

/* core.nft_vocabulary(): the rows of nft_vocab.c, for the rule parser
 * and help(). */
static void push_names (lua_State *L, const char *const *names, size_t n) {
  lua_newtable(L);
  for (size_t i = 0; i < n && names[i]; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int l_nft_vocabulary (lua_State *L) {
  lnslab_check_nargs(L, 0, "nft vocabulary");
  lua_createtable(L, 0, 8);
  push_names(L, nft_family_names, SIZE_MAX);
  lua_setfield(L, -2, "families");
  push_names(L, nft_hook_names, SIZE_MAX);
  lua_setfield(L, -2, "hooks");
  push_names(L, nft_chain_types, SIZE_MAX);
  lua_setfield(L, -2, "chain_types");
  push_names(L, nft_policies, SIZE_MAX);
  lua_setfield(L, -2, "policies");
  push_names(L, nft_fib_types, NFT_FIB_TYPE_COUNT);
  lua_setfield(L, -2, "fib_types");
  lua_newtable(L);
  for (int i = 0; nft_ct_states[i].name; i++) {
    lua_pushstring(L, nft_ct_states[i].name);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "ct_states");
  lua_createtable(L, NFTK_COUNT, 0);
  for (int i = 0; i < NFTK_COUNT; i++) {
    lua_createtable(L, 0, 4);
    lnslab_set_str(L, "name", nft_keys[i].name);
    lnslab_set_str(L, "type", nft_vtype_names[nft_keys[i].type]);
    if (nft_keys[i].net)
      lnslab_set_str(L, "family", nft_family_name(nft_keys[i].net));
    lnslab_set_str(L, "doc", nft_keys[i].doc);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "keys");
  lua_createtable(L, NFTI_UNKNOWN, 0);
  for (int i = 0; i < NFTI_UNKNOWN; i++) {
    lua_createtable(L, 0, 3);
    lnslab_set_str(L, "name", nft_stmts[i].name);
    lnslab_set_str(L, "syntax", nft_stmts[i].syntax);
    push_names(L, nft_stmts[i].fields, SIZE_MAX);
    lua_setfield(L, -2, "fields");
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "statements");
  lua_newtable(L);
  for (int i = 0; nft_priorities[i].name; i++) {
    const struct nft_priority *p = &nft_priorities[i];
    lua_createtable(L, 0, 4);
    lnslab_set_str(L, "name", p->name);
    lnslab_set_int(L, "value", p->value);
    lnslab_set_str(L, "families", p->bridge ? "bridge" : "ip ip6 inet");
    if (p->hook >= 0) lnslab_set_str(L, "hook", nft_hook_name(p->hook));
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "priorities");
  return 1;
}

/* }====================================================== */

static void lnft_init (lua_State *L, int module, int methods) {
  (void)module;
  (void)methods;
  for (int i = 0; i < NFTK_COUNT; i++) key_names[i] = nft_keys[i].name;
  key_names[NFTK_COUNT] = NULL;
  luaL_newmetatable(L, LNFT_RULESET);
  lua_pushcfunction(L, ruleset_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}

static const luaL_Reg functions[] = {{"nft_rule", l_nft_rule},
                                     {"nft_vocabulary", l_nft_vocabulary},
                                     {NULL, NULL}};
static const luaL_Reg methods[] = {
    {"nft_apply", m_nft_apply}, {"nft_list", m_nft_list}, {NULL, NULL}};

const struct lbinding lnft_binding = {"nft", functions, methods, option_sets,
                                      lnft_init};
