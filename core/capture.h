/*
 * capture.h - packets seen on one device, as tcpdump sees them.
 *
 * An AF_PACKET socket made inside the device's namespace (netns_socket:
 * enter, socket(), return) and bound to its ifindex, so it sees what that
 * device sends and receives (PACKET_IGNORE_OUTGOING off), each frame with
 * its direction. The filter is tcpdump's language, compiled by libpcap
 * (pcap_open_dead + pcap_compile: no live handle, no second socket) to
 * classic BPF and attached before the socket is bound to a protocol, so
 * no unfiltered frame is ever queued. Frames wait in the socket's buffer
 * while the lab sends traffic; capture_next takes them out without
 * blocking. A pcap file (microsecond format, what tcpdump -r and
 * Wireshark read) gets every frame taken, flushed after each batch.
 */
#ifndef NSLAB_CAPTURE_H
#define NSLAB_CAPTURE_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "err.h"

#define CAPTURE_SNAPLEN_MAX 262144 /* tcpdump's default */
#define CAPTURE_BUFFER 4194304     /* socket buffer unless told */

struct capture {
  int fd;       /* -1 once stopped */
  int ifindex;  /* in the namespace the socket was made in */
  int linktype; /* DECODE_ETHERNET or DECODE_RAW */
  int snaplen;  /* bytes kept of each frame */
  FILE *out;    /* the pcap file, or NULL */
  long taken;   /* frames taken out */
  long drops;   /* frames the kernel dropped (buffer full) */
  uint8_t *buf; /* snaplen bytes, for the frame being taken */
};

struct capture_frame {
  struct timespec ts;
  int outgoing;        /* sent by the device (PACKET_OUTGOING) */
  int pkttype;         /* sll_pkttype */
  size_t len;          /* the frame's length on the wire */
  size_t caplen;       /* bytes kept (at most snaplen) */
  const uint8_t *data; /* c->buf until the next capture_next */
};

/* Start capturing on ifindex of netns_fd (-1: here): the filter in
 * tcpdump's syntax (NULL or "": everything; a mistake is EINVAL with
 * libpcap's words, "syntax error"); snaplen bytes kept of each frame;
 * buffer, the socket's receive buffer in bytes. On failure nothing is
 * left open. */
int capture_open (struct capture *c, int netns_fd, int ifindex,
                  const char *filter, int snaplen, int buffer, struct err *e);

/* Write every frame taken from now on to path (created or truncated). */
int capture_file (struct capture *c, const char *path, struct err *e);

/* The next queued frame: 1 and *f, 0 when none is queued, -1 on error. */
int capture_next (struct capture *c, struct capture_frame *f, struct err *e);

/* Wait until a frame is queued or timeout_ms passes: 1, 0, or -1. */
int capture_wait (struct capture *c, int timeout_ms, struct err *e);

/* Add the kernel's drop count to c->drops (PACKET_STATISTICS). */
void capture_update_drops (struct capture *c);

/* Flush the file (after a batch). */
int capture_flush (struct capture *c, struct err *e);

/* Stop: close the socket and the file; twice is fine. The file's error,
 * if writing it failed, is returned. */
int capture_stop (struct capture *c, struct err *e);

#endif
