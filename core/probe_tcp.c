/*
 * probe_tcp.c - TCP connects and UDP echoes to many targets from many
 * namespaces at once, and their listeners, from one epoll loop (see
 * probe_tcp.h).
 *
 * The sockets of one namespace are all made in one visit (one setns there
 * and back), so a thousand probes cost a few namespace switches, not two
 * thousand. Probes start a batch at a time with the events drained in
 * between, so listeners accept while the rest still go out. A reset and
 * an ICMP error both end a TCP connect with ECONNREFUSED; the error queue
 * (IP_RECVERR) tells them apart: an ICMP error is queued there, a reset
 * is not.
 */
#include "probe_tcp.h"

#include <errno.h>
#include <time.h> /* before linux/errqueue.h */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"
#include "now.h"
#include "sock.h"

#define BATCH 64 /* probes started between two drains of the events */
#define EVENTS 256
#define NS_PER_MS 1000000LL
#define LISTENER_TAG (1ULL << 63) /* epoll data: a listener, not a probe */

struct cell { /* per-probe state beside its result */
  int fd;
  int done;
  uint64_t token;  /* UDP: the payload's first 8 bytes */
  int64_t t_start; /* TCP: when the connect started */
};

struct lsock {
  int fd[2]; /* IPv4, IPv6; -1 when the namespace has no IPv6 */
};

struct run {
  const struct port_opts *o;
  struct port_probe *p;
  struct cell *c;
  size_t n, pending;
  struct port_listener *l;
  struct lsock *ls;
  size_t nl;
  int ep;
  int64_t t0;
};

/*
** {======================================================
** Addresses and errors
** =======================================================
*/

union sa {
  struct sockaddr sa;
  struct sockaddr_in in;
  struct sockaddr_in6 in6;
  struct sockaddr_storage ss;
};

static socklen_t to_sa (const struct ipaddr *a, int port, union sa *u) {
  memset(u, 0, sizeof *u);
  if (a->family == AF_INET) {
    u->in.sin_family = AF_INET;
    u->in.sin_port = htons((uint16_t)port);
    memcpy(&u->in.sin_addr, a->bytes, 4);
    return sizeof u->in;
  }
  u->in6.sin6_family = AF_INET6;
  u->in6.sin6_port = htons((uint16_t)port);
  memcpy(&u->in6.sin6_addr, a->bytes, 16);
  return sizeof u->in6;
}

static int fam_index (int family) {
  return family == AF_INET6;
}

static void finish (struct run *r, size_t i, enum port_how how) {
  if (r->c[i].done) return;
  r->c[i].done = 1;
  r->p[i].how = how;
  r->pending--;
  if (r->c[i].fd >= 0) epoll_ctl(r->ep, EPOLL_CTL_DEL, r->c[i].fd, NULL);
}

/* The ICMP error queued on probe i's socket, if any: 1 and the probe's
 * icmp, icmp_from and err filled in, else 0. */
static int icmp_error (struct run *r, size_t i) {
  struct port_probe *p = &r->p[i];
  char data[64];
  union {
    char buf[512];
    struct cmsghdr align;
  } control;
  struct iovec iov = {data, sizeof data};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  if (recvmsg(r->c[i].fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
          (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)))
      continue;
    struct sock_extended_err ee;
    memcpy(&ee, CMSG_DATA(c), sizeof ee);
    if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6)
      return 0;
    /* The offender (the ICMP's sender) follows ee in the message. */
    union sa from;
    size_t off_len = c->cmsg_len - CMSG_LEN(sizeof ee);
    memset(&from, 0, sizeof from);
    memcpy(&from, CMSG_DATA(c) + sizeof ee,
           off_len < sizeof from ? off_len : sizeof from);
    char by[IPADDR_TEXT_MAX] = "?";
    memset(&p->icmp_from, 0, sizeof p->icmp_from);
    if (from.sa.sa_family == AF_INET)
      ipaddr_from_bytes(&p->icmp_from, AF_INET, &from.in.sin_addr, 4, -1);
    else if (from.sa.sa_family == AF_INET6)
      ipaddr_from_bytes(&p->icmp_from, AF_INET6, &from.in6.sin6_addr, 16, -1);
    if (p->icmp_from.family) ipaddr_format(&p->icmp_from, 0, by, sizeof by);
    sock_icmp_what(&ee, p->icmp, sizeof p->icmp);
    err_set(&p->err, (int)ee.ee_errno, "%s (%s from %s)",
            strerror((int)ee.ee_errno), p->icmp, by);
    return 1;
  }
  return 0;
}

