/*
 * neigh.c - neighbours and forwarding database entries over rtnetlink.
 */
#include "neigh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
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
  /* an FDB entry's NDA_DST is a VXLAN device's remote end (its VTEP) */
  if (n->family != AF_BRIDGE || n->dst.family)
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
** Many entries: several requests per send, every one acknowledged
** =======================================================
*/

size_t neigh_build_many (struct nl *nl, void *buf, uint16_t type,
                         const struct neigh_info *v, size_t n, uint32_t *first,
                         size_t *failed, struct err *e) {
  char *at = buf;
  *first = nl->seq + 1;
  for (size_t i = 0; i < n; i++) {
    struct nlmsghdr *nlh = neigh_build(nl, at, type, &v[i], e);
    if (!nlh) {
      *failed = i;
      return 0;
    }
    nlh->nlmsg_flags |= NLM_F_ACK;
    at += NLMSG_ALIGN(nlh->nlmsg_len);
  }
  return (size_t)(at - (char *)buf);
}

static int ext_ack_attr (const struct nlattr *attr, void *data) {
  const char **msg = data;
  if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
      mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
    *msg = mnl_attr_get_str(attr);
  return MNL_CB_OK;
}

/* An error answer as nl_request reports it: the errno and the kernel's
 * own words (the socket asks for capped extended ACKs). */
static void ack_error (const struct nlmsghdr *nlh, const struct neigh_info *n,
                       struct err *e) {
  const struct nlmsgerr *ne = mnl_nlmsg_get_payload(nlh);
  const char *msg = NULL;
  if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
    unsigned off = sizeof *ne;
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
      off += ne->msg.nlmsg_len - sizeof(struct nlmsghdr);
    if (off <= mnl_nlmsg_get_payload_len(nlh))
      mnl_attr_parse(nlh, off, ext_ack_attr, &msg);
  }
  if (msg && *msg)
    err_set(e, -ne->error, "%s (%s)", strerror(-ne->error), msg);
  else if (-ne->error == EOPNOTSUPP && (n->flags & NTF_MASTER))
    err_set(e, EOPNOTSUPP, "%s (not a bridge port)", strerror(EOPNOTSUPP));
  else
    err_set(e, -ne->error, NULL);
}

/* Send the requests for v[0..k) in one datagram and read their answers
 * into status (0 or an errno, -1 for none yet). The kernel handles the
 * datagram inside sendmsg, each request after the one before whatever
 * its outcome, so every answer is queued by the time it returns: one
 * missing is an error, not a wait. The first refusal's words go to e and
 * its index to *failed. */
static int send_some (struct nl *nl, uint16_t type, const struct neigh_info *v,
                      size_t k, int *status, size_t *failed, struct err *e) {
  char buf[NEIGH_PER_SEND * NEIGH_MSG_MAX], answer[32768];
  uint32_t first;
  size_t len = neigh_build_many(nl, buf, type, v, k, &first, failed, e);
  size_t answered = 0;
  int fd = mnl_socket_get_fd(nl->sock);
  if (!len) return -1;
  for (size_t i = 0; i < k; i++) status[i] = -1;
  if (mnl_socket_sendto(nl->sock, buf, len) < 0) return err_errno(e);
  while (answered < k) {
    ssize_t got = recv(fd, answer, sizeof answer, MSG_DONTWAIT);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return err_set(e, EPROTO, "%s (%zu of %zu requests not acknowledged)",
                     strerror(EPROTO), k - answered, k);
    if (got < 0) return err_errno(e);
    int left = (int)got;
    for (const struct nlmsghdr *nlh = (const void *)answer;
         nl_msg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
      uint32_t i = nlh->nlmsg_seq - first;
      if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != nl->portid ||
          i >= k || status[i] != -1 ||
          nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
        continue; /* not an answer of this send */
      const struct nlmsgerr *ne = mnl_nlmsg_get_payload(nlh);
      status[i] = -ne->error;
      answered++;
      if (status[i] && (*failed == (size_t)-1 || i < *failed)) {
        *failed = i;
        ack_error(nlh, &v[i], e);
      }
    }
  }
  return *failed == (size_t)-1 ? 0 : -1;
}

/* Delete v[i] for every i with undo[i] == 1, answers ignored: the way
 * back of add_marked. */
static void undo_adds (struct nl *nl, const struct neigh_info *v, size_t n,
                       const char *undo) {
  struct neigh_info chunk[NEIGH_PER_SEND];
  int status[NEIGH_PER_SEND];
  size_t k = 0, ignored_index;
  struct err ignored;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && undo[i] == 1) chunk[k++] = v[i];
    if (k == NEIGH_PER_SEND || (i == n && k)) {
      ignored_index = (size_t)-1;
      send_some(nl, RTM_DELNEIGH, chunk, k, status, &ignored_index, &ignored);
      k = 0;
    }
  }
}

