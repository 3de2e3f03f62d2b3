/*
 * probe.c - ICMP echo to many targets from many namespaces at once, from
 * one poll loop.
 *
 * One raw socket per source namespace and address family, opened inside
 * that namespace and filtered down to echo replies. Requests go out in
 * rounds (round k is due k*interval after the first send), a batch at a
 * time, so replies are drained while a large round is still going out; a
 * target that has its replies gets no more requests. Each target has its
 * own echo id (a random base per call plus its index); a reply is matched
 * by socket, id, sequence and source address, and carries its send time
 * back. An ICMP error that quotes one of our requests (a reject rule's
 * port unreachable, a router's host unreachable, an expired TTL) ends
 * its target with that error, in ping's words; a too-big one (a hop's
 * smaller MTU) ends it only with dont_fragment: otherwise the kernel
 * fragments the next request and it may get through, as with ping.
 *
 * A large call is split in two halves, each with its own sockets and poll
 * loop, the second run by a thread of its own: a request to a namespace
 * on this machine makes its whole round trip (veth, bridge, the target's
 * stack and its reply) in the kernel inside the sendto that sends it, on
 * the sender's CPU, so two senders use two CPUs. Raw sockets in one
 * namespace each get a copy of every reply: each half matches its own
 * ids (one contiguous id range for the whole call) and sizes its receive
 * buffers for the replies of the whole call from that namespace. A half
 * that cannot open all its sockets (twice as many descriptors) gives way
 * to one loop, which reports a socket it cannot open as it always did.
 */
#include "probe.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/icmp6.h>
#include <linux/icmp.h> /* ICMP_FILTER: after netinet/in.h */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "now.h"

#define ECHO_HDR 8          /* the ICMP echo header */
#define ECHO_SIZE 56        /* the bytes after it ping sends */
#define RECV_MAX 65536      /* the largest datagram a reply can be */
#define BATCH 64            /* requests sent between two reply drains */
#define PKT_COST 2048       /* socket buffer bytes one packet may hold */
#define BUF_MIN (256 << 10) /* never shrink below about the default */
#define BUF_MAX (64 << 20)  /* cap on the socket buffers we ask for */
#define NS_PER_MS 1000000LL
#define SPLIT_MIN 128 /* targets from which a second thread takes half */

struct slot { /* per-target state beside its result */
  uint16_t id;
  int done;           /* failed or has its replies: no more sends */
  int lost;           /* errno of a request the kernel dropped */
  struct err too_big; /* a hop's MTU error while fragmenting is allowed */
  size_t sock;        /* index of its source's sockets */
  double rtt_sum;
  unsigned char *seen; /* bitmap of answered sequence numbers */
};

struct sock { /* the sockets of one source namespace */
  int netns_fd;
  int fd[2];       /* IPv4, IPv6; -1 when not needed or failed */
  size_t per[2];   /* targets of each family */
  size_t heard[2]; /* replies of each family its sockets get a copy of */
};

struct run {
  struct probe_result *t;
  struct slot *s;
  size_t n, pending; /* targets still waiting for something */
  int count, replies;
  int dont_fragment;
  size_t len;          /* of a request: header and payload */
  unsigned char *pkt;  /* a request being made (len bytes) */
  unsigned char *recv; /* a reply or error being read (RECV_MAX) */
  uint16_t id0;
  int64_t t0; /* first send; replies stamped earlier are not ours */
  struct sock *k;
  size_t nk;
  /* the whole call's targets: a raw socket gets a copy of every reply
     in its namespace, the other half's too */
  const struct probe_result *all; /* (n < nall: r is a half) */
  size_t nall;
  int stop_fd;         /* readable: stop now (the other half's Ctrl-C); -1 */
  struct pollfd *pf;   /* 2 per socket set, and stop_fd's */
  size_t *sock_of;     /* source -> socket set */
  unsigned char *seen; /* the slots' bitmaps */
};

/*
** {======================================================
** Helpers
** =======================================================
*/

