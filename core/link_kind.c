/*
 * link_kind.c - the table of link kinds (see link_kind.h): one line per
 * kind, its row in kind_NAME.c.
 */
#include "link_kind.h"

#include <string.h>

extern const struct link_kind kind_veth, kind_bridge, kind_tun, kind_tap,
    kind_macvlan, kind_vxlan, kind_vlan, kind_ipvlan;

const struct link_kind *const link_kinds[] = {
    &kind_veth,  &kind_bridge, &kind_tun,    &kind_tap, &kind_macvlan,
    &kind_vxlan, &kind_vlan,   &kind_ipvlan, NULL};

_Static_assert(sizeof link_kinds / sizeof *link_kinds <= LINK_KINDS_MAX + 1,
               "LINK_KINDS_MAX is too small");

const struct link_kind *link_kind_find (const char *name) {
  for (const struct link_kind *const *k = link_kinds; *k; k++)
    if (!strcmp((*k)->name, name)) return *k;
  return NULL;
}

/* The first row of a kernel kind is the one that reads it ("tun", not
 * "tap"). */
const struct link_kind *link_kind_of (const char *kernel_kind) {
  for (const struct link_kind *const *k = link_kinds; *k; k++)
    if (!strcmp((*k)->kernel, kernel_kind)) return *k;
  return NULL;
}

long *kind_long (const struct kind_field *f, void *data) {
  return (long *)((char *)data + f->offset);
}

const long *kind_clong (const struct kind_field *f, const void *data) {
  return (const long *)((const char *)data + f->offset);
}

void link_kind_init (const struct link_kind *k, void *data) {
  memset(data, 0, k->size);
  for (const struct kind_field *f = k->fields; f->name; f++)
    if (f->type != KF_ADDR && f->type != KF_TEXT) *kind_long(f, data) = -1;
}

int kind_choice (const struct kind_field *f, long value) {
  for (int i = 0; f->choices[i]; i++)
    if (f->values[i] == value) return i;
  return -1;
}

long kind_uint_attr (const struct nlattr *a, size_t width, long dflt) {
  if (!a || mnl_attr_get_payload_len(a) != width) return dflt;
  switch (width) {
  case 1: return mnl_attr_get_u8(a);
  case 2: return mnl_attr_get_u16(a);
  default: return (long)mnl_attr_get_u32(a);
  }
}

struct attr_table {
  const struct nlattr **tb;
  unsigned max;
};

static int table_attr (const struct nlattr *attr, void *data) {
  const struct attr_table *t = data;
  unsigned type = mnl_attr_get_type(attr);
  if (type <= t->max) t->tb[type] = attr;
  return MNL_CB_OK;
}

int kind_nested (const struct nlattr *nest, const struct nlattr **tb,
                 unsigned max) {
  struct attr_table t = {tb, max};
  memset(tb, 0, (max + 1) * sizeof *tb);
  return mnl_attr_parse_nested(nest, table_attr, &t);
}