/* Probe i ended with errno code: an ICMP error if one is queued, else a
 * reset (TCP's ECONNREFUSED) or the source's own stack. */
static void failed (struct run *r, size_t i, int code) {
  if (icmp_error(r, i)) {
    finish(r, i, PORT_ICMP);
    return;
  }
  err_set(&r->p[i].err, code, NULL);
  if (code == ECONNREFUSED && r->o->proto == PORT_TCP) {
    err_set(&r->p[i].err, code, "%s (TCP reset)", strerror(code));
    finish(r, i, PORT_RESET);
  } else {
    finish(r, i, PORT_LOCAL);
  }
}

/* }====================================================== */

/*
** {======================================================
** Sockets, made inside their namespaces
** =======================================================
*/

struct visit {
  struct run *r;
  size_t ns; /* the namespace being visited */
  const char *what;
  size_t which;
};

/* Every socket of namespace v->ns: its probes', its listeners'. Runs
 * inside it (netns_call); what and which say which one failed. */
static int make_here (void *arg, struct err *e) {
  struct visit *v = arg;
  struct run *r = v->r;
  int type = r->o->proto == PORT_TCP ? SOCK_STREAM : SOCK_DGRAM;
  for (size_t i = 0; i < r->n; i++) {
    if (r->p[i].source != v->ns) continue;
    r->c[i].fd =
        socket(r->p[i].target.family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r->c[i].fd < 0) {
      v->what = "probe";
      v->which = i;
      return err_errno(e);
    }
  }
  for (size_t k = 0; k < r->nl; k++) {
    if (r->l[k].netns != v->ns) continue;
    for (int f = 0; f < 2; f++) {
      r->ls[k].fd[f] = socket(f ? AF_INET6 : AF_INET,
                              type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (r->ls[k].fd[f] < 0 && !(f && errno == EAFNOSUPPORT)) {
        v->what = "listener";
        v->which = k;
        return err_errno(e);
      }
    }
  }
  return 0;
}

static int on (int fd, int level, int name) {
  int one = 1;
  return setsockopt(fd, level, name, &one, sizeof one);
}

/* Bind and listen (TCP) each socket of listener k on every address. */
static int setup_listener (struct run *r, size_t k, struct err *e) {
  for (int f = 0; f < 2; f++) {
    int fd = r->ls[k].fd[f];
    if (fd < 0) continue;
    struct ipaddr any = {.family = f ? AF_INET6 : AF_INET};
    union sa u;
    socklen_t len = to_sa(&any, r->l[k].port, &u);
    int rc = on(fd, SOL_SOCKET, SO_REUSEADDR);
    if (rc == 0 && f) rc = on(fd, SOL_IPV6, IPV6_V6ONLY);
    if (rc == 0 && r->o->proto == PORT_UDP) /* to answer from the address */
      rc = f ? on(fd, SOL_IPV6, IPV6_RECVPKTINFO) : on(fd, SOL_IP, IP_PKTINFO);
    if (rc == 0) rc = bind(fd, &u.sa, len);
    if (rc < 0 && f && errno == EADDRNOTAVAIL) { /* IPv6 off there */
      close(fd);
      r->ls[k].fd[f] = -1;
      continue;
    }
    if (rc == 0 && r->o->proto == PORT_TCP) rc = listen(fd, SOMAXCONN);
    struct epoll_event ev = {.events = EPOLLIN,
                             .data.u64 = LISTENER_TAG | (2 * k + (size_t)f)};
    if (rc == 0) rc = epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev);
    if (rc < 0)
      return err_set(e, errno, "listener %zu (%s port %d, %s): %s", k + 1,
                     r->o->proto == PORT_TCP ? "tcp" : "udp", r->l[k].port,
                     f ? "IPv6" : "IPv4", strerror(errno));
  }
  return 0;
}

