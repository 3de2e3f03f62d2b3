/*
 * link_kind.h - link kinds as rows, in the manner of sd-netlink's typed
 * tables: one row per kind (veth, bridge, macvlan, ...) says how its
 * IFLA_INFO_DATA is built and parsed, which checks come before sending,
 * and which fields its data has. link.c builds and parses any kind through
 * its row; the Lua side (lua_kind.c) makes its option specs and its tables
 * from the same fields. Adding a kind is one row in link_kind.c plus its
 * own kind_NAME.c; a kind with no data of its own (dummy) needs no row.
 *
 * To add a kind (kind_vlan.c is a small example): write kind_NAME.c with
 * its struct, its fields (offsetof), put and parse, and a const struct
 * link_kind kind_NAME; list &kind_NAME in link_kinds[] (link_kind.c).
 * link_add{kind = "NAME", NAME = {...}} then takes its options, link
 * tables show its data, the unit test round-trips it and the fuzz
 * harness parses it; nslab.kinds gives it a method and trace words.
 *
 * A kind's data is a struct of its own, private to its file, held in the
 * LINK_KIND_DATA bytes of link_spec.data (in) and link_info.data (out);
 * fields name its members by offset. A scalar field is a long, -1 when
 * unset (never sent; a parser sets what the kernel reported).
 */
#ifndef NSLAB_LINK_KIND_H
#define NSLAB_LINK_KIND_H

#include <libmnl/libmnl.h>
#include <stddef.h>

#include "err.h"
#include "link.h"

/* What a field is, in the kind's struct and to the user. */
enum kind_field_type {
  KF_BOOL,    /* long: 0 or 1 (any non-zero reads as true) */
  KF_UINT,    /* long: min..max */
  KF_SECONDS, /* long: centiseconds (the kernel's clock_t), seconds to users */
  KF_CHOICE,  /* long: one of values[], named by choices[] */
  KF_ADDR,    /* struct ipaddr: family 0 when unset */
  KF_DEV,     /* long: an ifindex (users may give a name, looked up first) */
  KF_TEXT,    /* char[KF_TEXT_MAX], read only */
};

#define KF_TEXT_MAX 32

#define KF_READONLY 1u /* reported by the kernel, not an option */
#define KF_REQUIRED 2u /* an option the kind cannot do without */
#define KF_IP_INT 4u   /* a KF_BOOL that `ip -j -d` prints as 0/1 (or 2) */
#define KF_IP_6 8u     /* a KF_ADDR that `ip -j -d` names NAME6 when IPv6 */

struct kind_field {
  const char *name; /* option name, and the field of nslab's table */
  const char *ip;   /* its name in `ip -j -d link`'s info_data, or NULL */
  enum kind_field_type type;
  size_t offset;              /* in the kind's struct */
  long min, max;              /* KF_UINT; KF_SECONDS in centiseconds */
  const char *const *choices; /* KF_CHOICE: names, NULL-terminated ... */
  const long *values;         /* ... and the kernel's value of each */
  unsigned flags; /* KF_READONLY | KF_REQUIRED | KF_IP_INT | KF_IP_6 */
  const char *doc;
};

/* Row flags: takes a peer (veth); needs a lower device, IFLA_LINK
 * (macvlan); gets one tx/rx queue (see link.c). */
#define LINK_KIND_PEER 1u
#define LINK_KIND_NEEDS_LINK 2u
#define LINK_KIND_ONE_QUEUE 4u

struct link_kind {
  const char *name;   /* what users give as kind */
  const char *kernel; /* IFLA_INFO_KIND ("tun" for the tap row) */
  size_t size;        /* of the kind's struct (<= LINK_KIND_DATA) */
  const struct kind_field *fields; /* ended by {NULL} */
  unsigned flags;                  /* LINK_KIND_* */
  const char *doc;
  /* Before any message is built: what the kernel would refuse without
   * words, or only halfway. data is never NULL. Or NULL. */
  int (*check)(const struct link_spec *s, const void *data, struct err *e);
  /* IFLA_INFO_DATA (and its nest) inside IFLA_LINKINFO; NULL: none. */
  void (*put)(struct nlmsghdr *nlh, const struct link_spec *s,
              const void *data);
  /* The kernel's IFLA_INFO_DATA into data (already initialised). */
  void (*parse)(const struct nlattr *nest, void *data);
  /* IFLA_INFO_SLAVE_DATA of a port whose master is of this kind. */
  void (*parse_port)(const struct nlattr *nest, struct link_info *info);
  /* After the kernel refused s with no words of its own (e->reason
   * empty): say why when the row can find out, reading over nl. Or
   * NULL. Returns -1. */
  int (*explain)(struct nl *nl, const struct link_spec *s, struct err *e);
  /* Devices the kernel does not make over rtnetlink (tun, tap): made
   * here instead of sending RTM_NEWLINK. NULL for the others. */
  int (*create)(const struct link_spec *s, const void *data, struct err *e);
};

/* Every row, NULL-terminated (link_kind.c). */
extern const struct link_kind *const link_kinds[];

#define LINK_KINDS_MAX 16  /* rows (link_kind.c checks it) */
#define KIND_FIELDS_MAX 16 /* fields of one row */

/* The row users name kind (NULL: none, e.g. "dummy"). */
const struct link_kind *link_kind_find (const char *name);
/* The row of what the kernel reports as IFLA_INFO_KIND (NULL: none). */
const struct link_kind *link_kind_of (const char *kernel_kind);

/* Every field unset (see above). */
void link_kind_init (const struct link_kind *k, void *data);

/* A field's value in data. */
long *kind_long (const struct kind_field *f, void *data);
const long *kind_clong (const struct kind_field *f, const void *data);
/* The index of value in f->choices, -1 if none. */
int kind_choice (const struct kind_field *f, long value);

/* The value of an attribute of exactly width (1, 2 or 4) bytes, else
 * dflt. */
long kind_uint_attr (const struct nlattr *a, size_t width, long dflt);
/* Collect the attributes of nest by type (tb[0..max]), unchecked. */
int kind_nested (const struct nlattr *nest, const struct nlattr **tb,
                 unsigned max);

/* A bridge's options as link_get read them; NULL for any other kind. */
const struct bridge_opts *link_info_bridge (const struct link_info *l);

/* Shared with link_set: a bridge's IFLA_INFO_DATA and its pre-checks. */
void put_bridge_data (struct nlmsghdr *nlh, const struct bridge_opts *b);
int bridge_opts_ok (const struct bridge_opts *b, struct err *e);

#endif
