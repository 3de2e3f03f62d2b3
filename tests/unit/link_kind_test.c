/*
 * link_kind_test.c - every row of the link-kind table: its builder's
 * RTM_NEWLINK, read by its parser, gives back every field it was given
 * (no kernel); and link_add_msg refuses bad names and kinds before it
 * builds anything.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../../core/ipaddr.h"
#include "../../core/link.h"
#include "../../core/link_kind.h"
#include "unit.h"

static struct ipaddr *addr_of (const struct kind_field *f, void *data) {
  return (struct ipaddr *)((char *)data + f->offset);
}

static struct link_spec spec_for (const struct link_kind *k, const void *data) {
  struct link_spec s = {0};
  s.name = "t0";
  s.kind = k->name;
  s.netns_fd = s.peer_netns_fd = s.own_netns_fd = -1;
  s.data = data;
  if (k->flags & LINK_KIND_NEEDS_LINK) s.link = 7;
  if (k->flags & LINK_KIND_PEER) s.peer = "t1";
  return s;
}

static int accepted (const struct link_kind *k, const void *data) {
  struct link_spec s = spec_for(k, data);
  struct err e;
  return !k->check || k->check(&s, data, &e) == 0;
}

/* Give field f a value the row's check accepts (with what is set so far);
 * returns 0 and leaves it unset when there is none. */
static int fill (const struct link_kind *k, const struct kind_field *f,
                 void *data, int family, int n) {
  if (f->type == KF_TEXT) return 0;
  if (f->type == KF_ADDR) {
    const char *v4[] = {"192.0.2.%d", "239.1.1.%d"},
               *v6[] = {"2001:db8::%d", "ff05::%d"};
    for (int i = 0; i < 2; i++) {
      char text[64];
      struct err e;
      snprintf(text, sizeof text, family == AF_INET ? v4[i] : v6[i], n);
      ipaddr_parse(text, addr_of(f, data), &e);
      if (accepted(k, data)) return 1;
    }
    memset(addr_of(f, data), 0, sizeof(struct ipaddr));
    return 0;
  }
  long candidates[] = {1000, (f->min + f->max) / 2, f->min + 1, f->max};
  for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
    long v = candidates[i];
    if (f->type == KF_BOOL) v = 1;
    if (f->type == KF_CHOICE) {
      int last = 0;
      while (f->choices[last + 1]) last++;
      v = f->values[last - (int)(i % (last + 1))];
    }
    if (v < f->min || v > f->max) continue;
    *kind_long(f, data) = v;
    if (accepted(k, data)) return 1;
  }
  *kind_long(f, data) = -1;
  return 0;
}

static int same_field (const struct kind_field *f, const void *a,
                       const void *b) {
  if (f->type == KF_ADDR) {
    const struct ipaddr *x = (const void *)((const char *)a + f->offset);
    const struct ipaddr *y = (const void *)((const char *)b + f->offset);
    return x->family == y->family && !memcmp(x->bytes, y->bytes, ipaddr_len(x));
  }
  return *kind_clong(f, a) == *kind_clong(f, b);
}

/* Build with data, parse, compare every field that was set. */
static void round_trip (const struct link_kind *k, const void *data,
                        const char *what) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nl nl = {0};
  struct link_info info;
  struct err e;
  struct link_spec s = spec_for(k, data);
  struct nlmsghdr *nlh = link_add_msg(&nl, buf, &s, &e);
  UNIT_CHECK(nlh != NULL, "%s %s: built (%s)", k->name, what,
             nlh ? "ok" : e.reason);
  if (!nlh) return;
  UNIT_CHECK(link_parse(nlh, &info) == 0, "%s %s: parsed", k->name, what);
  UNIT_STREQ(info.ifname, "t0", "%s %s: name", k->name, what);
  UNIT_STREQ(info.kind, k->kernel, "%s %s: kind", k->name, what);
  UNIT_CHECK(info.row && info.row->fields == k->fields,
             "%s %s: read by its row", k->name, what);
  if (k->flags & LINK_KIND_NEEDS_LINK)
    UNIT_CHECK(info.link == 7, "%s %s: link", k->name, what);
  UNIT_CHECK((link_info_bridge(&info) != NULL) ==
                 (k == link_kind_find("bridge")),
             "%s %s: a bridge's options only for a bridge", k->name, what);
  for (const struct kind_field *f = k->fields; f->name; f++) {
    int set = f->type == KF_ADDR
                  ? addr_of(f, (void *)data)->family != 0
                  : f->type != KF_TEXT && *kind_clong(f, data) >= 0;
    if (set)
      UNIT_CHECK(same_field(f, data, info.data), "%s %s: field %s", k->name,
                 what, f->name);
  }
}

