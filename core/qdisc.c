/*
 * qdisc.c - a device's root qdisc over rtnetlink (see qdisc.h).
 *
 * What tc computes (tc/tc_core.c, tc/q_tbf.c), done the same way so that
 * both make the same qdisc: /proc/net/psched gives the ticks per
 * microsecond; a transmit time is microseconds truncated, then ticks
 * truncated; tbf's rate table has the transmit times of 256 sizes of
 * 2^cell_log bytes each, cell_log the smallest that covers an MTU of 2047.
 */
#include "qdisc.h"

#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define TIME_UNITS_PER_SEC 1000000 /* tc's time unit: microseconds */
#define RTAB_MTU 2047              /* tc's default when none is given */
#define NETEM_LIMIT 1000

/* Ticks per microsecond, as tc_core_init reads them. */
static double tick_in_usec (void) {
  static double ticks;
  if (ticks > 0) return ticks;
  unsigned t2us = 1000, us2t = 64, clock_res = 1000000; /* 6.x defaults */
  FILE *f = fopen("/proc/net/psched", "re");
  if (f) {
    unsigned a, b, c;
    if (fscanf(f, "%08x%08x%08x", &a, &b, &c) == 3 && b) {
      t2us = a;
      us2t = b;
      clock_res = c;
    }
    fclose(f);
  }
  if (clock_res == 1000000000) t2us = us2t; /* tc's compatibility hack */
  ticks = (double)t2us / us2t * ((double)clock_res / TIME_UNITS_PER_SEC);
  return ticks;
}

static uint32_t time2tick (uint32_t us) {
  return (uint32_t)(us * tick_in_usec());
}

uint32_t qdisc_xmittime (uint64_t rate, uint32_t size) {
  return time2tick((uint32_t)(TIME_UNITS_PER_SEC * ((double)size / rate)));
}

uint32_t qdisc_tbf_limit (const struct qdisc_tbf *t) {
  double limit =
      (double)t->rate * t->latency_us / TIME_UNITS_PER_SEC + t->burst;
  return limit >= 4294967295.0 ? ~0U : (uint32_t)limit;
}

static struct nlmsghdr *qdisc_msg (struct nl *nl, char *buf, uint16_t type,
                                   uint16_t flags, int ifindex,
                                   const char *kind) {
  struct nlmsghdr *nlh = nl_msg(nl, buf, type, flags);
  struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof *tcm);
  tcm->tcm_family = AF_UNSPEC;
  tcm->tcm_ifindex = ifindex;
  tcm->tcm_parent = TC_H_ROOT;
  if (kind) mnl_attr_put_strz(nlh, TCA_KIND, kind);
  return nlh;
}

int qdisc_tbf (struct nl *nl, int ifindex, const struct qdisc_tbf *t,
               struct err *e) {
  if (t->rate == 0 || t->burst == 0)
    return err_set(e, EINVAL, "a tbf needs a rate and a burst above 0");
  struct tc_tbf_qopt q;
  uint32_t rtab[256];
  memset(&q, 0, sizeof q);
  uint32_t rate32 = t->rate >= 1ULL << 32 ? ~0U : (uint32_t)t->rate;
  int cell_log = 0;
  while ((RTAB_MTU >> cell_log) > 255) cell_log++;
  for (int i = 0; i < 256; i++)
    rtab[i] = qdisc_xmittime(rate32, (uint32_t)(i + 1) << cell_log);
  q.rate.rate = rate32;
  q.rate.cell_log = (unsigned char)cell_log;
  q.rate.cell_align = -1;
  q.rate.linklayer = TC_LINKLAYER_ETHERNET;
  q.limit = qdisc_tbf_limit(t);
  q.buffer = qdisc_xmittime(t->rate, t->burst);
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = qdisc_msg(
      nl, buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex, "tbf");
  struct nlattr *opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
  mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof q, &q);
  mnl_attr_put_u32(nlh, TCA_TBF_BURST, t->burst);
  if (t->rate >= 1ULL << 32) mnl_attr_put_u64(nlh, TCA_TBF_RATE64, t->rate);
  mnl_attr_put(nlh, TCA_TBF_RTAB, sizeof rtab, rtab);
  mnl_attr_nest_end(nlh, opts);
  return nl_request(nl, nlh, e);
}

int qdisc_netem (struct nl *nl, int ifindex, const struct qdisc_netem *n,
                 struct err *e) {
  struct tc_netem_qopt q;
  memset(&q, 0, sizeof q);
  q.latency = time2tick(n->delay_us);
  q.jitter = time2tick(n->jitter_us);
  q.limit = n->limit ? n->limit : NETEM_LIMIT;
  /* tc: a percentage as a fraction of 2^32 - 1 */
  q.loss = (uint32_t)(n->loss / 100 * (double)UINT32_MAX);
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = qdisc_msg(
      nl, buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex, "netem");
  /* netem's options are its struct itself, attributes after it */
  mnl_attr_put(nlh, TCA_OPTIONS, sizeof q, &q);
  if (nl_request(nl, nlh, e) == 0) return 0;
  if (e->code == ENOENT) {
    char said[sizeof e->reason];
    snprintf(said, sizeof said, "%s", err_text(e)); /* e is rewritten */
    return err_set(e, ENOENT,
                   "this kernel has no netem qdisc (%s): delay and loss need "
                   "it (CONFIG_NET_SCH_NETEM); a rate alone works, through tbf",
                   said);
  }
  return -1;
}

int qdisc_del_root (struct nl *nl, int ifindex, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  return nl_request(nl, qdisc_msg(nl, buf, RTM_DELQDISC, 0, ifindex, NULL), e);
}
