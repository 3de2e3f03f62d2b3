/*
 * nl.h - one rtnetlink socket bound to one network namespace.
 *
 * A socket belongs to the namespace it was created in, whatever the thread
 * does afterwards; so nslab opens one per namespace (while the thread is
 * briefly inside it) and keeps it. Requests ask for an ACK and extended ACK
 * text, so errors carry the kernel's own words.
 */
#ifndef NSLAB_NL_H
#define NSLAB_NL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

#include "err.h"

struct nl {
  struct mnl_socket *sock;
  uint32_t portid;
  uint32_t seq;
};

/* Open a NETLINK_ROUTE socket inside the namespace netns_fd (-1: the
 * thread's current one). */
int nl_open (struct nl *nl, int protocol, int netns_fd, struct err *e);
void nl_close (struct nl *nl);

/* Start a message in buf (MNL_SOCKET_BUFFER_SIZE bytes) with type, flags
 * (NLM_F_REQUEST is added) and a fresh sequence number. */
struct nlmsghdr *nl_msg (struct nl *nl, void *buf, uint16_t type,
                         uint16_t flags);

/* Send a request and wait for its ACK (NLM_F_ACK is added). */
int nl_request (struct nl *nl, struct nlmsghdr *msg, struct err *e);

/* Send a dump request and call cb for every message of the answer; fails
 * with EINTR when the kernel says the dump was interrupted. */
int nl_dump (struct nl *nl, struct nlmsghdr *msg, mnl_cb_t cb, void *data,
             struct err *e);

/* Dump into a malloc'd array: parse fills one item of item_size bytes
 * from a message of the given type and returns 1 to keep it, 0 to skip it,
 * -1 on error. An interrupted dump is started over. */
typedef int (*nl_parse_fn)(const struct nlmsghdr *nlh, void *item);
int nl_collect (struct nl *nl, struct nlmsghdr *msg, uint16_t type,
                nl_parse_fn parse, size_t item_size, void **items,
                size_t *count, struct err *e);

/* Is there a whole message at nlh, with remaining bytes left in the
 * datagram? mnl_nlmsg_ok alone takes a length of 2^31 or more for a
 * negative int and lets a walk jump out of the buffer (fuzz/corpus/NAME/
 * huge-length): the length is compared as unsigned first. */
static inline int nl_msg_ok (const struct nlmsghdr *nlh, int remaining) {
  return remaining >= (int)sizeof *nlh &&
         nlh->nlmsg_len <= (unsigned)remaining && mnl_nlmsg_ok(nlh, remaining);
}

/* Send a request whose answer is one message (e.g. RTM_GETLINK by name). */
int nl_get (struct nl *nl, struct nlmsghdr *msg, mnl_cb_t cb, void *data,
            struct err *e);

#endif
