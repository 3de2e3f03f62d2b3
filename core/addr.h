/*
 * addr.h - interface addresses over rtnetlink (RTM_NEWADDR/DELADDR/GETADDR).
 */
#ifndef NSLAB_ADDR_H
#define NSLAB_ADDR_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "ipaddr.h"
#include "nl.h"

struct addr_info {
  int ifindex;
  struct ipaddr local;     /* IFA_LOCAL (IFA_ADDRESS for IPv6) + prefix */
  struct ipaddr peer;      /* IFA_ADDRESS when it differs, family 0 if not */
  struct ipaddr broadcast; /* family 0 when none */
  unsigned char scope;     /* RT_SCOPE_* */
  unsigned flags;          /* IFA_F_* */
  char label[IFNAMSIZ];
  unsigned valid_lft, preferred_lft; /* 0xffffffff: forever */
};

/* prefix must carry a prefix length. broadcast: NULL for none (as `ip
 * addr add` without `brd`). flags: IFA_F_* such as IFA_F_NODAD. */
int addr_add (struct nl *nl, int ifindex, const struct ipaddr *prefix,
              const struct ipaddr *broadcast, unsigned flags, struct err *e);
int addr_del (struct nl *nl, int ifindex, const struct ipaddr *prefix,
              struct err *e);
/* family: AF_UNSPEC for both; ifindex 0 for every device, else the
 * kernel sends only that device's (strict checking). */
int addr_list (struct nl *nl, int family, int ifindex, struct addr_info **out,
               size_t *count, struct err *e);

/* The message addr_add (RTM_NEWADDR) or addr_del (RTM_DELADDR) sends,
 * built in buf (MNL_SOCKET_BUFFER_SIZE bytes); NULL when prefix has no
 * prefix length (e says why). For the unit tests as much as the above. */
struct nlmsghdr *addr_build (struct nl *nl, void *buf, uint16_t type,
                             int ifindex, const struct ipaddr *prefix,
                             const struct ipaddr *broadcast, unsigned flags,
                             struct err *e);
/* Read one RTM_NEWADDR into a: 1, or 0 for what is no IP address, or -1
 * for a malformed message. */
int addr_parse (const struct nlmsghdr *nlh, struct addr_info *a);

#endif
