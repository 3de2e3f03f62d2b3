/*
 * probe.h - ICMP echo (ping) from inside a namespace, many targets at once.
 *
 * Raw ICMP/ICMPv6 sockets are created inside the source namespace (so they
 * send from there), every target is pinged in parallel from one poll loop,
 * and replies are matched by echo id and sequence.
 */
#ifndef NSLAB_PROBE_H
#define NSLAB_PROBE_H

#include <stddef.h>

#include "err.h"
#include "ipaddr.h"

struct probe_opts {
  int count;        /* echo requests per target (>= 1) */
  int interval_ms;  /* between two requests to the same target */
  int timeout_ms;   /* overall deadline from the first send */
};

struct probe_result {
  struct ipaddr target;        /* in: the address to ping */
  int sent, received;          /* out */
  double rtt_min_ms, rtt_avg_ms, rtt_max_ms;  /* out, 0 when none */
  struct err err;              /* out: code 0, or why sending failed */
};

/* Ping every target from the namespace netns_fd (-1: current). Returns -1
 * only when nothing could be tried (no socket); a target that could not be
 * sent to has its own err. Returns early once every target answered
 * `count` times. */
int probe_ping(int netns_fd, struct probe_result *targets, size_t n,
               const struct probe_opts *opts, struct err *e);

#endif
