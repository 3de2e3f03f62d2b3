/*
 * sock.c - TCP and UDP sockets that belong to a network namespace (see
 * sock.h).
 */
#include "sock.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"
#include "now.h"

/*
** {==================================================================
** Addresses
** ===================================================================
*/

void sock_ep_format (const struct sock_ep *ep, char *buf, size_t len) {
  char host[IPADDR_TEXT_MAX];
  ipaddr_format(&ep->addr, 0, host, sizeof host);
  if (ep->addr.family == AF_INET6)
    snprintf(buf, len, "[%s]:%d", host, ep->port);
  else
    snprintf(buf, len, "%s:%d", host, ep->port);
}

static socklen_t to_sockaddr (const struct sock_ep *ep,
                              struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (ep->addr.family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)ep->port);
    memcpy(&sin->sin_addr, ep->addr.bytes, 4);
    return sizeof *sin;
  }
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons((uint16_t)ep->port);
  memcpy(&sin6->sin6_addr, ep->addr.bytes, 16);
  return sizeof *sin6;
}

/* A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d: say a.b.c.d. */
static void from_sockaddr (const struct sockaddr_storage *ss,
                           struct sock_ep *ep) {
  memset(ep, 0, sizeof *ep);
  ep->addr.prefixlen = -1;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    ipaddr_from_bytes(&ep->addr, AF_INET, &sin->sin_addr, 4, -1);
    ep->port = ntohs(sin->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
      ipaddr_from_bytes(&ep->addr, AF_INET, sin6->sin6_addr.s6_addr + 12, 4,
                        -1);
    else
      ipaddr_from_bytes(&ep->addr, AF_INET6, &sin6->sin6_addr, 16, -1);
    ep->port = ntohs(sin6->sin6_port);
  }
}

int sock_local (int fd, struct sock_ep *ep, struct err *e) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return err_errno(e);
  from_sockaddr(&ss, ep);
  return 0;
}

int sock_peer (int fd, struct sock_ep *ep, struct err *e) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) return err_errno(e);
  from_sockaddr(&ss, ep);
  return 0;
}

/* }================================================================== */

/*
** {==================================================================
** Waiting with a deadline
** ===================================================================
*/

static long long deadline_of (int timeout_ms) {
  return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

static int timed_out (int timeout_ms, struct err *e) {
  return err_set(e, ETIMEDOUT, "timed out after %g s", timeout_ms / 1000.0);
}

/*
** Wait until fd has events or the deadline (-1: none) passes: 1 ready,
** 0 timed out. A handled signal (Ctrl-C at the prompt) ends the wait with
** EINTR, so Lua can raise "interrupted!" instead of sitting out a long
** timeout; nslab installs no other handler that could cut a wait short.
*/
static int wait_fd (int fd, short events, long long deadline, struct err *e) {
  struct pollfd p = {fd, events, 0};
  for (;;) {
    long long left = deadline < 0 ? -1 : deadline - now_ms();
    if (deadline >= 0 && left < 0) left = 0;
    int n = poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
    if (n > 0) return 1;
    if (n == 0 && left == 0) return 0;
    if (n < 0 && errno == EINTR) return err_set(e, EINTR, "interrupted");
    if (n < 0) return err_errno(e);
  }
}

/* }================================================================== */

/*
** {==================================================================
** Listening, accepting, connecting
** ===================================================================
*/

/*
** A non-blocking socket of family and type (SOCK_STREAM, SOCK_DGRAM),
** created inside netns_fd.
*/
static int socket_in (int netns_fd, int family, int type, struct err *e) {
  return netns_socket(netns_fd, family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                      e);
}

static int fail_closing (int fd, struct err *e) {
  err_errno(e);
  close(fd);
  return -1;
}

int sock_tcp_listen (int netns_fd, const struct sock_ep *ep, int backlog,
                     int reuseaddr, struct err *e) {
  struct sockaddr_storage ss;
  socklen_t len = to_sockaddr(ep, &ss);
  int fd = socket_in(netns_fd, ep->addr.family, SOCK_STREAM, e);
  if (fd < 0) return -1;
  if (reuseaddr && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuseaddr,
                              sizeof reuseaddr) < 0)
    return fail_closing(fd, e);
  if (bind(fd, (struct sockaddr *)&ss, len) < 0) return fail_closing(fd, e);
  if (listen(fd, backlog) < 0) return fail_closing(fd, e);
  return fd;
}

