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

struct link_info {
  int ifindex;
  char ifname[IFNAMSIZ];
  char kind[32];             /* "veth", "bridge", ...; "" for lo and others */
  unsigned flags;            /* IFF_* from ifinfomsg */
  unsigned char operstate;   /* IF_OPER_* */
  unsigned mtu;
  unsigned txqlen;
  unsigned char address[LINK_ADDR_MAX];
  unsigned char broadcast[LINK_ADDR_MAX];
  int addr_len;
  unsigned short type;       /* ARPHRD_* */
  int master;                /* ifindex of the master, 0 for none */
  int link;                  /* IFLA_LINK: the veth peer's ifindex, 0 none */
  int link_netnsid;          /* -1: the peer is in this namespace */
  char qdisc[32];
};

/* A device to create. netns_fd (when >= 0) creates it directly inside
 * that namespace. For kind "veth", peer names the other end and
 * peer_netns_fd places it the same way: both ends in one message, so a
 * pair is made whole or not at all. */
struct link_spec {
  const char *name;
  const char *kind;
  int netns_fd;
  const char *peer;
  int peer_netns_fd;
  unsigned mtu;              /* 0: kernel default */
};

/* What to change on an existing device; a field left at its "unchanged"
 * value (see link_change_init) is not sent. */
struct link_change {
  const char *name;          /* rename, NULL: unchanged */
  int up;                    /* 1 up, 0 down, -1 unchanged */
  unsigned mtu;              /* 0: unchanged */
  unsigned char address[LINK_ADDR_MAX];
  int addr_len;              /* 0: unchanged */
  int netns_fd;              /* move there, -1: unchanged */
  int master;                /* ifindex, 0 = nomaster, -1 unchanged */
  int addrgenmode;           /* IN6_ADDR_GEN_MODE_*, -1 unchanged */
};

void link_change_init(struct link_change *c);

/* An interface name the kernel will accept (1..15 bytes, no '/', ':' or
 * whitespace, not "." or ".."). */
int link_name_ok(const char *name, struct err *e);

/* Devices are named by ifindex when > 0, else by name. */
int link_add(struct nl *nl, const struct link_spec *spec, struct err *e);
int link_set(struct nl *nl, int ifindex, const char *name,
             const struct link_change *c, struct err *e);
int link_del(struct nl *nl, int ifindex, const char *name, struct err *e);
int link_get(struct nl *nl, int ifindex, const char *name,
             struct link_info *out, struct err *e);
/* All devices, in ifindex order; *out is malloc'd. */
int link_list(struct nl *nl, struct link_info **out, size_t *count,
              struct err *e);

/* Helpers shared with the other rtnetlink files. */
int link_index(struct nl *nl, const char *name, struct err *e);

#endif
