/*
 * decode.h - the headers of a captured frame, as the wire has them.
 *
 * Each header (Ethernet, ARP, IPv4, IPv6, ICMP, ICMPv6, TCP, UDP, VXLAN)
 * is a table of fields, one row per field: its name (the words tcpdump
 * and iproute2 use: src, dst, proto, sport, dport, flags, vni...), where
 * it is, how wide, and how to show it. Decoding a frame finds which
 * headers it carries and where each starts; the values are read through
 * the tables (the Lua binding makes each layer a table of them), and a
 * one-line text in the manner of `tcpdump -nn -t` is made from them too.
 * No Lua and no kernel here: tests/unit/decode_test.c runs it on bytes.
 */
#ifndef NSLAB_DECODE_H
#define NSLAB_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Link types of the frames (pcap's LINKTYPE_ numbers, as the file says). */
#define DECODE_ETHERNET 1 /* LINKTYPE_ETHERNET */
#define DECODE_RAW 101    /* LINKTYPE_RAW: an IPv4 or IPv6 packet */

enum dfmt {
  DF_UINT,     /* big-endian unsigned, then (v >> shift) & mask */
  DF_MAC,      /* 6 bytes, "02:00:00:00:00:01" */
  DF_IPV4,     /* 4 bytes, dotted */
  DF_IPV6,     /* 16 bytes, as inet_ntop writes it */
  DF_TCPFLAGS, /* one byte of TCP flags as letters: "S", "SA", "FA", "R" */
};

struct dfield {
  const char *name;
  uint16_t off;  /* from the start of the header */
  uint8_t size;  /* bytes */
  uint8_t shift; /* DF_UINT: bits to drop at the right */
  uint32_t mask; /* DF_UINT: bits kept after the shift (0: all) */
  enum dfmt fmt;
  const char *doc;
};

struct dheader {
  const char *name; /* the key of the layer: "eth", "ip", "tcp", ... */
  const char *doc;
  uint16_t min_len;            /* the fixed part: shorter is truncated */
  const struct dfield *fields; /* ended by {NULL} */
};

/* Every header, ended by NULL (what the binding exports to Lua). */
extern const struct dheader *const decode_headers[];

#define DECODE_LAYERS_MAX 12

struct dlayer {
  const struct dheader *h;
  const uint8_t *p; /* the header's first byte */
  size_t len;       /* bytes from p to the end of the captured data */
  int inner;        /* 1: inside a VXLAN frame */
};

struct dpacket {
  struct dlayer layers[DECODE_LAYERS_MAX];
  int n;
  int truncated;      /* the data ended inside a header */
  const char *reason; /* why decoding stopped early, or NULL */
};

/* Find the headers of len bytes of a frame of the given link type. */
void decode_packet (const uint8_t *data, size_t len, int linktype,
                    struct dpacket *out);

/* The value of a field: DF_UINT and DF_TCPFLAGS also as a number in *num
 * (may be NULL), the text of any field in buf. Returns 0, or -1 when the
 * layer is too short for it. */
int decode_field (const struct dlayer *l, const struct dfield *f, uint64_t *num,
                  char *buf, size_t len);

/* The value of the field named name of the layer, as a number (0 when
 * missing). */
uint64_t decode_uint (const struct dlayer *l, const char *name);

/* The index of the first layer named name (from layer from on), or -1. */
int decode_find (const struct dpacket *p, int from, const char *name);

/* The frame as one line, in the manner of `tcpdump -nn -t` (no link-level
 * header): "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 1,
 * length 64". A VXLAN frame adds its inner frame after ": ". */
void decode_text (const struct dpacket *p, char *buf, size_t len);

#endif