int sock_tcp_accept (int fd, int timeout_ms, struct sock_ep *peer,
                     struct err *e) {
  long long deadline = deadline_of(timeout_ms);
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int c =
        accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
      from_sockaddr(&ss, peer);
      return c;
    }
    /* A connection reset before we took it is gone: wait for the next. */
    if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
      return err_errno(e);
    int ready = wait_fd(fd, POLLIN, deadline, e);
    if (ready < 0) return -1;
    if (ready == 0) return timed_out(timeout_ms, e);
  }
}

/*
** The outcome of a non-blocking connect: wait until the socket is
** writable, then SO_ERROR says how the handshake ended.
*/
static int finish_connect (int fd, int timeout_ms, struct err *e) {
  int ready = wait_fd(fd, POLLOUT, deadline_of(timeout_ms), e), so_error = 0;
  socklen_t len = sizeof so_error;
  if (ready < 0) return -1;
  if (ready == 0) return timed_out(timeout_ms, e);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) < 0)
    return err_errno(e);
  return so_error ? err_set(e, so_error, NULL) : 0;
}

int sock_tcp_connect (int netns_fd, const struct sock_ep *ep, int timeout_ms,
                      struct err *e) {
  struct sockaddr_storage ss;
  socklen_t len = to_sockaddr(ep, &ss);
  int fd = socket_in(netns_fd, ep->addr.family, SOCK_STREAM, e);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&ss, len) == 0) return fd;
  if (errno != EINPROGRESS) return fail_closing(fd, e);
  if (finish_connect(fd, timeout_ms, e) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* }================================================================== */

/*
** {==================================================================
** Data
** ===================================================================
*/

int sock_send_all (int fd, const void *data, size_t len, int timeout_ms,
                   struct err *e) {
  long long deadline = deadline_of(timeout_ms);
  const char *p = data;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      p += n;
      len -= (size_t)n;
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return err_errno(e);
    int ready = wait_fd(fd, POLLOUT, deadline, e);
    if (ready < 0) return -1;
    if (ready == 0) return timed_out(timeout_ms, e);
  }
  return 0;
}

ssize_t sock_recv (int fd, void *buf, size_t max, int timeout_ms,
                   struct err *e) {
  long long deadline = deadline_of(timeout_ms);
  for (;;) {
    ssize_t n = recv(fd, buf, max, MSG_DONTWAIT);
    if (n >= 0) return n;
    if (errno != EAGAIN && errno != EINTR) return err_errno(e);
    int ready = wait_fd(fd, POLLIN, deadline, e);
    if (ready < 0) return -1;
    if (ready == 0) return timed_out(timeout_ms, e);
  }
}

/* }================================================================== */

/*
** {==================================================================
** UDP: datagrams, and the ICMP errors that come back for them
** ===================================================================
*/

int sock_udp_bind (int netns_fd, const struct sock_ep *ep, struct err *e) {
  struct sockaddr_storage ss;
  socklen_t len = to_sockaddr(ep, &ss);
  int on = 1;
  int fd = socket_in(netns_fd, ep->addr.family, SOCK_DGRAM, e);
  if (fd < 0) return -1;
  /* IP_RECVERR also covers the IPv4 peers of a dual-stack socket. */
  if (setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof on) < 0)
    return fail_closing(fd, e);
  if (ep->addr.family == AF_INET6 &&
      setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof on) < 0)
    return fail_closing(fd, e);
  if (bind(fd, (struct sockaddr *)&ss, len) < 0) return fail_closing(fd, e);
  return fd;
}