/* Every field unset but the required ones. */
static void minimal (const struct link_kind *k, void *data) {
  link_kind_init(k, data);
  for (const struct kind_field *f = k->fields; f->name; f++)
    if (f->flags & KF_REQUIRED) fill(k, f, data, AF_INET, 1);
}

static void test_row (const struct link_kind *k) {
  long data[LINK_KIND_DATA / sizeof(long)], rest[LINK_KIND_DATA / sizeof(long)];
  UNIT_CHECK(k->size <= LINK_KIND_DATA, "%s: data fits", k->name);
  int nfields = 0;
  while (k->fields[nfields].name) nfields++;
  UNIT_CHECK(nfields <= KIND_FIELDS_MAX, "%s: %d fields", k->name, nfields);
  for (int family = AF_INET; family;
       family = family == AF_INET ? AF_INET6 : 0) {
    /* every field that fits together, then the ones that did not */
    int left[KIND_FIELDS_MAX] = {0}, n = 0;
    link_kind_init(k, data);
    for (int i = 0; i < nfields; i++)
      if (!fill(k, &k->fields[i], data, family, i + 1) &&
          k->fields[i].type != KF_TEXT)
        left[n++] = i;
    round_trip(k, data, family == AF_INET ? "all (IPv4)" : "all (IPv6)");
    if (n) {
      minimal(k, rest);
      for (int i = 0; i < n; i++)
        fill(k, &k->fields[left[i]], rest, family, 50 + i);
      round_trip(k, rest,
                 family == AF_INET ? "the rest (IPv4)" : "the rest (IPv6)");
    }
  }
  minimal(k, data);
  round_trip(k, data, "defaults");
}

static void refused (const char *name, const char *kind, const char *peer,
                     int link, const char *why) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nl nl = {0};
  struct err e;
  struct link_spec s = {0};
  s.name = name;
  s.kind = kind;
  s.peer = peer;
  s.link = link;
  s.netns_fd = s.peer_netns_fd = s.own_netns_fd = -1;
  struct nlmsghdr *nlh = link_add_msg(&nl, buf, &s, &e);
  UNIT_CHECK(nlh == NULL, "refused: %s", why);
  if (!nlh)
    UNIT_CHECK(e.code == EINVAL, "refused with EINVAL: %s (%s)", why, e.reason);
}

int main (void) {
  int rows = 0;
  for (const struct link_kind *const *k = link_kinds; *k; k++, rows++)
    test_row(*k);
  UNIT_CHECK(rows >= 6 && rows <= LINK_KINDS_MAX, "%d rows", rows);
  UNIT_CHECK(link_kind_find("macvlan") && !link_kind_find("dummy"),
             "lookup by name");
  UNIT_CHECK(link_kind_of("tun") == link_kind_find("tun"),
             "tun devices are read by the tun row");
  char big[4097];
  memset(big, 'k', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  refused("t0", big, NULL, 0, "a 4 KB kind");
  big[32] = '\0';
  refused("t0", big, NULL, 0, "a kind of 32 bytes");
  refused("t0", "", NULL, 0, "an empty kind");
  refused(big, "veth", NULL, 0, "a name of 32 bytes");
  refused("t0", "veth", big, 0, "a peer of 32 bytes");
  refused("t0", "bridge", "t1", 0, "a peer for a bridge");
  refused("t0", "macvlan", NULL, 0, "a macvlan without a parent");
  refused("t0", "vxlan", NULL, 0, "a vxlan without an id");
  refused("t0", "bridge", NULL, 3, "a parent for a bridge");
  return UNIT_END();
}
