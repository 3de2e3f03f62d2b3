/*
 * nft.h - nf_tables tables, chains and rules over NETLINK_NETFILTER.
 *
 * A rule is an array of items, each a match ("ip saddr 172.17.0.0/16") or
 * a statement ("masquerade"), the same vocabulary nft's syntax has for
 * them. nft_apply turns items into the very bytecode nft generates for
 * the same text (so `nft list ruleset` prints the rule back as written)
 * and sends a list of changes as one batch, which the kernel applies
 * whole or not at all. nft_list reads the ruleset and turns the bytecode
 * back into items; what it cannot read becomes one NFTI_UNKNOWN item.
 *
 * Like nft, and so printed back the way nft prints it: a prefix loses
 * its host bits; "==" matches on the source and destination port of one
 * protocol become one load, read back source port first; the implicit
 * `meta l4proto tcp` in front of a tcp port match (in ip tables also
 * `ip protocol tcp`) is not read back as a match of its own, whether nft
 * or the items put it there. nft_rule_canonical does that round trip in
 * memory, and nft_rule_format prints the result, so the text nslab shows
 * for a rule is the kernel's rule as nft prints it.
 *
 * The words (keys, statements, states, route types, protocols) are rows
 * of one table, nft_vocab.c, that every part reads.
 */
#ifndef NSLAB_NFT_H
#define NSLAB_NFT_H

#include <stddef.h>
#include <net/if.h>
#include <stdint.h>

#include "err.h"
#include "ipaddr.h"
#include "nl.h"

#define NFT_TEXT_MAX 256 /* table, chain and set names (NFT_NAME_MAXLEN) */
#define NFT_NAME_MAX (NFT_TEXT_MAX - 1) /* their longest, without the NUL */
#define NFT_LOG_PREFIX_MAX 127 /* the kernel keeps 128 bytes with the NUL */

/* Families and hooks by their nft names; -1 when unknown. */
int nft_family_value (const char *name);  /* NFPROTO_* */
const char *nft_family_name (int family); /* "ip", ...; "unknown" */
int nft_hook_value (const char *name);    /* NF_INET_* */
const char *nft_hook_name (int hook);
/* A base chain's hook in its family: netdev numbers its own (ingress,
   egress) from 0, as NF_INET_* does. */
const char *nft_chain_hook_name (int family, int hook);

/* The words a table, chain or op takes, NULL-terminated. */
extern const char *const nft_family_names[]; /* ip ip6 inet bridge */
extern const char *const nft_hook_names[];   /* prerouting .. postrouting */
extern const char *const nft_chain_types[];  /* filter nat route */
extern const char *const nft_policies[];     /* accept drop */

/* Chain priorities by the names nft 1.0 gives them: in the ip, ip6 and
 * inet families, or in bridge; some only in one hook. */
struct nft_priority {
  const char *name;
  int32_t value;
  int bridge; /* the bridge family's, not the others' */
  int hook;   /* the only hook it is named in (NF_INET_*), or -1 */
};
extern const struct nft_priority nft_priorities[]; /* ends with {NULL} */

/*
** {======================================================
** The vocabulary: one row per match key and per statement
** (nft_vocab.c), read by the encoder, the decoder, the checker of the
** Lua binding, the printer, and exported to Lua for the rule parser
** =======================================================
*/

enum nft_item_kind {
  NFTI_MATCH,
  NFTI_COUNTER,
  NFTI_ACCEPT,
  NFTI_DROP,
  NFTI_REJECT,
  NFTI_RETURN,
  NFTI_JUMP,
  NFTI_GOTO,
  NFTI_MASQUERADE,
  NFTI_SNAT,
  NFTI_DNAT,
  NFTI_LOG,
  NFTI_UNKNOWN,
  NFTI_KIND_COUNT
};