/*
** What an ICMP error was, in the words of nft's reject types: "port
** unreachable", "admin prohibited", "time exceeded", ...
*/
void sock_icmp_what (const struct sock_extended_err *ee, char *buf,
                     size_t len) {
  static const char *const unreach4[] = {
      "net unreachable",
      "host unreachable",
      "protocol unreachable",
      "port unreachable",
      "fragmentation needed",
      "source route failed",
      "net unknown",
      "host unknown",
      "host isolated",
      "net prohibited",
      "host prohibited",
      "net unreachable for TOS",
      "host unreachable for TOS",
      "admin prohibited",
  };
  static const char *const unreach6[] = {
      "no route",         "admin prohibited",
      "beyond scope",     "address unreachable",
      "port unreachable", "source address failed policy",
      "reject route",
  };
  const char *name = NULL;
  int v6 = ee->ee_origin == SO_EE_ORIGIN_ICMP6;
  if (!v6 && ee->ee_type == 3 &&
      ee->ee_code < sizeof unreach4 / sizeof *unreach4)
    name = unreach4[ee->ee_code];
  else if (!v6 && ee->ee_type == 11)
    name = "time exceeded";
  else if (!v6 && ee->ee_type == 12)
    name = "parameter problem";
  else if (v6 && ee->ee_type == 1 &&
           ee->ee_code < sizeof unreach6 / sizeof *unreach6)
    name = unreach6[ee->ee_code];
  else if (v6 && ee->ee_type == 2)
    name = "packet too big";
  else if (v6 && ee->ee_type == 3)
    name = "time exceeded";
  else if (v6 && ee->ee_type == 4)
    name = "parameter problem";
  const char *icmp = v6 ? "ICMPv6" : "ICMP";
  if (!name)
    snprintf(buf, len, "%s type %d code %d", icmp, ee->ee_type, ee->ee_code);
  else if ((!v6 && ee->ee_type == 3 && ee->ee_code == 4) ||
           (v6 && ee->ee_type == 2))
    snprintf(buf, len, "%s %s, MTU %u", icmp, name, ee->ee_info);
  else
    snprintf(buf, len, "%s %s", icmp, name);
}

/*
** Take the oldest error queued on a UDP socket (IP_RECVERR) into e:
** -1 when there was one (or reading it failed), 0 when none. earlier:
** the caller is about to send (or failed to), so an ICMP error concerns
** an earlier datagram and the caller's own was not sent. A local error
** (EMSGSIZE) is queued by the very send that failed: said plainly.
*/
static int queued_error (int fd, int earlier, struct err *e) {
  struct sockaddr_storage dest;
  char data[64];
  union {
    char buf[512];
    struct cmsghdr align;
  } control;
  struct iovec iov = {data, sizeof data};
  struct msghdr msg = {
      .msg_name = &dest,
      .msg_namelen = sizeof dest,
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = control.buf,
      .msg_controllen = sizeof control.buf,
  };
  if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
    return errno == EAGAIN || errno == EINTR ? 0 : err_errno(e);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
          (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)))
      continue;
    struct sock_extended_err ee;
    memcpy(&ee, CMSG_DATA(c), sizeof ee);
    const char *why = strerror((int)ee.ee_errno);
    if (ee.ee_origin != SO_EE_ORIGIN_ICMP &&
        ee.ee_origin != SO_EE_ORIGIN_ICMP6) {
      if (ee.ee_errno == EMSGSIZE)
        return err_set(e, EMSGSIZE, "%s (MTU %u)", why, ee.ee_info);
      return err_set(e, (int)ee.ee_errno, NULL);
    }
    /* The offender (the ICMP's sender) follows ee in the message. */
    struct sockaddr_storage from;
    struct sock_ep to_ep, from_ep;
    char what[80], to[SOCK_EP_TEXT_MAX], by[IPADDR_TEXT_MAX] = "?";
    size_t off_len = c->cmsg_len - CMSG_LEN(sizeof ee);
    memset(&from, 0, sizeof from);
    memcpy(&from, CMSG_DATA(c) + sizeof ee,
           off_len < sizeof from ? off_len : sizeof from);
    from_sockaddr(&from, &from_ep);
    if (from_ep.addr.family) ipaddr_format(&from_ep.addr, 0, by, sizeof by);
    from_sockaddr(&dest, &to_ep);
    sock_ep_format(&to_ep, to, sizeof to);
    sock_icmp_what(&ee, what, sizeof what);
    if (earlier)
      return err_set(e, (int)ee.ee_errno,
                     "%s (%s from %s for an earlier "
                     "datagram to %s; this one was not sent)",
                     why, what, by, to);
    return err_set(e, (int)ee.ee_errno, "%s (%s from %s for a datagram to %s)",
                   why, what, by, to);
  }
  return 0; /* a queued message that was no error: nothing to say */
}

