/*
 * addr.c - interface addresses over rtnetlink.
 */
#include "addr.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

/* The scope `ip addr add` gives: host for 127/8 and ::1, else global
 * (the kernel itself picks link scope for fe80::/10). */
static unsigned char default_scope (const struct ipaddr *a) {
  static const unsigned char loopback6[16] = {[15] = 1};
  if (a->family == AF_INET && a->bytes[0] == 127) return RT_SCOPE_HOST;
  if (a->family == AF_INET6 && !memcmp(a->bytes, loopback6, 16))
    return RT_SCOPE_HOST;
  return RT_SCOPE_UNIVERSE;
}

static struct nlmsghdr *addr_msg (struct nl *nl, void *buf, uint16_t type,
                                  uint16_t flags, int ifindex,
                                  const struct ipaddr *prefix) {
  struct nlmsghdr *nlh = nl_msg(nl, buf, type, flags);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
  ifa->ifa_family = (unsigned char)prefix->family;
  ifa->ifa_prefixlen = (unsigned char)prefix->prefixlen;
  ifa->ifa_index = (unsigned)ifindex;
  ifa->ifa_scope = default_scope(prefix);
  mnl_attr_put(nlh, IFA_LOCAL, ipaddr_len(prefix), prefix->bytes);
  mnl_attr_put(nlh, IFA_ADDRESS, ipaddr_len(prefix), prefix->bytes);
  return nlh;
}

static int need_prefix (const struct ipaddr *prefix, struct err *e) {
  if (!prefix->family || prefix->prefixlen < 0)
    return err_set(e, EINVAL, "an address needs a prefix length (a.b.c.d/N)");
  return 0;
}

struct nlmsghdr *addr_build (struct nl *nl, void *buf, uint16_t type,
                             int ifindex, const struct ipaddr *prefix,
                             const struct ipaddr *broadcast, unsigned flags,
                             struct err *e) {
  if (need_prefix(prefix, e) < 0) return NULL;
  uint16_t nl_flags = type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0;
  struct nlmsghdr *nlh = addr_msg(nl, buf, type, nl_flags, ifindex, prefix);
  if (broadcast && broadcast->family == AF_INET)
    mnl_attr_put(nlh, IFA_BROADCAST, 4, broadcast->bytes);
  if (flags) {
    struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    ifa->ifa_flags = (unsigned char)flags;
    mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
  }
  return nlh;
}

int addr_add (struct nl *nl, int ifindex, const struct ipaddr *prefix,
              const struct ipaddr *broadcast, unsigned flags, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh =
      addr_build(nl, buf, RTM_NEWADDR, ifindex, prefix, broadcast, flags, e);
  return nlh ? nl_request(nl, nlh, e) : -1;
}

int addr_del (struct nl *nl, int ifindex, const struct ipaddr *prefix,
              struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh =
      addr_build(nl, buf, RTM_DELADDR, ifindex, prefix, NULL, 0, e);
  return nlh ? nl_request(nl, nlh, e) : -1;
}

/*
** {======================================================
** Reading addresses
** =======================================================
*/

static void take_addr (struct ipaddr *dst, const struct nlattr *attr,
                       int family, int prefixlen) {
  ipaddr_from_bytes(dst, family, mnl_attr_get_payload(attr),
                    mnl_attr_get_payload_len(attr), prefixlen);
}

struct addr_parse {
  struct addr_info *info;
  int family, prefixlen;
  struct ipaddr address; /* IFA_ADDRESS, the peer on point-to-point */
};

static int addr_attr (const struct nlattr *attr, void *data) {
  struct addr_parse *p = data;
  struct addr_info *a = p->info;
  size_t len = mnl_attr_get_payload_len(attr);
  switch (mnl_attr_get_type(attr)) {
  case IFA_LOCAL: take_addr(&a->local, attr, p->family, p->prefixlen); break;
  case IFA_ADDRESS:
    take_addr(&p->address, attr, p->family, p->prefixlen);
    break;
  case IFA_BROADCAST: take_addr(&a->broadcast, attr, p->family, -1); break;
  case IFA_FLAGS:
    if (len == 4) a->flags = mnl_attr_get_u32(attr);
    break;
  case IFA_LABEL: {
    size_t n = strnlen(mnl_attr_get_payload(attr), len);
    if (n >= sizeof a->label) n = sizeof a->label - 1;
    memcpy(a->label, mnl_attr_get_payload(attr), n);
    a->label[n] = '\0';
    break;
  }
  case IFA_CACHEINFO:
    if (len >= sizeof(struct ifa_cacheinfo)) {
      const struct ifa_cacheinfo *ci = mnl_attr_get_payload(attr);
      a->valid_lft = ci->ifa_valid;
      a->preferred_lft = ci->ifa_prefered;
    }
    break;
  }
  return MNL_CB_OK;
}

/* IPv4 reports the interface's own address in IFA_LOCAL and the peer (or
 * the same address) in IFA_ADDRESS; IPv6 gives only IFA_ADDRESS. */
int addr_parse (const struct nlmsghdr *nlh, struct addr_info *a) {
  const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *ifa)) return -1;
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return 0;
  struct addr_parse p = {a, ifa->ifa_family, ifa->ifa_prefixlen, {0}};
  memset(a, 0, sizeof *a);
  a->ifindex = (int)ifa->ifa_index;
  a->scope = ifa->ifa_scope;
  a->flags = ifa->ifa_flags;
  a->valid_lft = a->preferred_lft = 0xffffffffu;
  if (mnl_attr_parse(nlh, sizeof *ifa, addr_attr, &p) < 0) return -1;
  if (!a->local.family)
    a->local = p.address;
  else if (p.address.family && memcmp(p.address.bytes, a->local.bytes, 16))
    a->peer = p.address;
  return a->local.family ? 1 : 0;
}

static int parse_listed (const struct nlmsghdr *nlh, void *item) {
  return addr_parse(nlh, item);
}

/* With strict checking the kernel filters a dump by ifa_index instead
 * of ignoring it. */
static int strict (struct nl *nl, int on) {
  return setsockopt(mnl_socket_get_fd(nl->sock), SOL_NETLINK,
                    NETLINK_GET_STRICT_CHK, &on, sizeof on);
}

int addr_list (struct nl *nl, int family, int ifindex, struct addr_info **out,
               size_t *count, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_GETADDR, 0);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
  ifa->ifa_family = (unsigned char)family;
  ifa->ifa_index = ifindex > 0 ? (unsigned)ifindex : 0;
  int filtered = ifindex > 0 && strict(nl, 1) == 0;
  int rc = nl_collect(nl, nlh, RTM_NEWADDR, parse_listed, sizeof **out,
                      (void **)out, count, e);
  if (filtered) strict(nl, 0);
  if (rc < 0 || ifindex <= 0) return rc;
  /* Kernels without strict checking send every device's. */
  size_t kept = 0;
  for (size_t i = 0; i < *count; i++)
    if ((*out)[i].ifindex == ifindex) (*out)[kept++] = (*out)[i];
  *count = kept;
  return 0;
}

/* }====================================================== */