/* What a match looks at, named as nft names it ("ip saddr"). */
enum nft_key {
  NFTK_IIFNAME,
  NFTK_OIFNAME,
  NFTK_IP_SADDR,
  NFTK_IP_DADDR,
  NFTK_IP6_SADDR,
  NFTK_IP6_DADDR,
  NFTK_META_L4PROTO,
  NFTK_IP_PROTOCOL,
  NFTK_TCP_SPORT,
  NFTK_TCP_DPORT,
  NFTK_UDP_SPORT,
  NFTK_UDP_DPORT,
  NFTK_CT_STATE,
  NFTK_FIB_DADDR_TYPE,
  NFTK_ICMP_TYPE,
  NFTK_ICMPV6_TYPE,
  NFTK_COUNT
};

/* The kind of value a key compares with: how it is checked, compared
 * and printed. */
enum nft_vtype {
  NFTT_IFNAME,    /* "eth0", or "eth*" for a prefix */
  NFTT_ADDR,      /* an address or prefix of the key's network protocol */
  NFTT_PROTO,     /* a protocol by name or number */
  NFTT_PORT,      /* 0..65535 */
  NFTT_CT_STATE,  /* a set of conntrack states */
  NFTT_FIB_TYPE,  /* a route type */
  NFTT_ICMP_TYPE, /* an ICMP or ICMPv6 type: 0..255 or its name (the key's
                     l4 says which table of names) */
  NFTT_COUNT
};
extern const char *const nft_vtype_names[NFTT_COUNT]; /* "ifname", ... */

/* Where a key's value is loaded from (into register 1). */
enum nft_load { NFTL_META, NFTL_PAYLOAD, NFTL_CT, NFTL_FIB };

struct nft_key_desc {
  const char *name; /* "ip saddr" */
  enum nft_vtype type;
  enum nft_load load;
  uint32_t meta;              /* NFTL_META: NFT_META_*; NFTL_CT: NFT_CT_* */
  uint32_t base, offset, len; /* NFTL_PAYLOAD: NFT_PAYLOAD_*_HEADER */
  int net;                    /* the network protocol it needs (NFPROTO_*), 0 */
  int l4;                     /* the transport protocol it needs, 0 */
  const char *doc;
};
extern const struct nft_key_desc nft_keys[NFTK_COUNT];

/* A statement and the fields its Lua table has besides its name. */
struct nft_stmt_desc {
  const char *name;          /* "dnat" */
  const char *const *fields; /* NULL-terminated */
  const char *syntax;        /* "dnat [ip|ip6] to ADDR[:PORT]" */
};
extern const struct nft_stmt_desc nft_stmts[NFTI_KIND_COUNT];

/* The key or statement of a name; -1 when there is none. */
int nft_key_value (const char *name);
int nft_stmt_value (const char *name);

/* Connection tracking states as `ct state` bits (NF_CT_STATE_*_BIT). */
struct nft_ct_state {
  const char *name;
  unsigned bit;
};
extern const struct nft_ct_state nft_ct_states[]; /* ends with {NULL, 0} */
int nft_ct_bit (const char *name);                /* its bit, 0 when unknown */
unsigned nft_ct_all (void);                       /* every known bit */

/* Numbers and the names nft gives them (icmp types, reject codes): each
 * table ends with {0, NULL}. The name of a number, NULL when it has none;
 * the number of a name, -1 when none has it. */
struct nft_name {
  unsigned value;
  const char *name;
};
extern const struct nft_name nft_icmp_types[], nft_icmpv6_types[];
const char *nft_name_of (const struct nft_name *names, unsigned value);
int nft_value_of (const struct nft_name *names, const char *name);
/* The names of a key of type NFTT_ICMP_TYPE. */
const struct nft_name *nft_icmp_type_names (enum nft_key key);

/* reject with ...: what the packet is answered with. NFT_WITH_DEFAULT is
 * plain `reject`, the family's port unreachable; the others say which
 * ICMP code (the item's value), or a TCP reset. */
