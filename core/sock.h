/*
 * sock.h - TCP and UDP sockets that belong to a network namespace.
 *
 * A socket belongs to the namespace it was created in, for good: so only
 * socket() runs while the thread is briefly inside the target namespace;
 * bind, listen, connect and all I/O happen after it is back. Every socket
 * is non-blocking, and every wait is a poll with a deadline, so no call
 * can hang a lab: a wait that runs out fails with ETIMEDOUT.
 *
 * UDP sockets stay unconnected, so a receiver sees every datagram with the
 * address it really came from (after SNAT, the rewritten one; a connected
 * socket would drop a reply from an unexpected address, which is exactly
 * what a NAT probe must show). ICMP errors still come back: every UDP
 * socket has IP_RECVERR (and IPV6_RECVERR), so the kernel queues what each
 * ICMP error said, and the next sendto or recvfrom reports it once, with
 * the ICMP type, who sent it and where the datagram was going.
 */
#ifndef NSLAB_SOCK_H
#define NSLAB_SOCK_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "ipaddr.h"

/* An address and port; a peer's IPv4-mapped IPv6 address is given as the
 * IPv4 address it maps. */
struct sock_ep {
  struct ipaddr addr; /* prefixlen unused */
  int port;
};

#define SOCK_EP_TEXT_MAX (IPADDR_TEXT_MAX + 8)

/* "192.0.2.1:80", "[2001:db8::1]:80". */
void sock_ep_format (const struct sock_ep *ep, char *buf, size_t len);

/* In this file, timeout_ms < 0 waits for ever, 0 only looks. */

/* A listening socket on ep in netns_fd (-1: the thread's own): socket,
 * SO_REUSEADDR when asked, bind, listen. A port in use: EADDRINUSE. */
int sock_tcp_listen (int netns_fd, const struct sock_ep *ep, int backlog,
                     int reuseaddr, struct err *e);

/* The next connection on a listening socket, and who made it. */
int sock_tcp_accept (int fd, int timeout_ms, struct sock_ep *peer,
                     struct err *e);

/* A connected socket to ep, made from netns_fd. ECONNREFUSED, ENETUNREACH,
 * EHOSTUNREACH as the kernel says; ETIMEDOUT at the deadline. */
int sock_tcp_connect (int netns_fd, const struct sock_ep *ep, int timeout_ms,
                      struct err *e);

/* Send all len bytes (a closed peer: EPIPE, never SIGPIPE). */
int sock_send_all (int fd, const void *data, size_t len, int timeout_ms,
                   struct err *e);

/* Up to max bytes, waiting until some come; 0 when the peer closed. */
ssize_t sock_recv (int fd, void *buf, size_t max, int timeout_ms,
                   struct err *e);

/* A UDP socket bound to ep in netns_fd, with IP_RECVERR. A port in use:
 * EADDRINUSE. */
int sock_udp_bind (int netns_fd, const struct sock_ep *ep, struct err *e);

/* Send one datagram of len bytes to ep, waiting at most timeout_ms for
 * buffer space. An ICMP error queued for an earlier datagram fails the
 * call first (this datagram is not sent). From an IPv6 socket an IPv4
 * peer is reached through its IPv4-mapped address; from an IPv4 socket an
 * IPv6 peer is EAFNOSUPPORT. */
int sock_udp_sendto (int fd, const void *data, size_t len,
                     const struct sock_ep *ep, int timeout_ms, struct err *e);

/* The next datagram (cut to max bytes) and where it came from, waiting
 * until one comes. A queued ICMP error fails the call instead, e.g.
 * ECONNREFUSED, "Connection refused (ICMP port unreachable from 10.0.0.1
 * for a datagram to 10.0.0.1:9)". 0 is an empty datagram. */
ssize_t sock_udp_recvfrom (int fd, void *buf, size_t max, int timeout_ms,
                           struct sock_ep *peer, struct err *e);

int sock_local (int fd, struct sock_ep *ep, struct err *e); /* getsockname */
int sock_peer (int fd, struct sock_ep *ep, struct err *e);  /* getpeername */

/* What an ICMP error queued by IP_RECVERR was, in the words of nft's
 * reject types: "ICMP port unreachable", "ICMPv6 admin prohibited". */
struct sock_extended_err;
void sock_icmp_what (const struct sock_extended_err *ee, char *buf, size_t len);

#endif
