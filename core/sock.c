/*
 * sock.c - TCP sockets that belong to a network namespace (see sock.h).
 */
#include "sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"


/*
** {==================================================================
** Addresses
** ===================================================================
*/

void sock_ep_format (const struct sock_ep *ep, char *buf, size_t len) {
  char host[IPADDR_TEXT_MAX];
  ipaddr_format(&ep->addr, 0, host, sizeof host);
  if (ep->addr.family == AF_INET6) snprintf(buf, len, "[%s]:%d", host, ep->port);
  else snprintf(buf, len, "%s:%d", host, ep->port);
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
      ipaddr_from_bytes(&ep->addr, AF_INET, sin6->sin6_addr.s6_addr + 12, 4, -1);
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

static long long now_ms (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static long long deadline_of (int timeout_ms) {
  return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}


static int timed_out (int timeout_ms, struct err *e) {
  return err_set(e, ETIMEDOUT, "timed out after %g s", timeout_ms / 1000.0);
}


/*
** Wait until fd has events or the deadline (-1: none) passes: 1 ready,
** 0 timed out. A signal does not cut the wait short; the time left does.
*/
static int wait_fd (int fd, short events, long long deadline,
                    struct err *e) {
  struct pollfd p = { fd, events, 0 };
  for (;;) {
    long long left = deadline < 0 ? -1 : deadline - now_ms();
    if (deadline >= 0 && left < 0) left = 0;
    int n = poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
    if (n > 0) return 1;
    if (n == 0 && left == 0) return 0;
    if (n < 0 && errno != EINTR) return err_errno(e);
  }
}

/* }================================================================== */


/*
** {==================================================================
** Listening, accepting, connecting
** ===================================================================
*/

/*
** A non-blocking TCP socket of family, created inside netns_fd.
*/
static int socket_in (int netns_fd, int family, struct err *e) {
  int saved = -1, sock_errno;
  if (netns_fd >= 0 && netns_enter(netns_fd, &saved, e) < 0) return -1;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sock_errno = errno;
  if (netns_fd >= 0 && netns_leave(saved, e) < 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd < 0 ? err_set(e, sock_errno, NULL) : fd;
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
  int fd = socket_in(netns_fd, ep->addr.family, e);
  if (fd < 0) return -1;
  if (reuseaddr &&
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuseaddr, sizeof reuseaddr) < 0)
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
    int c = accept4(fd, (struct sockaddr *)&ss, &len,
                    SOCK_NONBLOCK | SOCK_CLOEXEC);
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
  int fd = socket_in(netns_fd, ep->addr.family, e);
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
