/*
 * probe_tcp.h - TCP connects and UDP echoes to many targets from many
 * namespaces at once, with the listeners that answer them, from one poll
 * loop.
 *
 * Every probe has its own socket, made inside its source namespace: TCP a
 * non-blocking connect (reached: the handshake completed), UDP a datagram
 * carrying a token, sent again each interval until the listener echoes it
 * (reached: the token came back). Listeners are made inside their
 * namespaces for the duration of the call: a TCP one accepts (and closes)
 * what arrives, a UDP one sends each datagram back from the address it
 * came to. Every socket has IP_RECVERR, so an ICMP error that ended a
 * probe is told apart from a TCP reset and from silence.
 */
#ifndef NSLAB_PROBE_TCP_H
#define NSLAB_PROBE_TCP_H

#include <stddef.h>

#include "err.h"
#include "ipaddr.h"

enum { PORT_TCP, PORT_UDP };

/* How a probe ended. */
enum port_how {
  PORT_REACHED, /* handshake completed / echo came back */
  PORT_RESET,   /* TCP: refused by a reset (RST) */
  PORT_ICMP,    /* an ICMP error came back (icmp_* say which, from whom) */
  PORT_TIMEOUT, /* nothing came back before the deadline */
  PORT_LOCAL,   /* the source's own stack refused (no route: ENETUNREACH) */
};

struct port_probe {
  struct ipaddr target;    /* in: the address to reach */
  int port;                /* in: 1..65535 */
  size_t source;           /* in: index of its source namespace */
  enum port_how how;       /* out */
  int sent;                /* out: SYNs started (TCP: 0 or 1), datagrams */
  double rtt_ms;           /* out: when reached */
  char icmp[80];           /* out, PORT_ICMP: "ICMP port unreachable" */
  struct ipaddr icmp_from; /* out, PORT_ICMP: who sent it (family 0: ?) */
  struct err err; /* out: why it was not reached (code 0 when it was) */
};

struct port_listener {
  size_t netns; /* in: index of its namespace */
  int port;     /* in: 1..65535, on every address of the namespace */
  int served;   /* out: connections accepted / datagrams echoed */
};

struct port_opts {
  int proto;       /* PORT_TCP, PORT_UDP */
  int timeout_ms;  /* overall deadline from the first send (> 0) */
  int count;       /* UDP: datagrams per probe at most (>= 1) */
  int interval_ms; /* UDP: between two datagrams of one probe */
};

/* Make the listeners (in netns_fds[l->netns]), run every probe (from
 * netns_fds[p->source]; -1: the current namespace) until each is done or
 * the deadline passes, then close everything. Returns -1, nothing sent,
 * when a listener or a socket cannot be made (e says which); a probe that
 * failed on the way has its own err. */
int port_probe_run (const int *netns_fds, size_t nns, struct port_probe *p,
                    size_t n, struct port_listener *l, size_t nl,
                    const struct port_opts *o, struct err *e);

#endif
