/*
 * tun.h - tun and tap devices, as `ip tuntap add` makes them.
 *
 * The kernel creates a tun device in the network namespace of the process
 * that opened /dev/net/tun, so the clone device is opened while the thread
 * is briefly inside the target namespace; the ioctls that follow need no
 * namespace. A persistent device outlives the fd: it stays until deleted
 * (link_del, `ip link del`, works: the kernel gives every tun device the
 * generic rtnetlink dellink) or its namespace goes.
 *
 * The kernel reports such a device as a link of kind "tun" whose
 * IFLA_INFO_DATA holds IFLA_TUN_TYPE (IFF_TUN or IFF_TAP), IFLA_TUN_PI,
 * IFLA_TUN_PERSIST, ...: the rows "tun" and "tap" of link_kind.h read it
 * (kind_tun.c), and link_add makes either through tun_add.
 */
#ifndef NSLAB_TUN_H
#define NSLAB_TUN_H

#include <net/if.h>
#include <stddef.h>

#include "err.h"
#include "nl.h"

enum tun_mode { TUN_MODE_TUN = 1, TUN_MODE_TAP = 2 }; /* IFF_TUN, IFF_TAP */

struct tun_spec {
  const char *name; /* may hold one %d, the kernel picks the number */
  enum tun_mode mode;
  int pi; /* packet information header (ip's "pi") */
  int vnet_hdr;
  int multi_queue;
  long owner, group; /* uid, gid allowed to attach; -1: anyone */
};

/* A tun/tap device's data, as its rows (kind_tun.c) lay it out: every
 * field -1 when unset. On output every field is set, except owner and
 * group when the device has none, and the queue counts unless
 * multi_queue (as `ip -d` prints them). */
struct tun_opts {
  long type;                               /* TUN_MODE_TUN or TUN_MODE_TAP */
  long pi, vnet_hdr, multi_queue, persist; /* 0 or 1 */
  long owner, group;                       /* uid, gid */
  long num_queues, num_disabled_queues;
};

/* One device of tun_list. */
struct tun_info {
  int ifindex;
  char ifname[IFNAMSIZ];
  struct tun_opts o;
};

void tun_spec_init (struct tun_spec *s);

/* "tun" / "tap" to a mode and back; 0 / NULL for anything else. */
enum tun_mode tun_mode_parse (const char *text);
const char *tun_mode_name (enum tun_mode mode);

/* Create a persistent device inside netns_fd (-1: the thread's own), with
 * the name the kernel gave it copied into name_out (IFNAMSIZ bytes, may be
 * NULL). A name in use fails with EEXIST, whatever device holds it. */
int tun_add (int netns_fd, const struct tun_spec *s, char *name_out,
             struct err *e);

/* The tun/tap devices of nl's namespace, in ifindex order (`ip tuntap
 * show`); *out is malloc'd. */
int tun_list (struct nl *nl, struct tun_info **out, size_t *count,
              struct err *e);

#endif
