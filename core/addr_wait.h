/*
 * addr_wait.h - waiting for IPv6 duplicate address detection to end.
 *
 * An IPv6 address added without nodad is tentative until DAD is over: the
 * kernel neither uses it as a source nor answers for it. The wait sleeps
 * on the kernel's own notifications (RTM_NEWADDR on RTNLGRP_IPV6_IFADDR),
 * never on a timer of its own.
 */
#ifndef NSLAB_ADDR_WAIT_H
#define NSLAB_ADDR_WAIT_H

#include "err.h"
#include "ipaddr.h"
#include "nl.h"

enum { ADDR_SETTLED, ADDR_TENTATIVE, ADDR_DADFAILED };

/* Wait until no IPv6 address of device ifindex (in the namespace netns_fd,
 * whose socket nl is) is tentative, for at most timeout_ms. Returns
 * ADDR_SETTLED; ADDR_TENTATIVE at the deadline, or ADDR_DADFAILED as soon
 * as an address failed DAD (another node has it), with that address in
 * *which; -1 on error. */
int addr_wait_dad (struct nl *nl, int netns_fd, int ifindex, int timeout_ms,
                   struct ipaddr *which, struct err *e);

/* Does the device do DAD now (up, with carrier)? A device that is down
 * or has no carrier (a veth whose peer is down) keeps its addresses
 * tentative until it has both. 1, 0, or -1 on error. */
int addr_dad_runs (struct nl *nl, int ifindex, struct err *e);

#endif
