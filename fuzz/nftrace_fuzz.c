/*
 * nftrace_fuzz.c - NFT_MSG_TRACE events (nftrace_parse, through libnftnl's
 * nftnl_trace_nlmsg_parse): any bytes, no crash; what parses has words.
 */
#include <stdlib.h>

#include "../core/nftrace.h"
#include "nlreply.h"

static void each (const struct nlmsghdr *nlh) {
  struct nftrace_event ev;
  char text[IPADDR_TEXT_MAX];
  if (nftrace_parse(nlh, &ev) != 1) return;
  if (!nftrace_type_name(ev.type) || !nftrace_verdict_name(ev.verdict) ||
      !nftrace_verdict_name(ev.policy) ||
      strnlen(ev.table, NFT_TEXT_MAX) == NFT_TEXT_MAX ||
      strnlen(ev.chain, NFT_TEXT_MAX) == NFT_TEXT_MAX)
    abort();
  ipaddr_format(&ev.saddr, 0, text, sizeof text);
  ipaddr_format(&ev.daddr, 0, text, sizeof text);
  nftrace_icmp_name(ev.protocol, ev.icmp_type);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  nlreply_walk(data, size, each);
  return 0;
}
