/*
 * nl.c - one rtnetlink socket per namespace; requests with extended ACKs.
 */
#include "nl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"

/* Large enough for any one datagram of a dump (the kernel caps them at
 * 32 KiB), so no answer is ever truncated. */
#define NL_RECV_SIZE 32768

/*
** {======================================================
** Opening and closing
** =======================================================
*/

int nl_open (struct nl *nl, int protocol, int netns_fd, struct err *e) {
  int one = 1;
  memset(nl, 0, sizeof *nl);
  int fd =
      netns_socket(netns_fd, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol, e);
  if (fd < 0) return -1;
  if (!(nl->sock = mnl_socket_fdopen(fd))) {
    err_errno(e);
    close(fd);
    return -1;
  }
  /* Extended ACKs carry the kernel's own explanation of a refusal;
     capped ACKs keep the echo of our request out of error replies. */
  mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof one);
  mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof one);
  if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
    err_errno(e);
    nl_close(nl);
    return -1;
  }
  nl->portid = mnl_socket_get_portid(nl->sock);
  nl->seq = (uint32_t)time(NULL);
  return 0;
}

void nl_close (struct nl *nl) {
  if (nl->sock) mnl_socket_close(nl->sock);
  nl->sock = NULL;
}

struct nlmsghdr *nl_msg (struct nl *nl, void *buf, uint16_t type,
                         uint16_t flags) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  nlh->nlmsg_seq = ++nl->seq;
  return nlh;
}

/* }====================================================== */

/*
** {======================================================
** Errors: the errno in NLMSG_ERROR plus the NLMSGERR_ATTR_MSG text
** =======================================================
*/

static int ext_ack_attr (const struct nlattr *attr, void *data) {
  const char **msg = data;
  if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
      mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
    *msg = mnl_attr_get_str(attr);
  return MNL_CB_OK;
}

/* An NLMSG_ERROR: 0 is the ACK; otherwise keep the kernel's words. */
static int ack_result (const struct nlmsghdr *nlh, struct err *e) {
  const struct nlmsgerr *ne = mnl_nlmsg_get_payload(nlh);
  const char *msg = NULL;
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *ne))
    return err_set(e, EBADMSG, "truncated netlink error message");
  if (ne->error == 0) return 0;
  if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
    unsigned off = sizeof *ne;
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
      off += ne->msg.nlmsg_len - sizeof(struct nlmsghdr);
    if (off <= mnl_nlmsg_get_payload_len(nlh))
      mnl_attr_parse(nlh, off, ext_ack_attr, &msg);
  }
  if (msg && *msg)
    return err_set(e, -ne->error, "%s (%s)", strerror(-ne->error), msg);
  return err_set(e, -ne->error, NULL);
}

/* }====================================================== */

enum { ANSWER_MORE, ANSWER_DONE, ANSWER_FAILED };

/* Walk one datagram of answers. An interrupted dump (the table changed
 * while it was read) is read to its end and reported as EINTR so the
 * caller repeats it whole; libmnl's own loop would stop mid-dump. */
static int walk (struct nl *nl, const void *buf, size_t len, uint32_t seq,
                 mnl_cb_t cb, void *data, int *interrupted, struct err *e) {
  const struct nlmsghdr *nlh = buf;
  int remaining = (int)len;
  for (; nl_msg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
    if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != nl->portid) continue;
    if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) *interrupted = 1;
    if (nlh->nlmsg_type == NLMSG_ERROR)
      return ack_result(nlh, e) < 0 ? ANSWER_FAILED : ANSWER_DONE;
    if (nlh->nlmsg_type == NLMSG_DONE) return ANSWER_DONE;
    if (nlh->nlmsg_type < NLMSG_MIN_TYPE || !cb || *interrupted) continue;
    if (cb(nlh, data) == MNL_CB_ERROR) {
      if (!e->code) err_set(e, errno ? errno : EPROTO, NULL);
      return ANSWER_FAILED;
    }
  }
  return ANSWER_MORE;
}

/* Send msg, then read answers until the ACK, an error or the dump's end. */
static int transact (struct nl *nl, struct nlmsghdr *msg, mnl_cb_t cb,
                     void *data, struct err *e) {
  char buf[NL_RECV_SIZE];
  int interrupted = 0;
  e->code = 0;
  e->reason[0] = '\0';
  if (mnl_socket_sendto(nl->sock, msg, msg->nlmsg_len) < 0) return err_errno(e);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue; /* Ctrl-C is handled by Lua */
    if (n < 0) return err_errno(e);
    int r = walk(nl, buf, (size_t)n, msg->nlmsg_seq, cb, data, &interrupted, e);
    if (r == ANSWER_FAILED) return -1;
    if (r == ANSWER_DONE)
      return interrupted ? err_set(e, EINTR, "dump interrupted") : 0;
  }
}

int nl_request (struct nl *nl, struct nlmsghdr *msg, struct err *e) {
  msg->nlmsg_flags |= NLM_F_ACK;
  return transact(nl, msg, NULL, NULL, e);
}

int nl_get (struct nl *nl, struct nlmsghdr *msg, mnl_cb_t cb, void *data,
            struct err *e) {
  msg->nlmsg_flags |= NLM_F_ACK;
  return transact(nl, msg, cb, data, e);
}

int nl_dump (struct nl *nl, struct nlmsghdr *msg, mnl_cb_t cb, void *data,
             struct err *e) {
  msg->nlmsg_flags |= NLM_F_DUMP;
  return transact(nl, msg, cb, data, e);
}

struct collection {
  uint16_t type;
  nl_parse_fn parse;
  size_t item_size, n, cap;
  char *items;
};

static int collect_cb (const struct nlmsghdr *nlh, void *data) {
  struct collection *c = data;
  if (nlh->nlmsg_type != c->type) return MNL_CB_OK;
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 16;
    char *grown = realloc(c->items, cap * c->item_size);
    if (!grown) {
      errno = ENOMEM;
      return MNL_CB_ERROR;
    }
    c->items = grown;
    c->cap = cap;
  }
  int keep = c->parse(nlh, c->items + c->n * c->item_size);
  if (keep < 0) {
    errno = EPROTO;
    return MNL_CB_ERROR;
  }
  c->n += (size_t)keep;
  return MNL_CB_OK;
}

int nl_collect (struct nl *nl, struct nlmsghdr *msg, uint16_t type,
                nl_parse_fn parse, size_t item_size, void **items,
                size_t *count, struct err *e) {
  struct collection c = {type, parse, item_size, 0, 0, NULL};
  int r = -1;
  for (int tries = 0; tries < 10; tries++) {
    c.n = 0;
    r = nl_dump(nl, msg, collect_cb, &c, e);
    if (r == 0 || e->code != EINTR) break;
    msg->nlmsg_seq = ++nl->seq;
  }
  if (r < 0) {
    free(c.items);
    return -1;
  }
  *items = c.items;
  *count = c.n;
  return 0;
}
