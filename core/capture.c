/*
 * capture.c - packets seen on one device (see capture.h).
 */
#include "capture.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_arp.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "decode.h"
#include "netns.h"

/*
** {======================================================
** The filter
** =======================================================
*/

/* libpcap's words for the link type (its DLT_ numbers). */
static int dlt_of (int linktype) {
  return linktype == DECODE_RAW ? DLT_RAW : DLT_EN10MB;
}

/* Compile filter into prog (pcap_freecode it); libpcap's message on
 * failure, without its "can't parse filter expression: " prefix. */
static int compile (const char *filter, int linktype, int snaplen,
                    struct bpf_program *prog, struct err *e) {
  pcap_t *p = pcap_open_dead(dlt_of(linktype), snaplen);
  if (!p) return err_set(e, ENOMEM, NULL);
  int rc = pcap_compile(p, prog, filter ? filter : "", 1, PCAP_NETMASK_UNKNOWN);
  if (rc < 0) {
    const char *why = pcap_geterr(p);
    const char *colon = strstr(why, "expression: ");
    err_set(e, EINVAL, "%s", colon ? colon + 12 : why);
  }
  pcap_close(p);
  return rc < 0 ? -1 : 0;
}

/* struct bpf_insn and struct sock_filter are the same four fields. */
static int attach (int fd, const struct bpf_program *prog, struct err *e) {
  struct sock_fprog fp = {(unsigned short)prog->bf_len,
                          (struct sock_filter *)prog->bf_insns};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) < 0)
    return err_errno(e);
  return 0;
}

/* }====================================================== */

/*
** {======================================================
** The socket
** =======================================================
*/

static int bind_to (int fd, int ifindex, int protocol, struct err *e) {
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons((uint16_t)protocol);
  sll.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) return err_errno(e);
  return 0;
}

/* The link type of the device the socket is bound to. */
static int linktype_of (int fd, struct err *e) {
  struct sockaddr_ll sll;
  socklen_t len = sizeof sll;
  if (getsockname(fd, (struct sockaddr *)&sll, &len) < 0) return err_errno(e);
  switch (sll.sll_hatype) {
  case ARPHRD_ETHER:
  case ARPHRD_LOOPBACK: return DECODE_ETHERNET;
  case ARPHRD_NONE: return DECODE_RAW; /* tun: IP packets */
  }
  return err_set(e, EOPNOTSUPP, "cannot capture on a device of link type %d",
                 sll.sll_hatype);
}

static int setup (struct capture *c, const char *filter, int buffer,
                  struct err *e) {
  static const int on = 1, off = 0;
  struct bpf_program prog;
  /* bound to protocol 0 first: nothing is queued until the filter is on */
  if (bind_to(c->fd, c->ifindex, 0, e) < 0) return -1;
  if ((c->linktype = linktype_of(c->fd, e)) < 0) return -1;
  /* the kernel keeps whole frames (a filter returns how many bytes to
   * keep: its snaplen is the largest); snaplen cuts them here, so the
   * length on the wire is still known */
  if (compile(filter, c->linktype, CAPTURE_SNAPLEN_MAX, &prog, e) < 0)
    return -1;
  int rc = attach(c->fd, &prog, e);
  pcap_freecode(&prog);
  if (rc < 0) return -1;
  /* root may go past net.core.rmem_max; else as much as it allows */
  if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) < 0)
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  /* both directions (the default, said: a kernel may differ) */
  setsockopt(c->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &off, sizeof off);
  if (setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0)
    return err_errno(e);
  return bind_to(c->fd, c->ifindex, ETH_P_ALL, e);
}

int capture_open (struct capture *c, int netns_fd, int ifindex,
                  const char *filter, int snaplen, int buffer, struct err *e) {
  memset(c, 0, sizeof *c);
  c->fd = -1;
  c->ifindex = ifindex;
  c->snaplen = snaplen;
  if (!(c->buf = malloc((size_t)snaplen))) return err_set(e, ENOMEM, NULL);
  c->fd = netns_socket(netns_fd, AF_PACKET,
                       SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, e);
  if (c->fd >= 0 && setup(c, filter, buffer, e) == 0) return 0;
  capture_stop(c, NULL);
  return -1;
}