static int fam_index (int family) {
  return family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;
}

/* The Internet checksum (RFC 1071) of len bytes. */
static uint16_t inet_csum (const unsigned char *p, size_t len) {
  uint32_t sum = 0;
  for (; len > 1; p += 2, len -= 2) sum += (uint32_t)p[0] << 8 | p[1];
  if (len) sum += (uint32_t)p[0] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static uint16_t get16 (const unsigned char *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16 (unsigned char *p, uint16_t v) {
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

/* A target is finished once it failed or got its replies. */
static void finish (struct run *r, size_t i) {
  if (r->s[i].done) return;
  r->s[i].done = 1;
  r->pending--;
}

/* }====================================================== */

/*
** {======================================================
** Sockets
** =======================================================
*/

/* Ask for bigger buffers so a large round neither blocks on requests
 * queued behind unresolved neighbours nor drops replies. Best effort:
 * the FORCE variants need CAP_NET_ADMIN, the plain ones are capped. */
static void size_buffers (int fd, size_t packets, size_t len) {
  size_t cost = PKT_COST + len;
  int bytes = packets > BUF_MAX / cost ? BUF_MAX : (int)(packets * cost);
  if (bytes < BUF_MIN) bytes = BUF_MIN;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

struct icmp_socket {
  int family; /* AF_INET or AF_INET6 */
  int dont_fragment;
};

/* A raw ICMP/ICMPv6 socket that only lets echo replies and the errors
 * that may quote a request in (without the filter it sees every ICMP
 * message of the namespace); never fragmenting with dont_fragment (else
 * the kernel's default: path MTU discovery, fragments where a request is
 * bigger than the route's MTU). Run inside the source namespace
 * (netns_call). */
static int open_icmp (void *arg, struct err *e) {
  const struct icmp_socket *want = arg;
  int family = want->family, fd;
  if (family == AF_INET)
    fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP);
  else
    fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                IPPROTO_ICMPV6);
  if (fd < 0) {
    if (errno == EPERM || errno == EACCES)
      return err_set(e, errno, "raw ICMP socket needs CAP_NET_RAW");
    return err_errno(e);
  }
  int rc;
  if (family == AF_INET) {
    struct icmp_filter f = {
        .data = ~(1U << ICMP_ECHOREPLY | 1U << ICMP_DEST_UNREACH |
                  1U << ICMP_TIME_EXCEEDED)}; /* set: drop */
    rc = setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof f);
  } else {
    struct icmp6_filter f;
    ICMP6_FILTER_SETBLOCKALL(&f);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
    ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
    ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
    ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
    rc = setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
  }
  int pmtu = family == AF_INET ? IP_PMTUDISC_DO : IPV6_PMTUDISC_DO;
  if (rc == 0 && want->dont_fragment)
    rc = family == AF_INET
             ? setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu)
             : setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu,
                          sizeof pmtu);
  if (rc < 0) {
    err_errno(e);
    close(fd);
    return -1;
  }
  return fd;
}

/* Open the sockets each source needs, inside its namespace. A socket
 * that fails marks the targets that needed it; returns -1 when targets
 * needed sockets and none opened, or in a half when any failed (e: the
 * first failure). */
static int open_sockets (struct run *r, struct err *e) {
  size_t needed = 0, opened = 0;
  struct err first = {0};
  for (size_t i = 0; i < r->n; i++) {
    int f = fam_index(r->t[i].target.family);
    if (f >= 0 && !r->s[i].done) r->k[r->s[i].sock].per[f]++;
  }
  for (size_t j = 0; j < r->nall; j++) {
    int f = fam_index(r->all[j].target.family);
    if (f >= 0) r->k[r->sock_of[r->all[j].source]].heard[f]++;
  }
  for (size_t k = 0; k < r->nk; k++) {
    struct sock *sk = &r->k[k];
    for (int f = 0; f < 2; f++) {
      if (!sk->per[f]) continue;
      struct icmp_socket want = {f ? AF_INET6 : AF_INET, r->dont_fragment};
      struct err fe = {0};
      needed++;
      sk->fd[f] = netns_call(sk->netns_fd, open_icmp, &want, &fe);
      if (sk->fd[f] >= 0) {
        opened++;
        size_buffers(sk->fd[f], sk->heard[f] * (size_t)r->count, r->len);
        continue;
      }
      if (first.code == 0) first = fe;
      for (size_t i = 0; i < r->n; i++)
        if (r->s[i].sock == k && fam_index(r->t[i].target.family) == f &&
            !r->s[i].done) {
          r->t[i].err = fe;
          finish(r, i);
        }
    }
  }
  if ((needed && !opened) || (r->n < r->nall && opened < needed)) {
    *e = first;
    return -1;
  }
  return 0;
}

