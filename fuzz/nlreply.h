/*
 * nlreply.h - what the netlink reply harnesses share: the input is a
 * datagram as the kernel would send it, one or more messages; each is
 * given to the parser under test, as nl.c's walk does.
 */
#ifndef NSLAB_FUZZ_NLREPLY_H
#define NSLAB_FUZZ_NLREPLY_H

#include "../core/nl.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Call each(nlh) for every well-formed message of data, copied to an
 * aligned buffer as recvfrom would give it. */
static void nlreply_walk (const uint8_t *data, size_t size,
                          void (*each)(const struct nlmsghdr *nlh)) {
  static _Alignas(8) char buf[65536];
  if (size > sizeof buf) return;
  memcpy(buf, data, size);
  const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
  int remaining = (int)size;
  for (; nl_msg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining))
    each(nlh);
}

#endif