enum nft_with {
  NFT_WITH_DEFAULT,
  NFT_WITH_TCP_RESET,
  NFT_WITH_ICMP,
  NFT_WITH_ICMPV6,
  NFT_WITH_ICMPX,
  NFT_WITH_COUNT
};
/* The word after "with" ("tcp", "icmp", ...) and the codes' names. */
extern const char *const nft_with_words[NFT_WITH_COUNT];
extern const struct nft_name *const nft_with_codes[NFT_WITH_COUNT];
extern const unsigned nft_with_max[NFT_WITH_COUNT]; /* the largest code */
/* "tcp reset", "icmp host-unreachable", "icmpv6 4" into buf. */
void nft_with_text (enum nft_with with, unsigned code, char *buf, size_t len);
/* Its inverse: 0, or -1 when text is none of them. "icmp type X" (the
 * older spelling nft still takes) is read too. */
int nft_with_parse (const char *text, enum nft_with *with, unsigned *code);

/* Route types `fib daddr type` compares with, as nft names them, indexed
   by their RTN_* number ("unspec" .. "prohibit"). */
#define NFT_FIB_TYPE_COUNT 9
extern const char *const nft_fib_types[NFT_FIB_TYPE_COUNT];

/* The bytes of an interface name a match can take and print back as it
 * is (len of them, without the '*' of a prefix): printable ASCII but
 * spaces, '*', '"', '\\', '/' and ':'. A log prefix: printable, no '"'. */
int nft_ifname_ok (const char *name, size_t len);
/* A table or chain name nslab makes, and reads and prints as it is (no
 * quoting): 1..NFT_NAME_MAX letters, digits, '_', '.', '/' and '-'. */
int nft_name_ok (const char *name, size_t len);
int nft_log_prefix_ok (const char *prefix, size_t len);

/* Protocols by name as nft knows them (/etc/protocols, and tcp, udp,
 * icmp, icmpv6 without it): the number, -1 when unknown; the name nft
 * prints for a number, into buf (the number itself when it has none). */
int nft_proto_value (const char *name);
const char *nft_proto_name (unsigned proto, char *buf, size_t len);

struct nft_item {
  enum nft_item_kind kind;
  /* NFTI_MATCH */
  enum nft_key key;
  int neq; /* "!=" rather than "==" */
  /* ip/ip6 addresses of a match (prefixlen -1: the whole address) and
     the target of snat/dnat */
  struct ipaddr addr;
  /* a protocol number, a port, ct state bits, a route type (RTN_*), an
     ICMP type; snat/dnat: the port, 0 when none; reject: the ICMP code */
  unsigned value;
  enum nft_with with; /* NFTI_REJECT: what it answers with (value: the code) */
  /* an interface name ("eth*" matches a prefix), the chain of jump and
     goto, the prefix of log ("" = none), the expression NFTI_UNKNOWN
     stands for */
  char text[NFT_TEXT_MAX];
  uint64_t packets, bytes; /* NFTI_COUNTER */
};

/* A rule as `nft list ruleset` prints it, in the family of its table (in
 * inet a NAT statement says ip or ip6); counters with their numbers when
 * with_counts, else as "counter". Returns the length of the whole text,
 * as snprintf does. */
size_t nft_rule_format (int family, const struct nft_item *items, size_t n,
                        int with_counts, char *buf, size_t len);

/* The bytecode nft_apply would send for items, as libnftnl prints it
 * ("[ meta load l4proto => reg 1 ] ..."), for tests and debugging;
 * returns the length needed, or -1 (e says why). */
int nft_rule_bytecode (int family, const struct nft_item *items, size_t n,
                       char *buf, size_t len, struct err *e);

/* The items as the kernel will hold them, so as nft will print them: the
 * bytecode nft_apply would send, decoded back, in memory. Fails where
 * nft_apply would before sending. *out is malloc'd. */
int nft_rule_canonical (int family, const struct nft_item *items, size_t n,
                        struct nft_item **out, size_t *n_out, struct err *e);