/* }====================================================== */

/*
** {======================================================
** Requests and replies
** =======================================================
*/

enum { SENT, AGAIN, LOST, FAILED };

/* Send echo request number t->sent to target i. */
static int send_echo (struct run *r, size_t i) {
  struct probe_result *t = &r->t[i];
  int f = fam_index(t->target.family);
  int fd = r->k[r->s[i].sock].fd[f];
  unsigned char *pkt = r->pkt;
  memset(pkt, 0, ECHO_HDR);
  pkt[0] = f ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  put16(pkt + 4, r->s[i].id);
  put16(pkt + 6, (uint16_t)t->sent);
  int64_t ts = now_ns();
  memcpy(pkt + 8, &ts, sizeof ts);
  for (size_t k = 16; k < r->len; k++)
    pkt[k] = (unsigned char)k;                    /* the pattern ping uses */
  if (!f) put16(pkt + 2, inet_csum(pkt, r->len)); /* the kernel does ICMPv6's */

  union {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
  } to = {0};
  socklen_t tolen;
  if (!f) {
    to.in.sin_family = AF_INET;
    memcpy(&to.in.sin_addr, t->target.bytes, 4);
    tolen = sizeof to.in;
  } else {
    to.in6.sin6_family = AF_INET6;
    memcpy(&to.in6.sin6_addr, t->target.bytes, 16);
    tolen = sizeof to.in6;
  }
  while (sendto(fd, pkt, r->len, 0, &to.sa, tolen) < 0) {
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return AGAIN; /* socket buffer full */
    if (errno == ENOBUFS || errno == ENOMEM) {
      r->s[i].lost = errno; /* dropped on the way out: like */
      return LOST;          /* ping, go on with the next one */
    }
    if (errno == EMSGSIZE) /* bigger than the route's MTU, with -M do */
      err_set(&t->err, EMSGSIZE,
              "local error: message too long: %zu bytes with the IP header "
              "are more than the route's MTU, and may not be fragmented",
              r->len + (f ? 40 : 20));
    else
      err_errno(&t->err); /* unreachable etc.: target done */
    finish(r, i);
    return FAILED;
  }
  t->sent++;
  return SENT;
}

/* Is target i the one a packet about (id, addr) read on socket k of
 * family is for? Ids repeat every 65536 targets; the socket (the source
 * namespace) and the address tell them apart. */
static int is_target (const struct run *r, size_t i, size_t k, int family,
                      const void *addr, uint16_t id) {
  const struct probe_result *t = &r->t[i];
  return r->s[i].id == id && r->s[i].sock == k && t->target.family == family &&
         !memcmp(t->target.bytes, addr, family == AF_INET ? 4 : 16);
}

/* Record echo reply (id, seq) from src, read on socket k; anything not
 * ours is ignored. */
