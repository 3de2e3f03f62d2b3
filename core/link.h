/*
 * link.h - network devices over rtnetlink (RTM_NEWLINK/DELLINK/GETLINK).
 */
#ifndef NSLAB_LINK_H
#define NSLAB_LINK_H

#include <net/if.h>
#include <stddef.h>

#include "err.h"
#include "nl.h"

#define LINK_ADDR_MAX 32
/* Longest kind name (IFLA_INFO_KIND), and room for a kind's data. */
#define LINK_KIND_NAME_MAX 31
#define LINK_KIND_DATA 160
/* Below this MTU a device has no IPv6 (addrconf drops its inet6_dev). */
#define IPV6_MIN_MTU 1280

struct link_kind;

/* Bridge options (IFLA_BR_*). Times are in the kernel's clock_t unit,
 * centiseconds (USER_HZ 100): `ip link ... ageing_time 30000` is 300 s.
 * On input a field < 0 is not sent; on output every field is set. */
struct bridge_opts {
  long forward_delay, hello_time, max_age, ageing_time; /* centiseconds */
  long stp;            /* IFLA_BR_STP_STATE: 0 off, 1 kernel, 2 user */
  long priority;       /* 0..65535 */
  long mcast_snooping; /* 0 or 1 */
  unsigned char id[8]; /* read only: priority (2 bytes), MAC (6) */
  char id_text[32];    /* read only: id as brctl prints it */
};

void bridge_opts_init (struct bridge_opts *b);

/* A bridge port's side (IFLA_INFO_SLAVE_DATA, IFLA_BRPORT_*). */
struct bridge_port {
  unsigned char state; /* BR_STATE_* */
  unsigned priority, cost;
  int learning, flood; /* 0 or 1 */
};

struct link_info {
  int ifindex;
  char ifname[IFNAMSIZ];
  char kind[32];           /* "veth", "bridge", ...; "" for lo and others */
  unsigned flags;          /* IFF_* from ifinfomsg */
  unsigned char operstate; /* IF_OPER_* */
  unsigned mtu;
  unsigned min_mtu, max_mtu; /* the device's range; 0, 0 when not told */
  int addrgenmode;           /* IN6_ADDR_GEN_MODE_*, -1 without IPv6 */
  unsigned txqlen;
  unsigned char address[LINK_ADDR_MAX];
  unsigned char broadcast[LINK_ADDR_MAX];
  int addr_len;
  unsigned short type; /* ARPHRD_* */
  int master;          /* ifindex of the master, 0 for none */
  int link;            /* IFLA_LINK: the veth peer's ifindex, 0 none */
  int link_netnsid;    /* -1: the peer is in this namespace */
  char qdisc[32];
  int is_port; /* a bridge's port: port holds its side */
  struct bridge_port port;
  /* The row of kind (link_kind.h), NULL for a kind with none (lo,
   * dummy, ...); data is then its fields as the kernel reported them. */
  const struct link_kind *row;
  long data[LINK_KIND_DATA / sizeof(long)];
};

/* A device to create. netns_fd (when >= 0) creates it directly inside
 * that namespace. For kind "veth", peer names the other end and
 * peer_netns_fd places it the same way: both ends in one message, so a
 * pair is made whole or not at all. data holds the kind's options as its
 * row (link_kind.h) lays them out; NULL: the kernel's defaults. */
struct link_spec {
  const char *name;
  const char *kind; /* 1..LINK_KIND_NAME_MAX bytes */
  int netns_fd;
  const char *peer;
  int peer_netns_fd;
  unsigned mtu;     /* 0: kernel default */
  int link;         /* IFLA_LINK: lower device (macvlan), 0 none */
  const void *data; /* the kind's options, or NULL */
  int own_netns_fd; /* nl's namespace, for kinds made without
                       netlink (tun, tap); -1: the thread's */
  char *name_out;   /* IFNAMSIZ bytes, or NULL: the name the
                       kernel gave ("tap%d" -> "tap0") */
  int addrgen;      /* 1 + IN6_ADDR_GEN_MODE_*, 0: the kernel's. Set on
                       each end by a setlink right after the create, while
                       the device is down (kernel 6.18 refuses it inside a
                       creating RTM_NEWLINK: EAFNOSUPPORT); when that
                       fails the device is deleted again */
  int *made;        /* NULL, or 2 ints set to the new device's ifindex and its
                      peer's (IFLA_LINK) when the kernel told them (0: not) */
  struct nl *netns_nl, *peer_netns_nl; /* sockets already open in netns_fd
                                          and peer_netns_fd for that, or
                                          NULL: opened for the call */
};

/* What link_add would send, built in buf (MNL_SOCKET_BUFFER_SIZE bytes)
 * after every check; NULL with e set when a check fails. */
struct nlmsghdr *link_add_msg (struct nl *nl, void *buf,
                               const struct link_spec *spec, struct err *e);
/* An RTM_NEWLINK message into out (the reading side's parser); -1 when it
 * is malformed. */
int link_parse (const struct nlmsghdr *nlh, struct link_info *out);

/* What to change on an existing device; a field left at its "unchanged"
 * value (see link_change_init) is not sent. */
struct link_change {
  const char *name; /* rename, NULL: unchanged */
  int up;           /* 1 up, 0 down, -1 unchanged */
  unsigned mtu;     /* 0: unchanged */
  unsigned char address[LINK_ADDR_MAX];
  int addr_len;                     /* 0: unchanged */
  int netns_fd;                     /* move there, -1: unchanged */
  int master;                       /* ifindex, 0 = nomaster, -1 unchanged */
  const char *master_name;          /* the master by name (master is then -1) */
  int addrgenmode;                  /* IN6_ADDR_GEN_MODE_*, -1 unchanged */
  const struct bridge_opts *bridge; /* change a bridge's options */
};

void link_change_init (struct link_change *c);

/* An interface name the kernel will accept (1..15 bytes, no '/', ':' or
 * whitespace, not "." or ".."). */
int link_name_ok (const char *name, struct err *e);

/* Parse "aa:bb:cc:dd:ee:ff" (1..LINK_ADDR_MAX bytes) into out; returns
 * the length, or -1. */
int link_parse_hw (const char *text, unsigned char *out, struct err *e);
/* "aa:bb:..." into buf (LINK_ADDR_MAX * 3 bytes are always enough). */
void link_format_hw (const unsigned char *a, int len, char *buf, size_t size);

/* Devices are named by ifindex when > 0, else by name. */
int link_add (struct nl *nl, const struct link_spec *spec, struct err *e);
/* All of c or none of it (link_set.c): the kernel applies the parts of one
 * message in turn and undoes none when a later one fails, so what it
 * would refuse is refused first, with reads (a name taken here or in the
 * target namespace, an MTU outside the device's range, an address of the
 * wrong length or not unicast, a master that is not a bridge or a port
 * it would not take, a port of another bridge (EBUSY: the kernel would
 * silently move it), bridge options for a device that is no bridge,
 * addrgenmode with IPv6 off, a device whose namespace is fixed), and what
 * fails anyway is undone from what was read before. */
int link_set (struct nl *nl, int ifindex, const char *name,
              const struct link_change *c, struct err *e);
int link_del (struct nl *nl, int ifindex, const char *name, struct err *e);
int link_get (struct nl *nl, int ifindex, const char *name,
              struct link_info *out, struct err *e);
/* All devices, in ifindex order; *out is malloc'd. */
int link_list (struct nl *nl, struct link_info **out, size_t *count,
               struct err *e);

/* Helpers shared with the other rtnetlink files. */
int link_index (struct nl *nl, const char *name, struct err *e);

#endif