/* }====================================================== */

/*
** {======================================================
** Changes
** =======================================================
*/

enum nft_verb { NFTV_ADD, NFTV_INSERT, NFTV_DELETE, NFTV_FLUSH };
enum nft_object { NFTO_TABLE, NFTO_CHAIN, NFTO_RULE, NFTO_RULESET };

/* One change; strings are borrowed. */
struct nft_op {
  enum nft_verb verb;
  enum nft_object object;
  int family; /* NFPROTO_*; UNSPEC: flush every family */
  const char *table, *chain;
  /* add chain: a base chain when hook >= 0 */
  const char *type; /* "filter", "nat", "route" */
  int hook;
  int32_t priority;
  int policy; /* NF_ACCEPT, NF_DROP or -1 (the default) */
  /* add/insert rule */
  const struct nft_item *items;
  size_t n_items;
  uint64_t handle; /* delete rule: which; add/insert: next to
                      which (0: at the end / the start) */
};

void nft_op_init (struct nft_op *op);

/* The op as the words of its nft command: "add rule ip nat POSTROUTING". */
void nft_op_describe (const struct nft_op *op, char *buf, size_t len);

/* Send ops as one batch and read every answer. On failure *failed is the
 * index of the op the error is about (n: the batch as a whole) and
 * nothing was applied. Names are checked first: a table, chain or jump
 * target is 1..NFT_NAME_MAX bytes. An op the kernel would refuse for a reason
 * nft checks itself (an ip match in an ip6 table, a NAT port without a tcp or
 * udp match) fails here, before anything is sent; so does a fib match in
 * a bridge table, which the kernel would refuse only as "No such file or
 * directory". */
int nft_apply (struct nl *nl, const struct nft_op *ops, size_t n,
               size_t *failed, struct err *e);
/* The same; handles (n of them) gets the handle of each rule added or
 * inserted (the kernel's echo), 0 for the other ops and for every op of a
 * batch longer than NFT_ECHO_MAX (not asked: the echoes could overflow
 * the socket's receive queue). */
#define NFT_ECHO_MAX 128
int nft_apply_echo (struct nl *nl, const struct nft_op *ops, size_t n,
                    size_t *failed, uint64_t *handles, struct err *e);

/* }====================================================== */

/*
** {======================================================
** The ruleset as it is
** =======================================================
*/

struct nft_table_info {
  int family;
  char name[NFT_TEXT_MAX];
  uint64_t handle;
};

struct nft_chain_info {
  int family;
  char table[NFT_TEXT_MAX], name[NFT_TEXT_MAX];
  uint64_t handle;
  int hook; /* -1: a regular chain (no type, priority,
               policy) */
  char type[16];
  int32_t priority;
  int policy;
  char device[IF_NAMESIZE]; /* a netdev chain's device (the first); "" */
};

struct nft_rule_info {
  int family;
  char table[NFT_TEXT_MAX], chain[NFT_TEXT_MAX];
  uint64_t handle;
  struct nft_item *items; /* malloc'd */
  size_t n_items;
};

struct nft_ruleset {
  struct nft_table_info *tables;
  struct nft_chain_info *chains;
  struct nft_rule_info *rules;
  size_t n_tables, n_chains, n_rules;
};

/* Tables, chains and rules of one family (NFPROTO_UNSPEC: all) and, with
 * a table name (1..NFT_NAME_MAX bytes), of that table only; in the
 * kernel's order. */
int nft_list (struct nl *nl, int family, const char *table,
              struct nft_ruleset *rs, struct err *e);
void nft_ruleset_free (struct nft_ruleset *rs);

/* Read one rule's bytecode (an NFT_MSG_NEWRULE message) into items. */
int nft_rule_decode (const struct nlmsghdr *nlh, struct nft_rule_info *r,
                     struct err *e);

/* }====================================================== */

#endif