static void on_reply (struct run *r, size_t k, int family, const void *src,
                      uint16_t id, uint16_t seq, const unsigned char *data,
                      size_t len, int64_t now) {
  int64_t ts;
  if (len < sizeof ts) return;
  memcpy(&ts, data, sizeof ts);
  if (ts < r->t0 || ts > now) return;
  for (size_t i = (uint16_t)(id - r->id0); i < r->n; i += 65536) {
    struct probe_result *t = &r->t[i];
    struct slot *s = &r->s[i];
    if (!is_target(r, i, k, family, src, id)) continue;
    if (seq >= t->sent || t->err.code || (s->seen[seq / 8] & (1u << seq % 8)))
      continue; /* never sent, or a duplicate */
    s->seen[seq / 8] |= (unsigned char)(1u << seq % 8);
    double ms = (double)(now - ts) / NS_PER_MS;
    if (t->received == 0 || ms < t->rtt_min_ms) t->rtt_min_ms = ms;
    if (ms > t->rtt_max_ms) t->rtt_max_ms = ms;
    s->rtt_sum += ms;
    if (++t->received == r->replies) finish(r, i);
    return;
  }
}

/* An ICMP error's words as ping prints them, and the errno it stands for
 * (the one a connected socket would get). */
struct icmp_error {
  int v6, type, code, errnum;
  const char *text; /* EMSGSIZE: too big, the next hop's MTU follows */
};

static const struct icmp_error icmp_errors[] = {
    {0, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, ENETUNREACH,
     "Destination Net Unreachable"},
    {0, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, EHOSTUNREACH,
     "Destination Host Unreachable"},
    {0, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, ENOPROTOOPT,
     "Destination Protocol Unreachable"},
    {0, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, ECONNREFUSED,
     "Destination Port Unreachable"},
    {0, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, EMSGSIZE,
     "Frag needed and DF set"},
    {0, ICMP_DEST_UNREACH, ICMP_NET_ANO, ENETUNREACH,
     "Destination Net Prohibited"},
    {0, ICMP_DEST_UNREACH, ICMP_HOST_ANO, EHOSTUNREACH,
     "Destination Host Prohibited"},
    {0, ICMP_DEST_UNREACH, ICMP_PKT_FILTERED, EHOSTUNREACH, "Packet filtered"},
    {0, ICMP_DEST_UNREACH, -1, EHOSTUNREACH, "Destination Unreachable"},
    {0, ICMP_TIME_EXCEEDED, -1, EHOSTUNREACH, "Time to live exceeded"},
    {1, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOROUTE, ENETUNREACH,
     "Destination unreachable: No route"},
    {1, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADMIN, EACCES,
     "Destination unreachable: Administratively prohibited"},
    {1, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADDR, EHOSTUNREACH,
     "Destination unreachable: Address unreachable"},
    {1, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOPORT, ECONNREFUSED,
     "Destination unreachable: Port unreachable"},
    {1, ICMP6_DST_UNREACH, -1, EHOSTUNREACH, "Destination unreachable"},
    {1, ICMP6_TIME_EXCEEDED, -1, EHOSTUNREACH, "Time exceeded: Hop limit"},
    {1, ICMP6_PACKET_TOO_BIG, -1, EMSGSIZE, "Packet too big"},
};

/* ICMP error (type, code; mtu: the next hop's, when it is too big) from
 * `from` that quotes an echo request to dst (id, seq): the target it was
 * sent to is done with that error, unless the request was too big and
 * may be fragmented: the kernel has learnt the MTU and fragments the
 * next one (the error is kept for a target nothing answers). */
static void on_error (struct run *r, size_t k, int family, const void *dst,
                      const void *from, int type, int code, uint32_t mtu,
                      uint16_t id, uint16_t seq) {
  const struct icmp_error *m = NULL;
  for (size_t j = 0; j < sizeof icmp_errors / sizeof *icmp_errors && !m; j++) {
    const struct icmp_error *x = &icmp_errors[j];
    if (x->v6 == (family == AF_INET6) && x->type == type &&
        (x->code == code || x->code < 0))
      m = x;
  }
  if (!m) return;
  for (size_t i = (uint16_t)(id - r->id0); i < r->n; i += 65536) {
    struct probe_result *t = &r->t[i];
    if (!is_target(r, i, k, family, dst, id) || seq >= t->sent || r->s[i].done)
      continue;
    char text[INET6_ADDRSTRLEN], what[64];
    if (!inet_ntop(family, from, text, sizeof text)) strcpy(text, "?");
    int too_big = m->errnum == EMSGSIZE;
    if (too_big) /* in ping's words */
      snprintf(what, sizeof what, m->v6 ? "%s: mtu=%u" : "%s (mtu = %u)",
               m->text, (unsigned)mtu);
    else
      snprintf(what, sizeof what, "%s", m->text);
    struct err *to = too_big && !r->dont_fragment ? &r->s[i].too_big : &t->err;
    err_set(to, m->errnum, "From %s icmp_seq=%u %s", text, (unsigned)seq + 1,
            what);
    if (to == &t->err) finish(r, i);
    return;
  }
}

