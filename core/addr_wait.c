/*
 * addr_wait.c - waiting for IPv6 duplicate address detection to end.
 */
#include "addr_wait.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "addr.h"
#include "link.h"
#include "now.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h, which clashes with net/if.h */
#endif

/* The device's IPv6 addresses now: ADDR_SETTLED, or the first that is
 * tentative or failed DAD (a failure wins). */
static int state (struct nl *nl, int ifindex, struct ipaddr *which,
                  struct err *e) {
  struct addr_info *list;
  size_t n;
  int r = ADDR_SETTLED;
  if (addr_list(nl, AF_INET6, ifindex, &list, &n, e) < 0) return -1;
  for (size_t i = 0; i < n && r != ADDR_DADFAILED; i++) {
    if (list[i].flags & IFA_F_DADFAILED) {
      *which = list[i].local;
      r = ADDR_DADFAILED;
    } else if ((list[i].flags & IFA_F_TENTATIVE) && r == ADDR_SETTLED) {
      *which = list[i].local;
      r = ADDR_TENTATIVE;
    }
  }
  free(list);
  return r;
}

int addr_wait_dad (struct nl *nl, int netns_fd, int ifindex, int timeout_ms,
                   struct ipaddr *which, struct err *e) {
  struct nl sub;
  unsigned group = RTNLGRP_IPV6_IFADDR;
  char buf[8192];
  int64_t deadline = now_ms() + timeout_ms;
  /* Subscribe before reading the state: a change after the read is then
     a notification on sub, never lost between the two. */
  if (nl_open(&sub, NETLINK_ROUTE, netns_fd, e) < 0) return -1;
  if (mnl_socket_setsockopt(sub.sock, NETLINK_ADD_MEMBERSHIP, &group,
                            sizeof group) < 0) {
    err_errno(e);
    nl_close(&sub);
    return -1;
  }
  int r;
  while ((r = state(nl, ifindex, which, e)) == ADDR_TENTATIVE) {
    int64_t left = deadline - now_ms();
    if (left <= 0) break;
    struct pollfd p = {mnl_socket_get_fd(sub.sock), POLLIN, 0};
    int k = poll(&p, 1, (int)left);
    if (k < 0 && errno == EINTR) break; /* a handled signal (Ctrl-C): stop */
    if (k < 0) {
      r = err_errno(e);
      break;
    }
    /* Read what came (a notification or an overrun, ENOBUFS: either way
       the state is read again whole). */
    while (k > 0 && recv(mnl_socket_get_fd(sub.sock), buf, sizeof buf,
                         MSG_DONTWAIT) > 0) {}
  }
  nl_close(&sub);
  return r;
}

int addr_dad_runs (struct nl *nl, int ifindex, struct err *e) {
  struct link_info info;
  if (link_get(nl, ifindex, NULL, &info, e) < 0) return -1;
  return (info.flags & IFF_UP) && (info.flags & IFF_LOWER_UP);
}