int capture_wait (struct capture *c, int timeout_ms, struct err *e) {
  struct pollfd p = {c->fd, POLLIN, 0};
  int n = poll(&p, 1, timeout_ms);
  if (n < 0 && errno == EINTR) return 0; /* a handled signal (Ctrl-C): stop */
  if (n < 0) return err_errno(e);
  return n > 0;
}

void capture_update_drops (struct capture *c) {
  struct tpacket_stats st;
  socklen_t len = sizeof st;
  if (c->fd >= 0 &&
      getsockopt(c->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
    c->drops += st.tp_drops; /* the kernel resets them when read */
}

/* }====================================================== */

/*
** {======================================================
** The pcap file (pcap-savefile(5))
** =======================================================
*/

struct pcap_file_header_le {
  uint32_t magic;
  uint16_t major, minor;
  int32_t thiszone;
  uint32_t sigfigs, snaplen, linktype;
};

int capture_file (struct capture *c, const char *path, struct err *e) {
  FILE *f = fopen(path, "wbe");
  if (!f) return err_errno(e);
  struct pcap_file_header_le h = {
      0xa1b2c3d4, 2, 4, 0, 0, (uint32_t)c->snaplen, (uint32_t)c->linktype};
  if (fwrite(&h, sizeof h, 1, f) != 1 || fflush(f) != 0) {
    err_errno(e);
    fclose(f);
    return -1;
  }
  c->out = f;
  return 0;
}

static void write_frame (struct capture *c, const struct capture_frame *f) {
  uint32_t rec[4] = {(uint32_t)f->ts.tv_sec, (uint32_t)(f->ts.tv_nsec / 1000),
                     (uint32_t)f->caplen, (uint32_t)f->len};
  if (fwrite(rec, sizeof rec, 1, c->out) == 1)
    fwrite(f->data, 1, f->caplen, c->out); /* ferror says if it failed */
}

int capture_flush (struct capture *c, struct err *e) {
  if (c->out && (fflush(c->out) != 0 || ferror(c->out)))
    return err_set(e, errno ? errno : EIO, "writing the pcap file: %s",
                   strerror(errno ? errno : EIO));
  return 0;
}

/* }====================================================== */

int capture_next (struct capture *c, struct capture_frame *f, struct err *e) {
  struct sockaddr_ll from;
  union {
    char buf[CMSG_SPACE(sizeof(struct timespec))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {c->buf, (size_t)c->snaplen};
  struct msghdr m = {&from, sizeof from, &iov, 1, ctl.buf, sizeof ctl, 0};
  if (c->fd < 0) return 0;
  ssize_t n;
  /* A socket bound to a device that is down reports ENETDOWN once (and
   * starts when it comes up); one that went away (deleted, moved) also
   * says so once: what is queued is still read after it. */
  int reported = 0;
  while ((n = recvmsg(c->fd, &m, MSG_TRUNC)) < 0) {
    if (errno == EINTR) continue;
    if ((errno == ENETDOWN || errno == ENXIO) && !reported++) continue;
    if (errno == EAGAIN || errno == ENETDOWN || errno == ENXIO) return 0;
    return err_errno(e);
  }
  memset(f, 0, sizeof *f);
  for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_TIMESTAMPNS)
      memcpy(&f->ts, CMSG_DATA(h), sizeof f->ts);
  if (!f->ts.tv_sec) clock_gettime(CLOCK_REALTIME, &f->ts);
  f->pkttype = from.sll_pkttype;
  f->outgoing = from.sll_pkttype == PACKET_OUTGOING;
  f->len = (size_t)n;
  f->caplen = (size_t)n < (size_t)c->snaplen ? (size_t)n : (size_t)c->snaplen;
  f->data = c->buf;
  c->taken++;
  if (c->out) write_frame(c, f);
  return 1;
}

int capture_stop (struct capture *c, struct err *e) {
  struct err scratch;
  int rc = 0;
  if (!e) e = &scratch;
  if (c->fd >= 0) {
    capture_update_drops(c);
    close(c->fd);
    c->fd = -1;
  }
  if (c->out) {
    if (capture_flush(c, e) < 0) rc = -1;
    if (fclose(c->out) != 0 && rc == 0) rc = err_errno(e);
    c->out = NULL;
  }
  free(c->buf);
  c->buf = NULL;
  return rc;
}