/* Read every queued packet of socket f of source k. IPv4 raw sockets
 * deliver the IP header too; ICMPv6 ones start at the ICMPv6 header,
 * checksum verified. */
static void drain (struct run *r, size_t k, int f) {
  unsigned char *buf = r->recv;
  union {
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
  } from;
  for (;;) {
    socklen_t fromlen = sizeof from;
    ssize_t len = recvfrom(r->k[k].fd[f], buf, RECV_MAX, 0,
                           (struct sockaddr *)&from, &fromlen);
    if (len < 0) {
      if (errno == EINTR) continue;
      return; /* EAGAIN: empty */
    }
    int64_t now = now_ns();
    const unsigned char *icmp = buf;
    size_t ilen = (size_t)len;
    if (!f) {
      size_t hl = (size_t)(buf[0] & 0x0f) * 4;
      if (ilen < 20 || buf[0] >> 4 != 4 || hl < 20 || hl > ilen) continue;
      icmp += hl;
      ilen -= hl;
      /* Raw sockets see packets before ICMP checks the checksum. */
      if (ilen < 8 || inet_csum(icmp, ilen) != 0) continue;
      if (icmp[0] == ICMP_ECHOREPLY) {
        on_reply(r, k, AF_INET, &from.in.sin_addr, get16(icmp + 4),
                 get16(icmp + 6), icmp + 8, ilen - 8, now);
        continue;
      }
      /* an error quotes the request's IP header and its first 8 bytes */
      const unsigned char *ip = icmp + 8;
      size_t qhl = ilen >= 9 ? (size_t)(ip[0] & 0x0f) * 4 : 0;
      if (qhl < 20 || ilen < 8 + qhl + 8 || ip[9] != IPPROTO_ICMP ||
          ip[qhl] != ICMP_ECHO)
        continue;
      on_error(r, k, AF_INET, ip + 16, &from.in.sin_addr, icmp[0], icmp[1],
               get16(icmp + 6), get16(ip + qhl + 4), get16(ip + qhl + 6));
    } else {
      if (ilen < 8) continue;
      if (icmp[0] == ICMP6_ECHO_REPLY) {
        on_reply(r, k, AF_INET6, &from.in6.sin6_addr, get16(icmp + 4),
                 get16(icmp + 6), icmp + 8, ilen - 8, now);
        continue;
      }
      /* the request's IPv6 header (40 bytes; ours has no extension
         headers) and its ICMPv6 header */
      const unsigned char *ip = icmp + 8;
      if (ilen < 8 + 40 + 8 || ip[6] != IPPROTO_ICMPV6 ||
          ip[40] != ICMP6_ECHO_REQUEST)
        continue;
      on_error(r, k, AF_INET6, ip + 24, &from.in6.sin6_addr, icmp[0], icmp[1],
               (uint32_t)get16(icmp + 4) << 16 | get16(icmp + 6),
               get16(ip + 44), get16(ip + 46));
    }
  }
}

/* }====================================================== */

/*
** {======================================================
** The poll loop
** =======================================================
*/

struct sched {
  int round;     /* the round being sent (count: all sent) */
  size_t cursor; /* next target within it */
  long wait_out; /* after EAGAIN: the socket to wait POLLOUT on (its
                    index in the poll set, 2k + family), -1 */
};