/*
** Where a datagram to ep goes from a socket of fd's family: an IPv6
** socket reaches an IPv4 peer at its IPv4-mapped address.
*/
static int dest_of (int fd, const struct sock_ep *ep,
                    struct sockaddr_storage *ss, socklen_t *len,
                    struct err *e) {
  int domain = 0;
  socklen_t dlen = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0)
    return err_errno(e);
  if (domain == AF_INET && ep->addr.family == AF_INET6)
    return err_set(e, EAFNOSUPPORT,
                   "an IPv4 socket cannot send to an IPv6 address");
  if (domain == AF_INET6 && ep->addr.family == AF_INET) {
    struct sock_ep mapped = *ep;
    static const unsigned char prefix[12] = {[10] = 0xff, [11] = 0xff};
    mapped.addr.family = AF_INET6;
    memcpy(mapped.addr.bytes, prefix, 12);
    memcpy(mapped.addr.bytes + 12, ep->addr.bytes, 4);
    *len = to_sockaddr(&mapped, ss);
  } else {
    *len = to_sockaddr(ep, ss);
  }
  return 0;
}

int sock_udp_sendto (int fd, const void *data, size_t len,
                     const struct sock_ep *ep, int timeout_ms, struct err *e) {
  struct sockaddr_storage ss;
  socklen_t sslen = 0;
  long long deadline = deadline_of(timeout_ms);
  if (dest_of(fd, ep, &ss, &sslen, e) < 0) return -1;
  if (queued_error(fd, 1, e) < 0) return -1;
  for (;;) {
    if (sendto(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT,
               (struct sockaddr *)&ss, sslen) >= 0)
      return 0;
    if (errno != EAGAIN && errno != EINTR) {
      /* An ICMP error that came in meanwhile fails the send with its
         code: then the queue says what it was. */
      int code = errno;
      if (queued_error(fd, 1, e) < 0) return -1;
      return err_set(e, code, NULL);
    }
    int ready = wait_fd(fd, POLLOUT, deadline, e);
    if (ready < 0) return -1;
    if (ready == 0) return timed_out(timeout_ms, e);
    /* POLLERR wakes the wait too: the next round reports it. */
    if (queued_error(fd, 1, e) < 0) return -1;
  }
}

ssize_t sock_udp_recvfrom (int fd, void *buf, size_t max, int timeout_ms,
                           struct sock_ep *peer, struct err *e) {
  long long deadline = deadline_of(timeout_ms);
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    /* An error queued first is reported first, as the kernel does. */
    if (queued_error(fd, 0, e) < 0) return -1;
    ssize_t n =
        recvfrom(fd, buf, max, MSG_DONTWAIT, (struct sockaddr *)&ss, &len);
    if (n >= 0) {
      from_sockaddr(&ss, peer);
      return n;
    }
    if (errno != EAGAIN && errno != EINTR) {
      int code = errno;
      if (queued_error(fd, 0, e) < 0) return -1;
      return err_set(e, code, NULL);
    }
    int ready = wait_fd(fd, POLLIN, deadline, e);
    if (ready < 0) return -1;
    if (ready == 0) return timed_out(timeout_ms, e);
  }
}

/* }================================================================== */
