/*
 * rtnames.c - see rtnames.h; the same names as iproute2's rt_names.c.
 */
#include "rtnames.h"

#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct rtname rtnames_scope[] = {
    {RT_SCOPE_UNIVERSE, "global"}, {RT_SCOPE_SITE, "site"},
    {RT_SCOPE_LINK, "link"},       {RT_SCOPE_HOST, "host"},
    {RT_SCOPE_NOWHERE, "nowhere"}, {0, NULL}};

const struct rtname rtnames_type[] = {{RTN_UNICAST, "unicast"},
                                      {RTN_LOCAL, "local"},
                                      {RTN_BROADCAST, "broadcast"},
                                      {RTN_ANYCAST, "anycast"},
                                      {RTN_MULTICAST, "multicast"},
                                      {RTN_BLACKHOLE, "blackhole"},
                                      {RTN_UNREACHABLE, "unreachable"},
                                      {RTN_PROHIBIT, "prohibit"},
                                      {RTN_THROW, "throw"},
                                      {RTN_NAT, "nat"},
                                      {0, NULL}};

const struct rtname rtnames_protocol[] = {
    {RTPROT_UNSPEC, "unspec"}, {RTPROT_REDIRECT, "redirect"},
    {RTPROT_KERNEL, "kernel"}, {RTPROT_BOOT, "boot"},
    {RTPROT_STATIC, "static"}, {RTPROT_RA, "ra"},
    {RTPROT_DHCP, "dhcp"},     {0, NULL}};

const struct rtname rtnames_table[] = {{RT_TABLE_DEFAULT, "default"},
                                       {RT_TABLE_MAIN, "main"},
                                       {RT_TABLE_LOCAL, "local"},
                                       {0, NULL}};

const char *rtname_of (const struct rtname *names, unsigned value, char *buf,
                       size_t len) {
  for (const struct rtname *n = names; n->name; n++)
    if (n->value == value) return n->name;
  snprintf(buf, len, "%u", value);
  return buf;
}

long rtname_value (const struct rtname *names, const char *text) {
  char *end;
  for (const struct rtname *n = names; n->name; n++)
    if (!strcmp(n->name, text)) return (long)n->value;
  if (*text < '0' || *text > '9') return -1;
  unsigned long v = strtoul(text, &end, 10);
  return (*end || v > 0xffffffffUL) ? -1 : (long)v;
}