static int make_sockets (struct run *r, const int *fds, size_t nns,
                         struct err *e) {
  for (size_t j = 0; j < nns; j++) {
    struct visit v = {r, j, NULL, 0};
    int used = 0;
    for (size_t i = 0; i < r->n && !used; i++) used = r->p[i].source == j;
    for (size_t k = 0; k < r->nl && !used; k++) used = r->l[k].netns == j;
    if (!used) continue;
    struct err fe = {0};
    if (netns_call(fds[j], make_here, &v, &fe) < 0) {
      if (v.what)
        return err_set(e, fe.code, "%s %zu: %s", v.what, v.which + 1,
                       err_text(&fe));
      *e = fe;
      return -1;
    }
  }
  for (size_t k = 0; k < r->nl; k++)
    if (setup_listener(r, k, e) < 0) return -1;
  return 0;
}

/* }====================================================== */

/*
** {======================================================
** Probes
** =======================================================
*/

static void watch (struct run *r, size_t i, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.u64 = i};
  if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->c[i].fd, &ev) < 0) {
    err_errno(&r->p[i].err);
    finish(r, i, PORT_LOCAL);
  }
}

/* Send probe i's UDP datagram: its token and the time it left. */
static void send_datagram (struct run *r, size_t i) {
  struct port_probe *p = &r->p[i];
  unsigned char pkt[16];
  int64_t ts = now_ns();
  memcpy(pkt, &r->c[i].token, 8);
  memcpy(pkt + 8, &ts, 8);
  union sa u;
  socklen_t len = to_sa(&p->target, p->port, &u);
  while (sendto(r->c[i].fd, pkt, sizeof pkt, 0, &u.sa, len) < 0) {
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == ENOBUFS) return; /* the next round */
    failed(r, i, errno); /* an ICMP error for the last one, no route */
    return;
  }
  p->sent++;
}

/* Start probe i: its socket options, then a connect or a first datagram. */
static void start (struct run *r, size_t i) {
  struct port_probe *p = &r->p[i];
  int fd = r->c[i].fd, v6 = fam_index(p->target.family);
  if (v6 ? on(fd, SOL_IPV6, IPV6_RECVERR) : on(fd, SOL_IP, IP_RECVERR)) {
    err_errno(&p->err);
    finish(r, i, PORT_LOCAL);
    return;
  }
  if (r->o->proto == PORT_UDP) {
    watch(r, i, EPOLLIN);
    if (!r->c[i].done) send_datagram(r, i);
    return;
  }
  /* No TIME_WAIT left behind: a close resets the connection. */
  struct linger lg = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  union sa u;
  socklen_t len = to_sa(&p->target, p->port, &u);
  p->sent = 1;
  r->c[i].t_start = now_ns();
  if (connect(fd, &u.sa, len) == 0) {
    finish(r, i, PORT_REACHED);
    return;
  }
  if (errno == EINPROGRESS)
    watch(r, i, EPOLLOUT);
  else
    failed(r, i, errno);
}