static int64_t round_due (const struct run *r, const struct sched *sc,
                          int64_t interval) {
  return r->t0 + sc->round * interval;
}

/* Send up to BATCH due requests; stop at a full socket (its buffer is
 * shared by all targets of the family, so wait until it drains). */
static void send_batch (struct run *r, struct sched *sc, int64_t interval,
                        int64_t now) {
  int sent = 0;
  while (sc->round < r->count && sc->wait_out < 0 && sent < BATCH &&
         now >= round_due(r, sc, interval)) {
    size_t i = sc->cursor;
    struct probe_result *t = &r->t[i];
    if (!r->s[i].done) {
      int rc = send_echo(r, i);
      if (rc == AGAIN) {
        sc->wait_out = (long)(2 * r->s[i].sock) + fam_index(t->target.family);
        return;
      }
      sent += rc == SENT;
    }
    if (++sc->cursor == r->n) {
      sc->cursor = 0;
      sc->round++;
    }
  }
}

/* Run r's probes to the end; 1 when a handled signal (Ctrl-C) or the
 * stop descriptor ended it early. */
static int loop (struct run *r, const struct probe_opts *o) {
  int64_t interval = (int64_t)o->interval_ms * NS_PER_MS;
  size_t npf = 2 * r->nk;
  struct pollfd *pf = r->pf;
  struct sched sc = {0, 0, -1};
  r->t0 = now_ns();
  int64_t deadline = r->t0 + (int64_t)o->timeout_ms * NS_PER_MS;
  pf[npf] = (struct pollfd){r->stop_fd, POLLIN, 0}; /* -1: ignored */
  for (;;) {
    int64_t now = now_ns();
    if (r->pending == 0 || now >= deadline) return 0;
    send_batch(r, &sc, interval, now);
    if (r->pending == 0) return 0; /* the last targets failed to send */
    int64_t wake = deadline;
    if (sc.round < r->count && sc.wait_out < 0) {
      int64_t due = round_due(r, &sc, interval);
      if (due < wake) wake = due;
    }
    for (size_t p = 0; p < npf; p++) {
      pf[p].fd = r->k[p / 2].fd[p % 2];
      pf[p].events = POLLIN | ((long)p == sc.wait_out ? POLLOUT : 0);
      pf[p].revents = 0;
    }
    int64_t left = wake > now ? wake - now : 0;
    struct timespec ts = {left / 1000000000LL, left % 1000000000LL};
    int ready = ppoll(pf, npf + 1, &ts, NULL);
    if (ready < 0 && errno == EINTR)
      return 1;               /* a handled signal (Ctrl-C): stop here */
    if (ready <= 0) continue; /* timeout: look at the clock */
    if (pf[npf].revents) return 1;
    for (size_t p = 0; p < npf; p++) {
      if (pf[p].revents & POLLOUT) sc.wait_out = -1;
      if (pf[p].revents & (POLLIN | POLLERR)) drain(r, p / 2, (int)(p % 2));
    }
  }
}

/* }====================================================== */

/*
** {======================================================
** probe_ping
** =======================================================
*/

/* Sources that are the same namespace share one set of sockets: map
 * each source to its set (r->k), by the inode of its descriptor. */
static int group_sources (struct run *r, const int *fds, size_t nsrc,
                          size_t *sock_of) {
  struct stat *st = calloc(nsrc, sizeof *st);
  if (!st) return -1;
  for (size_t j = 0; j < nsrc; j++) {
    int known = fds[j] >= 0 && fstat(fds[j], &st[j]) == 0;
    sock_of[j] = r->nk;
    for (size_t m = 0; known && m < j; m++)
      if (fds[m] >= 0 && st[m].st_dev == st[j].st_dev &&
          st[m].st_ino == st[j].st_ino) {
        sock_of[j] = sock_of[m];
        break;
      }
    if (sock_of[j] == r->nk)
      r->k[r->nk++] = (struct sock){fds[j], {-1, -1}, {0, 0}, {0, 0}};
  }
  free(st);
  return 0;
}

