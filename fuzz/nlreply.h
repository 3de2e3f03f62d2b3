/*
 * nlreply.h - what the netlink reply harnesses share: the input is a
 * datagram as the kernel would send it, one or more messages; each is
 * given to the parser under test, as nl.c's walk does.
 */
#ifndef NSLAB_FUZZ_NLREPLY_H
#define NSLAB_FUZZ_NLREPLY_H

#include <libmnl/libmnl.h>
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
  /* mnl_nlmsg_ok alone takes a length of 2^31 or more for a negative
     int and lets the walk jump out of the buffer (the first finding,
     kept as huge-length in each corpus): check it as unsigned first. */
  for (; remaining >= (int)sizeof *nlh &&
         nlh->nlmsg_len <= (unsigned)remaining && mnl_nlmsg_ok(nlh, remaining);
       nlh = mnl_nlmsg_next(nlh, &remaining))
    each(nlh);
}

#endif
