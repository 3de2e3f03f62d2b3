/*
 * qdisc.h - a device's root qdisc over rtnetlink, as tc makes it: tbf to
 * shape the rate, netem for delay and loss (where the kernel has it).
 *
 * The numbers are tc's: a rate in bytes per second, sizes in bytes, times
 * in the kernel's packet-scheduler ticks (read from /proc/net/psched as
 * tc reads them), and tbf's rate table of 256 transmit times, so that
 * `tc -j qdisc show` reads back what `tc qdisc replace dev X root tbf
 * rate R burst B latency L` would have made.
 */
#ifndef NSLAB_QDISC_H
#define NSLAB_QDISC_H

#include <stdint.h>

#include "err.h"
#include "nl.h"

struct qdisc_tbf {
  uint64_t rate;       /* bytes per second (> 0) */
  uint32_t burst;      /* bytes the bucket holds (> 0) */
  uint32_t latency_us; /* how long a packet may wait: the queue's limit */
};

struct qdisc_netem {
  uint32_t delay_us, jitter_us;
  double loss;    /* percent, 0..100 */
  uint32_t limit; /* packets (0: 1000, tc's default) */
};

/* tc's numbers for a tbf: the queue limit in bytes (rate * latency +
 * burst), the bucket as ticks, a transmit time in ticks; exposed for the
 * unit test. */
uint32_t qdisc_tbf_limit (const struct qdisc_tbf *t);
uint32_t qdisc_xmittime (uint64_t rate, uint32_t size);

/* tc qdisc replace dev IFINDEX root tbf ... */
int qdisc_tbf (struct nl *nl, int ifindex, const struct qdisc_tbf *t,
               struct err *e);

/* tc qdisc replace dev IFINDEX root netem ...; a kernel without netem
 * answers ENOENT ("Specified qdisc kind is unknown"): e says netem is
 * missing. */
int qdisc_netem (struct nl *nl, int ifindex, const struct qdisc_netem *n,
                 struct err *e);

/* tc qdisc del dev IFINDEX root (back to the device's default). */
int qdisc_del_root (struct nl *nl, int ifindex, struct err *e);

#endif