/* neigh_add_many with its marks in undo (n bytes, zeroed): 1 for an entry
 * this call made or replaced (what a way back deletes), 2 for one without
 * a link-layer address that was there before (never deleted). On failure
 * it has taken back its own already. */
static int add_marked (struct nl *nl, const struct neigh_info *v, size_t n,
                       char *undo, size_t *failed, struct err *e) {
  int status[NEIGH_PER_SEND];
  size_t sent = 0;
  int rc = 0;
  /* Without a link-layer address the kernel makes an empty entry and then
     refuses it (see neigh_add): such a new one is taken back; one that was
     there stays, failed or not. */
  for (size_t i = 0; i < n; i++)
    if (v[i].family != AF_BRIDGE && !v[i].lladdr_len && neigh_exists(nl, &v[i]))
      undo[i] = 2;
  while (sent < n && rc == 0) {
    size_t k = n - sent < NEIGH_PER_SEND ? n - sent : NEIGH_PER_SEND;
    size_t bad = (size_t)-1;
    rc = send_some(nl, RTM_NEWNEIGH, v + sent, k, status, &bad, e);
    for (size_t i = 0; i < k; i++) {
      int made =
          status[i] == 0 || (status[i] > 0 && v[sent + i].family != AF_BRIDGE &&
                             !v[sent + i].lladdr_len);
      /* an unanswered request may have been carried out */
      if (undo[sent + i] != 2 && (made || status[i] < 0)) undo[sent + i] = 1;
    }
    if (rc < 0) *failed = bad == (size_t)-1 ? n : sent + bad;
    sent += k;
  }
  if (rc < 0) undo_adds(nl, v, n, undo);
  return rc;
}

/* Check v[0..n) whole before anything is sent (*failed, e: the first
 * that is none); 0 or -1. */
static int entries_ok (const struct neigh_info *v, size_t n, size_t *failed,
                       struct err *e) {
  *failed = n;
  e->code = 0;
  e->reason[0] = '\0';
  for (size_t i = 0; i < n; i++)
    if (entry_ok(&v[i], e) < 0) {
      *failed = i;
      return -1;
    }
  return 0;
}

int neigh_add_many (struct nl *nl, const struct neigh_info *v, size_t n,
                    size_t *failed, struct err *e) {
  char *undo;
  if (entries_ok(v, n, failed, e) < 0) return -1;
  if (n == 0) return 0;
  if (!(undo = calloc(n, 1))) return err_set(e, ENOMEM, NULL);
  int rc = add_marked(nl, v, n, undo, failed, e);
  free(undo);
  return rc;
}

int neigh_add_each (struct neigh_batch *b, size_t nb, size_t *bad) {
  for (size_t i = 0; i < nb; i++) /* every entry, before anything is sent */
    if (entries_ok(b[i].v, b[i].n, &b[i].failed, &b[i].e) < 0) {
      *bad = i;
      return -1;
    }
  char **undo = calloc(nb ? nb : 1, sizeof *undo);
  size_t i = 0;
  int rc = 0;
  for (; i < nb; i++) {
    struct neigh_batch *x = &b[i];
    if (!undo || !(undo[i] = calloc(x->n ? x->n : 1, 1))) {
      rc = err_set(&x->e, ENOMEM, NULL);
      break;
    }
    rc = add_marked(x->nl, x->v, x->n, undo[i], &x->failed, &x->e);
    if (rc < 0) break;
  }
  *bad = rc < 0 ? i : nb;
  if (rc < 0) /* what the batches before it made goes again */
    for (size_t j = 0; j < i; j++) undo_adds(b[j].nl, b[j].v, b[j].n, undo[j]);
  for (size_t j = 0; undo && j < nb; j++) free(undo[j]);
  free(undo);
  return rc;
}

/* }====================================================== */

/*
** {======================================================
** Reading entries
** =======================================================
*/

static int neigh_attr (const struct nlattr *attr, void *data) {
  struct neigh_info *n = data;
  size_t len = mnl_attr_get_payload_len(attr);
  switch (mnl_attr_get_type(attr)) {
  case NDA_DST: /* in the FDB: the VTEP, of the family its length says */
    ipaddr_from_bytes(&n->dst,
                      n->family != AF_BRIDGE ? n->family
                      : len == 4             ? AF_INET
                                             : AF_INET6,
                      mnl_attr_get_payload(attr), len, -1);
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