/* Make r ready to probe targets[0..n) of the call's all[0..nall) from
 * the sources, their ids from id0 on: memory, slots, sockets. 0, or -1
 * with e (nothing was sent). */
static int run_open (struct run *r, const int *netns_fds, size_t nsrc,
                     const struct probe_result *all, size_t nall,
                     struct probe_result *targets, size_t n,
                     const struct probe_opts *o, uint16_t id0, struct err *e) {
  int size = o->size ? o->size : ECHO_SIZE;
  *r = (struct run){.t = targets,
                    .n = n,
                    .pending = n,
                    .count = o->count,
                    .replies = o->replies ? o->replies : o->count,
                    .dont_fragment = o->dont_fragment,
                    .len = ECHO_HDR + (size_t)size,
                    .id0 = id0,
                    .all = all,
                    .nall = nall,
                    .stop_fd = -1};
  size_t stride = ((size_t)o->count + 7) / 8;
  r->s = calloc(n, sizeof *r->s);
  r->k = calloc(nsrc, sizeof *r->k);
  r->sock_of = calloc(nsrc, sizeof *r->sock_of);
  r->seen = n <= SIZE_MAX / stride ? calloc(n, stride) : NULL;
  r->pf = calloc(2 * nsrc + 1, sizeof *r->pf);
  r->pkt = malloc(r->len);
  r->recv = malloc(RECV_MAX);
  if (!r->s || !r->k || !r->sock_of || !r->seen || !r->pf || !r->pkt ||
      !r->recv || group_sources(r, netns_fds, nsrc, r->sock_of) < 0)
    return err_set(e, ENOMEM, NULL);
  for (size_t i = 0; i < n; i++) {
    struct probe_result *t = &targets[i];
    r->s[i].id = (uint16_t)(id0 + i);
    r->s[i].seen = r->seen + i * stride;
    r->s[i].sock = r->sock_of[t->source];
    t->sent = t->received = 0;
    t->rtt_min_ms = t->rtt_avg_ms = t->rtt_max_ms = 0;
    t->err.code = 0;
    t->err.reason[0] = '\0';
    if (fam_index(t->target.family) < 0) {
      err_set(&t->err, EAFNOSUPPORT, "not an IPv4 or IPv6 address");
      finish(r, i);
    }
  }
  return open_sockets(r, e);
}

/* The results a finished loop leaves in its slots. */
static void run_results (struct run *r) {
  for (size_t i = 0; i < r->n; i++) {
    struct probe_result *t = &r->t[i];
    if (t->received) t->rtt_avg_ms = r->s[i].rtt_sum / t->received;
    if (t->sent == 0 && t->err.code == 0 && r->s[i].lost)
      err_set(&t->err, r->s[i].lost, NULL); /* say why nothing went out */
    if (t->received == 0 && t->err.code == 0 && r->s[i].too_big.code)
      t->err = r->s[i].too_big; /* what the last hop said, if nothing */
  }
}

static void run_close (struct run *r) {
  for (size_t k = 0; r->k && k < r->nk; k++)
    for (int f = 0; f < 2; f++)
      if (r->k[k].fd[f] >= 0) close(r->k[k].fd[f]);
  free(r->recv);
  free(r->pkt);
  free(r->pf);
  free(r->seen);
  free(r->sock_of);
  free(r->k);
  free(r->s);
  *r = (struct run){.stop_fd = -1};
}

struct half {
  struct run *r;
  const struct probe_opts *o;
  int done_fd; /* the thread's loop is over: readable */
};

static void signal_fd (int fd) {
  uint64_t one = 1;
  while (write(fd, &one, sizeof one) < 0 && errno == EINTR) {}
}

static void *half_main (void *arg) {
  struct half *h = arg;
  loop(h->r, h->o);
  signal_fd(h->done_fd);
  return NULL;
}

