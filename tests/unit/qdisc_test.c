/*
 * qdisc_test.c - tc's arithmetic for a tbf, as qdisc.c does it: transmit
 * times in the kernel's ticks (/proc/net/psched: 64 ns, so 15.625 per
 * microsecond), the queue limit from rate, latency and burst. The numbers
 * are what `tc qdisc add ... tbf` sends for the same words.
 */
#include "../../core/qdisc.h"
#include "unit.h"

static void transmit_times (void) {
  /* 10mbit: 1250000 bytes/s; 15140 bytes take 12112 us = 189250 ticks */
  UNIT_CHECK(qdisc_xmittime(1250000, 15140) == 189250,
             "burst 15140 at 10mbit: %u ticks", qdisc_xmittime(1250000, 15140));
  /* microseconds are truncated before ticks: 8 bytes at 10mbit is 6.4 us */
  UNIT_CHECK(qdisc_xmittime(1250000, 8) == 93,
             "8 bytes at 10mbit: 6 us, 93 ticks");
  /* a 64-bit rate: 100gbit, 100000 bytes take 8 us */
  UNIT_CHECK(qdisc_xmittime(12500000000ULL, 100000) == 125,
             "100000 bytes at 100gbit: 125 ticks");
}

static void limits (void) {
  struct qdisc_tbf t = {1250000, 15140, 50000};
  UNIT_CHECK(qdisc_tbf_limit(&t) == 77640,
             "10mbit, 50ms, burst 15140: limit 77640 bytes");
  struct qdisc_tbf big = {12500000000ULL, 100000, 10000};
  UNIT_CHECK(qdisc_tbf_limit(&big) == 125100000,
             "100gbit, 10ms: the 64-bit rate counts");
  struct qdisc_tbf huge = {12500000000ULL, 100000, 60000000};
  UNIT_CHECK(qdisc_tbf_limit(&huge) == 0xffffffffu,
             "a limit past 32 bits is capped");
}

int main (void) {
  transmit_times();
  limits();
  return UNIT_END();
}
