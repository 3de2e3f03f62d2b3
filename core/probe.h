/*
 * probe.h - ICMP echo (ping) from inside namespaces, many probes at once.
 *
 * Raw ICMP/ICMPv6 sockets are created inside each source namespace (so
 * they send from there), every probe runs in parallel from one poll loop
 * over all of them, and replies are matched by socket, echo id, sequence
 * and source address.
 */
#ifndef NSLAB_PROBE_H
#define NSLAB_PROBE_H

#include <stddef.h>

#include "err.h"
#include "ipaddr.h"

struct probe_opts {
  int count;         /* echo requests per target at most (>= 1) */
  int replies;       /* a target is done after this many replies (1..count;
                        0: count): no more requests go to it */
  int interval_ms;   /* between two requests to the same target */
  int timeout_ms;    /* overall deadline from the first send */
  int size;          /* bytes after the ICMP header (ping -s): PROBE_SIZE_MIN ..
                        PROBE_SIZE_MAX; 0: 56, as ping */
  int dont_fragment; /* ping -M do: never fragmented, not even here */
};

#define PROBE_SIZE_MIN 8     /* the send time it carries back */
#define PROBE_SIZE_MAX 65507 /* the largest IPv4 datagram's ICMP payload */

struct probe_result {
  struct ipaddr target; /* in: the address to ping */
  size_t source;        /* in: index of its source namespace */
  int sent, received;   /* out */
  double rtt_min_ms, rtt_avg_ms, rtt_max_ms; /* out, 0 when none */
  struct err err; /* out: code 0, or why sending failed */
};

/* Ping every target from the namespace netns_fd (-1: current). Returns -1
 * only when nothing could be tried (no socket); a target that could not be
 * sent to has its own err. Returns as soon as every target is done (has
 * its replies, or failed), else at the deadline. */
int probe_ping (int netns_fd, struct probe_result *targets, size_t n,
                const struct probe_opts *opts, struct err *e);

/* The same from several namespaces at once: target i is pinged from
 * netns_fds[targets[i].source] (each < nsources; -1: current). Sources
 * that are the same namespace share their sockets. */
int probe_run (const int *netns_fds, size_t nsources,
               struct probe_result *targets, size_t n,
               const struct probe_opts *opts, struct err *e);

#endif