/* Wait for the thread's half to end; a Ctrl-C meanwhile stops it. */
static void wait_half (const struct half *h, int stop_fd) {
  struct pollfd pf = {h->done_fd, POLLIN, 0};
  while (ppoll(&pf, 1, NULL, NULL) < 0) {
    if (errno != EINTR) return; /* (the join waits for it then) */
    signal_fd(stop_fd);
  }
}

/* Start the second half's loop in a thread of its own, with every signal
 * blocked (Ctrl-C is the caller's; it stops this one through stop_fd).
 * 0, or -1 when there is no thread to be had. */
static int start_half (pthread_t *th, struct half *h) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(th, NULL, half_main, h);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc == 0 ? 0 : -1;
}

/* Probe in two halves, the second in a thread; -1 (nothing sent) when a
 * half cannot be made ready or run: the caller probes in one loop. */
static int run_split (const int *netns_fds, size_t nsrc,
                      struct probe_result *targets, size_t n,
                      const struct probe_opts *o, uint16_t id0) {
  struct run a = {.stop_fd = -1}, b = {.stop_fd = -1};
  struct err e;
  size_t half = n / 2;
  int stop = eventfd(0, EFD_CLOEXEC), done = eventfd(0, EFD_CLOEXEC);
  int rc = -1;
  if (stop >= 0 && done >= 0 &&
      run_open(&a, netns_fds, nsrc, targets, n, targets, half, o, id0, &e) ==
          0 &&
      run_open(&b, netns_fds, nsrc, targets, n, targets + half, n - half, o,
               (uint16_t)(id0 + half), &e) == 0) {
    pthread_t th;
    struct half h = {&b, o, done};
    b.stop_fd = stop;
    if (start_half(&th, &h) == 0) {
      if (loop(&a, o)) signal_fd(stop); /* Ctrl-C: the other half stops too */
      wait_half(&h, stop);
      pthread_join(th, NULL);
      run_results(&a);
      run_results(&b);
      rc = 0;
    }
  }
  run_close(&a);
  run_close(&b);
  if (stop >= 0) close(stop);
  if (done >= 0) close(done);
  return rc;
}

/* How many CPUs this process may run on (1 when it cannot tell). */
static int cpus (void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) < 0) return 1;
  return CPU_COUNT(&set);
}

int probe_run (const int *netns_fds, size_t nsrc, struct probe_result *targets,
               size_t n, const struct probe_opts *o, struct err *e) {
  int size = o->size ? o->size : ECHO_SIZE;
  if (o->count < 1 || o->count > 65536 || o->replies < 0 ||
      o->replies > o->count || o->interval_ms < 0 || o->timeout_ms <= 0 ||
      size < PROBE_SIZE_MIN || size > PROBE_SIZE_MAX)
    return err_set(e, EINVAL,
                   "invalid options: count 1..65536, replies 0..count, "
                   "interval >= 0, timeout > 0, size %d..%d",
                   PROBE_SIZE_MIN, PROBE_SIZE_MAX);
  for (size_t i = 0; i < n; i++)
    if (targets[i].source >= nsrc)
      return err_set(e, EINVAL, "target %zu: no source %zu", i + 1,
                     targets[i].source);
  if (n == 0) return 0;
  uint16_t id0;
  if (getrandom(&id0, sizeof id0, GRND_NONBLOCK) != sizeof id0)
    id0 = (uint16_t)(now_ns() ^ getpid());
  if (n >= SPLIT_MIN && cpus() > 1 &&
      run_split(netns_fds, nsrc, targets, n, o, id0) == 0)
    return 0;
  struct run r;
  int rc = run_open(&r, netns_fds, nsrc, targets, n, targets, n, o, id0, e);
  if (rc == 0) {
    loop(&r, o);
    run_results(&r);
  }
  run_close(&r);
  return rc;
}

int probe_ping (int netns_fd, struct probe_result *targets, size_t n,
                const struct probe_opts *o, struct err *e) {
  for (size_t i = 0; i < n; i++) targets[i].source = 0;
  return probe_run(&netns_fd, 1, targets, n, o, e);
}

/* }====================================================== */