static void on_probe (struct run *r, size_t i, uint32_t events, int64_t now) {
  struct port_probe *p = &r->p[i];
  if (r->c[i].done) return;
  if (r->o->proto == PORT_TCP) {
    int so_error = 0;
    socklen_t len = sizeof so_error;
    getsockopt(r->c[i].fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error) {
      failed(r, i, so_error);
      return;
    }
    if (events & EPOLLOUT) {
      p->rtt_ms = (double)(now - r->c[i].t_start) / NS_PER_MS;
      finish(r, i, PORT_REACHED);
    }
    return;
  }
  if (events & EPOLLERR) {
    int so_error = 0;
    socklen_t len = sizeof so_error;
    getsockopt(r->c[i].fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    failed(r, i, so_error ? so_error : EHOSTUNREACH);
    return;
  }
  unsigned char buf[64];
  ssize_t got;
  while ((got = recv(r->c[i].fd, buf, sizeof buf, MSG_DONTWAIT)) >= 0 ||
         errno == EINTR) {
    int64_t ts;
    if (got < 16 || memcmp(buf, &r->c[i].token, 8)) continue; /* not ours */
    memcpy(&ts, buf + 8, 8);
    p->rtt_ms = ts >= r->t0 && ts <= now ? (double)(now - ts) / NS_PER_MS : 0;
    finish(r, i, PORT_REACHED);
    return;
  }
  if (errno != EAGAIN) failed(r, i, errno);
}

/* }====================================================== */

/*
** {======================================================
** Listeners
** =======================================================
*/

/* Send a datagram back to its sender, from the address it came to. */
static void echo (int fd, int v6, const void *data, size_t len,
                  struct msghdr *in) {
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {(void *)data, len};
  struct msghdr out = {.msg_name = in->msg_name,
                       .msg_namelen = in->msg_namelen,
                       .msg_iov = &iov,
                       .msg_iovlen = 1};
  for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR(in, c)) {
    struct cmsghdr *o = (struct cmsghdr *)control.buf;
    if (!v6 && c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      pi.ipi_spec_dst = pi.ipi_addr;
      pi.ipi_ifindex = 0;
      o->cmsg_level = SOL_IP;
      o->cmsg_type = IP_PKTINFO;
      o->cmsg_len = CMSG_LEN(sizeof pi);
      memcpy(CMSG_DATA(o), &pi, sizeof pi);
      out.msg_control = control.buf;
      out.msg_controllen = CMSG_SPACE(sizeof pi);
    } else if (v6 && c->cmsg_level == SOL_IPV6 &&
               c->cmsg_type == IPV6_PKTINFO) {
      o->cmsg_level = SOL_IPV6;
      o->cmsg_type = IPV6_PKTINFO;
      o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
      memcpy(CMSG_DATA(o), CMSG_DATA(c), sizeof(struct in6_pktinfo));
      out.msg_control = control.buf;
      out.msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
    }
  }
  while (sendmsg(fd, &out, MSG_DONTWAIT) < 0 && errno == EINTR) {}
}

/* Take what waits on listener socket (k, f): accept and close each
 * connection, or echo each datagram. */
static void on_listener (struct run *r, size_t k, int f) {
  int fd = r->ls[k].fd[f];
  if (r->o->proto == PORT_TCP) {
    int c;
    while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0 ||
           errno == EINTR || errno == ECONNABORTED) {
      if (c < 0) continue;
      /* A FIN, not a reset: a reset could reach the prober before it saw
         its connect complete, and end it with ECONNRESET. The prober's
         own close resets what is left. */
      close(c);
      r->l[k].served++;
    }
    return;
  }
  for (;;) {
    unsigned char buf[64];
    union sa from;
    union {
      char buf[256];
      struct cmsghdr align;
    } control;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {.msg_name = &from,
                         .msg_namelen = sizeof from,
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    ssize_t got = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return;
    echo(fd, f, buf, (size_t)got, &msg);
    r->l[k].served++;
  }
}

/* }====================================================== */

/*
** {======================================================
** The loop
** =======================================================
*/

static void dispatch (struct run *r, int timeout_ms) {
  struct epoll_event ev[EVENTS];
  int got = epoll_wait(r->ep, ev, EVENTS, timeout_ms);
  int64_t now = now_ns();
  for (int j = 0; j < got; j++) {
    uint64_t tag = ev[j].data.u64;
    if (tag & LISTENER_TAG) {
      size_t s = (size_t)(tag & ~LISTENER_TAG);
      on_listener(r, s / 2, (int)(s % 2));
    } else {
      on_probe(r, (size_t)tag, ev[j].events, now);
    }
  }
}

static int ms_until (int64_t t, int64_t now) {
  if (t <= now) return 0;
  int64_t ms = (t - now + NS_PER_MS - 1) / NS_PER_MS;
  return ms > 1 << 30 ? 1 << 30 : (int)ms;
}

