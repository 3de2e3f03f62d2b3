/*
 * neigh.c - neighbours and forwarding database entries over rtnetlink.
 */
#include "neigh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

void neigh_info_init (struct neigh_info *n, int family, int ifindex) {
  memset(n, 0, sizeof *n);
  n->family = family;
  n->ifindex = ifindex;
  n->vlan = -1;
}

static struct nlmsghdr *neigh_msg (struct nl *nl, void *buf, uint16_t type,
                                   uint16_t flags, const struct neigh_info *n) {
  struct nlmsghdr *nlh = nl_msg(nl, buf, type, flags);
  struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof *ndm);
  ndm->ndm_family = (unsigned char)n->family;
  ndm->ndm_ifindex = n->ifindex;
  ndm->ndm_state = (uint16_t)n->state;
  ndm->ndm_flags = (uint8_t)n->flags;
  if (n->family != AF_BRIDGE)
    mnl_attr_put(nlh, NDA_DST, ipaddr_len(&n->dst), n->dst.bytes);
  if (n->lladdr_len)
    mnl_attr_put(nlh, NDA_LLADDR, (size_t)n->lladdr_len, n->lladdr);
  if (n->vlan >= 0) mnl_attr_put_u16(nlh, NDA_VLAN, (uint16_t)n->vlan);
  return nlh;
}

/* The family must match the address: the kernel would read 4 bytes of an
 * IPv6 address as IPv4, or refuse with a bare EINVAL. */
static int entry_ok (const struct neigh_info *n, struct err *e) {
  if (n->family == AF_BRIDGE) {
    if (!n->lladdr_len) return err_set(e, EINVAL, "a MAC address is required");
    return 0;
  }
  if (!n->dst.family)
    return err_set(e, EINVAL, "a destination address is required");
  if (n->dst.family != n->family)
    return err_set(e, EINVAL, "address family mismatch");
  return 0;
}

/* An FDB entry for the bridge (NTF_MASTER) on a device that is no
 * bridge's port is refused with a bare EOPNOTSUPP: say why. */
static int request (struct nl *nl, struct nlmsghdr *nlh,
                    const struct neigh_info *n, struct err *e) {
  if (nl_request(nl, nlh, e) == 0) return 0;
  if (e->code == EOPNOTSUPP && !e->reason[0] && (n->flags & NTF_MASTER))
    err_set(e, EOPNOTSUPP, "%s (not a bridge port)", strerror(EOPNOTSUPP));
  return -1;
}

/* Is there an entry for n's address on its device (RTM_GETNEIGH takes
 * only NDA_DST and a bare header)? */
static int neigh_exists (struct nl *nl, const struct neigh_info *n) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_GETNEIGH, 0);
  struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof *ndm);
  struct err ignored;
  ndm->ndm_family = (unsigned char)n->family;
  ndm->ndm_ifindex = n->ifindex;
  mnl_attr_put(nlh, NDA_DST, ipaddr_len(&n->dst), n->dst.bytes);
  return nl_get(nl, nlh, NULL, NULL, &ignored) == 0;
}

struct nlmsghdr *neigh_build (struct nl *nl, void *buf, uint16_t type,
                              const struct neigh_info *n, struct err *e) {
  if (entry_ok(n, e) < 0) return NULL;
  uint16_t flags = type == RTM_NEWNEIGH ? NLM_F_CREATE | NLM_F_REPLACE : 0;
  return neigh_msg(nl, buf, type, flags, n);
}

int neigh_add (struct nl *nl, const struct neigh_info *n, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct err ignored;
  if (entry_ok(n, e) < 0) return -1;
  /* Without a link-layer address the kernel creates the entry first and
     then refuses it ("No link layer address given"), leaving an empty one
     behind; take back what it made, never one that was there. */
  int existed = n->family != AF_BRIDGE && !n->lladdr_len && neigh_exists(nl, n);
  if (request(nl, neigh_build(nl, buf, RTM_NEWNEIGH, n, e), n, e) == 0)
    return 0;
  if (n->family != AF_BRIDGE && !n->lladdr_len && !existed)
    neigh_del(nl, n, &ignored);
  return -1;
}

int neigh_del (struct nl *nl, const struct neigh_info *n, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = neigh_build(nl, buf, RTM_DELNEIGH, n, e);
  return nlh ? request(nl, nlh, n, e) : -1;
}

/*
** {======================================================
** Reading entries
** =======================================================
*/

static int neigh_attr (const struct nlattr *attr, void *data) {
  struct neigh_info *n = data;
  size_t len = mnl_attr_get_payload_len(attr);
  switch (mnl_attr_get_type(attr)) {
  case NDA_DST:
    ipaddr_from_bytes(&n->dst, n->family, mnl_attr_get_payload(attr), len, -1);
    break;
  case NDA_LLADDR:
    if (len <= LINK_ADDR_MAX) {
      memcpy(n->lladdr, mnl_attr_get_payload(attr), len);
      n->lladdr_len = (int)len;
    }
    break;
  case NDA_MASTER:
    if (len == 4) n->master = (int)mnl_attr_get_u32(attr);
    break;
  case NDA_VLAN:
    if (len == 2) n->vlan = mnl_attr_get_u16(attr);
    break;
  case NDA_CACHEINFO:
    if (len >= sizeof(struct nda_cacheinfo)) {
      const struct nda_cacheinfo *ci = mnl_attr_get_payload(attr);
      n->used = ci->ndm_used;
      n->confirmed = ci->ndm_confirmed;
      n->updated = ci->ndm_updated;
      n->has_cacheinfo = 1;
    }
    break;
  }
  return MNL_CB_OK;
}

/* Proxy entries (NTF_PROXY) only come when asked for; none are. */
int neigh_parse (const struct nlmsghdr *nlh, struct neigh_info *n) {
  const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *ndm)) return -1;
  neigh_info_init(n, ndm->ndm_family, ndm->ndm_ifindex);
  n->state = ndm->ndm_state;
  n->flags = ndm->ndm_flags;
  return mnl_attr_parse(nlh, sizeof *ndm, neigh_attr, n) < 0 ? -1 : 1;
}

static int parse_listed (const struct nlmsghdr *nlh, void *item) {
  return neigh_parse(nlh, item);
}

int neigh_list (struct nl *nl, int family, struct neigh_info **out,
                size_t *count, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_GETNEIGH, 0);
  struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof *ndm);
  ndm->ndm_family = (unsigned char)family;
  if (nl_collect(nl, nlh, RTM_NEWNEIGH, parse_listed, sizeof **out,
                 (void **)out, count, e) < 0)
    return -1;
  /* An AF_UNSPEC dump also holds every family's, the bridge's FDB too. */
  size_t kept = 0;
  for (size_t i = 0; i < *count; i++)
    if (family != AF_UNSPEC || (*out)[i].family == AF_INET ||
        (*out)[i].family == AF_INET6)
      (*out)[kept++] = (*out)[i];
  *count = kept;
  return 0;
}

/* }====================================================== */