static void loop (struct run *r) {
  const struct port_opts *o = r->o;
  int64_t interval = (int64_t)o->interval_ms * NS_PER_MS;
  r->t0 = now_ns();
  int64_t deadline = r->t0 + (int64_t)o->timeout_ms * NS_PER_MS;
  for (size_t i = 0; i < r->n; i++) {
    if (!r->c[i].done) start(r, i);
    if (i % BATCH == BATCH - 1) dispatch(r, 0);
  }
  int round = 1;
  while (r->pending > 0) {
    int64_t now = now_ns();
    if (now >= deadline) break;
    int64_t wake = deadline;
    if (o->proto == PORT_UDP && round < o->count) {
      int64_t due = r->t0 + round * interval;
      if (due <= now) {
        for (size_t i = 0; i < r->n; i++) {
          if (!r->c[i].done) send_datagram(r, i);
          if (i % BATCH == BATCH - 1) dispatch(r, 0);
        }
        round++;
        continue;
      }
      if (due < wake) wake = due;
    }
    dispatch(r, ms_until(wake, now));
  }
  for (size_t i = 0; i < r->n; i++)
    if (!r->c[i].done) {
      err_set(&r->p[i].err, ETIMEDOUT, "no answer within %g s",
              o->timeout_ms / 1000.0);
      finish(r, i, PORT_TIMEOUT);
    }
  /* What reached the listeners last is counted too. */
  for (size_t k = 0; k < r->nl; k++)
    for (int f = 0; f < 2; f++)
      if (r->ls[k].fd[f] >= 0) on_listener(r, k, f);
}

/* }====================================================== */

int port_probe_run (const int *fds, size_t nns, struct port_probe *p, size_t n,
                    struct port_listener *l, size_t nl,
                    const struct port_opts *o, struct err *e) {
  if ((o->proto != PORT_TCP && o->proto != PORT_UDP) || o->timeout_ms <= 0 ||
      o->count < 1 || o->interval_ms < 0)
    return err_set(e, EINVAL,
                   "invalid options: proto tcp or udp, timeout > 0, "
                   "count >= 1, interval >= 0");
  for (size_t i = 0; i < n; i++) {
    if (p[i].source >= nns)
      return err_set(e, EINVAL, "probe %zu: no namespace %zu", i + 1,
                     p[i].source);
    if (p[i].port < 1 || p[i].port > 65535 ||
        (p[i].target.family != AF_INET && p[i].target.family != AF_INET6))
      return err_set(e, EINVAL, "probe %zu: no address and port", i + 1);
  }
  for (size_t k = 0; k < nl; k++)
    if (l[k].netns >= nns || l[k].port < 1 || l[k].port > 65535)
      return err_set(e, EINVAL, "listener %zu: no namespace or port", k + 1);
  struct run r = {.o = o, .p = p, .n = n, .pending = n, .l = l, .nl = nl};
  r.c = calloc(n ? n : 1, sizeof *r.c);
  r.ls = calloc(nl ? nl : 1, sizeof *r.ls);
  r.ep = epoll_create1(EPOLL_CLOEXEC);
  int rc = -1;
  if (!r.c || !r.ls) {
    err_set(e, ENOMEM, NULL);
    goto out;
  }
  if (r.ep < 0) {
    err_errno(e);
    goto out;
  }
  uint64_t base;
  if (getrandom(&base, sizeof base, GRND_NONBLOCK) != sizeof base)
    base = (uint64_t)now_ns() ^ (uint64_t)getpid() << 32;
  for (size_t i = 0; i < n; i++) {
    r.c[i] = (struct cell){-1, 0, base + i, 0};
    p[i].how = PORT_TIMEOUT;
    p[i].sent = 0;
    p[i].rtt_ms = 0;
    p[i].icmp[0] = '\0';
    memset(&p[i].icmp_from, 0, sizeof p[i].icmp_from);
    p[i].err.code = 0;
    p[i].err.reason[0] = '\0';
  }
  for (size_t k = 0; k < nl; k++) {
    r.ls[k] = (struct lsock){{-1, -1}};
    l[k].served = 0;
  }
  if (make_sockets(&r, fds, nns, e) == 0) {
    loop(&r);
    rc = 0;
  }
out:
  for (size_t i = 0; r.c && i < n; i++)
    if (r.c[i].fd >= 0) close(r.c[i].fd);
  for (size_t k = 0; r.ls && k < nl; k++)
    for (int f = 0; f < 2; f++)
      if (r.ls[k].fd[f] >= 0) close(r.ls[k].fd[f]);
  if (r.ep >= 0) close(r.ep);
  free(r.ls);
  free(r.c);
  return rc;
}
