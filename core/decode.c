/*
 * decode.c - the headers of a captured frame (see decode.h). The layouts
 * are those of the RFCs and of <linux/if_ether.h>, <netinet/ip.h> and the
 * like; the words of the fields are tcpdump's and iproute2's.
 */
#include "decode.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
** {======================================================
** The field tables: one row per field
** =======================================================
*/

#define END                                                                    \
  { NULL, 0, 0, 0, 0, DF_UINT, NULL }

static const struct dfield eth_fields[] = {
    {"dst", 0, 6, 0, 0, DF_MAC, "destination MAC address"},
    {"src", 6, 6, 0, 0, DF_MAC, "source MAC address"},
    {"type", 12, 2, 0, 0, DF_UINT, "EtherType (0x0800 IPv4, 0x0806 ARP, ...)"},
    END};

static const struct dfield arp_fields[] = {
    {"htype", 0, 2, 0, 0, DF_UINT, "hardware type (1: Ethernet)"},
    {"ptype", 2, 2, 0, 0, DF_UINT, "protocol type (0x0800: IPv4)"},
    {"op", 6, 2, 0, 0, DF_UINT, "1 request (who-has), 2 reply (is-at)"},
    {"sha", 8, 6, 0, 0, DF_MAC, "sender MAC address"},
    {"spa", 14, 4, 0, 0, DF_IPV4, "sender IPv4 address"},
    {"tha", 18, 6, 0, 0, DF_MAC, "target MAC address"},
    {"tpa", 24, 4, 0, 0, DF_IPV4, "target IPv4 address"},
    END};

static const struct dfield ip_fields[] = {
    {"version", 0, 1, 4, 0xf, DF_UINT, "4"},
    {"ihl", 0, 1, 0, 0xf, DF_UINT, "header length in 32-bit words"},
    {"tos", 1, 1, 0, 0, DF_UINT, "DSCP and ECN"},
    {"len", 2, 2, 0, 0, DF_UINT, "total length"},
    {"id", 4, 2, 0, 0, DF_UINT, "identification"},
    {"df", 6, 1, 6, 1, DF_UINT, "don't fragment (1)"},
    {"mf", 6, 1, 5, 1, DF_UINT, "more fragments (1)"},
    {"frag", 6, 2, 0, 0x1fff, DF_UINT, "fragment offset in 8-byte units"},
    {"ttl", 8, 1, 0, 0, DF_UINT, "time to live"},
    {"proto", 9, 1, 0, 0, DF_UINT, "protocol (1 ICMP, 6 TCP, 17 UDP)"},
    {"sum", 10, 2, 0, 0, DF_UINT, "header checksum"},
    {"src", 12, 4, 0, 0, DF_IPV4, "source address"},
    {"dst", 16, 4, 0, 0, DF_IPV4, "destination address"},
    END};

static const struct dfield ip6_fields[] = {
    {"version", 0, 1, 4, 0xf, DF_UINT, "6"},
    {"class", 0, 2, 4, 0xff, DF_UINT, "traffic class"},
    {"flow", 0, 4, 0, 0xfffff, DF_UINT, "flow label"},
    {"plen", 4, 2, 0, 0, DF_UINT, "payload length"},
    {"proto", 6, 1, 0, 0, DF_UINT,
     "next header (58 ICMPv6, 6 TCP, 17 UDP, 0 hop-by-hop)"},
    {"hlim", 7, 1, 0, 0, DF_UINT, "hop limit"},
    {"src", 8, 16, 0, 0, DF_IPV6, "source address"},
    {"dst", 24, 16, 0, 0, DF_IPV6, "destination address"},
    END};

static const struct dfield icmp_fields[] = {
    {"type", 0, 1, 0, 0, DF_UINT,
     "8 echo request, 0 echo reply, 3 unreachable"},
    {"code", 1, 1, 0, 0, DF_UINT, "code"},
    {"sum", 2, 2, 0, 0, DF_UINT, "checksum"},
    {"id", 4, 2, 0, 0, DF_UINT, "echo identifier"},
    {"seq", 6, 2, 0, 0, DF_UINT, "echo sequence number"},
    END};

static const struct dfield icmp6_fields[] = {
    {"type", 0, 1, 0, 0, DF_UINT,
     "128 echo request, 129 echo reply, 135 NS, 136 NA"},
    {"code", 1, 1, 0, 0, DF_UINT, "code"},
    {"sum", 2, 2, 0, 0, DF_UINT, "checksum"},
    {"id", 4, 2, 0, 0, DF_UINT, "echo identifier"},
    {"seq", 6, 2, 0, 0, DF_UINT, "echo sequence number"},
    {"target", 8, 16, 0, 0, DF_IPV6, "neighbour discovery: target address"},
    END};

static const struct dfield tcp_fields[] = {
    {"sport", 0, 2, 0, 0, DF_UINT, "source port"},
    {"dport", 2, 2, 0, 0, DF_UINT, "destination port"},
    {"seq", 4, 4, 0, 0, DF_UINT, "sequence number"},
    {"ack", 8, 4, 0, 0, DF_UINT, "acknowledgment number"},
    {"off", 12, 1, 4, 0xf, DF_UINT, "header length in 32-bit words"},
    {"flags", 13, 1, 0, 0, DF_TCPFLAGS,
     "F S R P A U E C as letters: \"S\", \"SA\", \"A\", \"FA\""},
    {"win", 14, 2, 0, 0, DF_UINT, "window"},
    {"sum", 16, 2, 0, 0, DF_UINT, "checksum"},
    {"urg", 18, 2, 0, 0, DF_UINT, "urgent pointer"},
    END};

static const struct dfield udp_fields[] = {
    {"sport", 0, 2, 0, 0, DF_UINT, "source port"},
    {"dport", 2, 2, 0, 0, DF_UINT, "destination port"},
    {"len", 4, 2, 0, 0, DF_UINT, "length (header and data)"},
    {"sum", 6, 2, 0, 0, DF_UINT, "checksum"},
    END};

static const struct dfield vxlan_fields[] = {
    {"flags", 0, 1, 0, 0, DF_UINT, "0x08: the VNI is valid"},
    {"vni", 4, 4, 8, 0xffffff, DF_UINT, "VXLAN network identifier"},
    END};

#define H(var, name, doc, len, fields)                                         \
  static const struct dheader var = {name, doc, len, fields}
H(h_eth, "eth", "Ethernet", 14, eth_fields);
H(h_arp, "arp", "ARP (Ethernet, IPv4)", 28, arp_fields);
H(h_ip, "ip", "IPv4", 20, ip_fields);
H(h_ip6, "ip6", "IPv6", 40, ip6_fields);
H(h_icmp, "icmp", "ICMP", 8, icmp_fields);
H(h_icmp6, "icmp6", "ICMPv6", 4, icmp6_fields);
H(h_tcp, "tcp", "TCP", 20, tcp_fields);
H(h_udp, "udp", "UDP", 8, udp_fields);
H(h_vxlan, "vxlan", "VXLAN (UDP port 4789)", 8, vxlan_fields);

const struct dheader *const decode_headers[] = {
    &h_eth,   &h_arp, &h_ip,  &h_ip6,   &h_icmp,
    &h_icmp6, &h_tcp, &h_udp, &h_vxlan, NULL};

#define VXLAN_PORT 4789

/* }====================================================== */

/*
** {======================================================
** Reading fields
** =======================================================
*/

static uint64_t be (const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
  return v;
}

static void tcp_flags (unsigned bits, char *buf, size_t len) {
  static const char letters[] = "FSRPAUEC";
  size_t n = 0;
  for (int i = 0; i < 8 && n + 1 < len; i++)
    if (bits & (1u << i)) buf[n++] = letters[i];
  if (len) buf[n < len ? n : len - 1] = '\0';
}

int decode_field (const struct dlayer *l, const struct dfield *f, uint64_t *num,
                  char *buf, size_t len) {
  if ((size_t)f->off + f->size > l->len) return -1;
  const uint8_t *p = l->p + f->off;
  uint64_t v = 0;
  switch (f->fmt) {
  case DF_UINT:
    v = be(p, f->size) >> f->shift;
    if (f->mask) v &= f->mask;
    if (buf) snprintf(buf, len, "%llu", (unsigned long long)v);
    break;
  case DF_TCPFLAGS:
    v = p[0];
    if (buf) tcp_flags(p[0], buf, len);
    break;
  case DF_MAC:
    if (buf)
      snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2],
               p[3], p[4], p[5]);
    break;
  case DF_IPV4:
  case DF_IPV6:
    if (buf && !inet_ntop(f->fmt == DF_IPV4 ? AF_INET : AF_INET6, p, buf,
                          (socklen_t)len))
      buf[0] = '\0';
    break;
  }
  if (num) *num = v;
  return 0;
}

static const struct dfield *field (const struct dheader *h, const char *name) {
  for (const struct dfield *f = h->fields; f->name; f++)
    if (!strcmp(f->name, name)) return f;
  return NULL;
}

uint64_t decode_uint (const struct dlayer *l, const char *name) {
  const struct dfield *f = field(l->h, name);
  uint64_t v = 0;
  if (!f || decode_field(l, f, &v, NULL, 0) < 0) return 0;
  return v;
}

/* The text of a field, for decode_text ("" when missing). */
static const char *text_of (const struct dlayer *l, const char *name, char *buf,
                            size_t len) {
  const struct dfield *f = field(l->h, name);
  buf[0] = '\0';
  if (f) decode_field(l, f, NULL, buf, len);
  return buf;
}

int decode_find (const struct dpacket *p, int from, const char *name) {
  for (int i = from; i < p->n; i++)
    if (!strcmp(p->layers[i].h->name, name)) return i;
  return -1;
}

/* }====================================================== */

/*
** {======================================================
** Finding the headers
** =======================================================
*/

/* Add a layer of h at p (len bytes left); 0 when it is cut short. */
static int push (struct dpacket *out, const struct dheader *h, const uint8_t *p,
                 size_t len, int inner) {
  if (out->n == DECODE_LAYERS_MAX) {
    out->reason = "too many headers";
    return 0;
  }
  if (len < h->min_len) {
    out->truncated = 1;
    out->reason = "truncated";
    return 0;
  }
  out->layers[out->n++] = (struct dlayer){h, p, len, inner};
  return 1;
}

static void ethernet (const uint8_t *p, size_t len, int inner,
                      struct dpacket *out);

/* The transport header of protocol proto at p (IPv4 or IPv6 payload). */
static void transport (int proto, int v6, const uint8_t *p, size_t len,
                       int inner, struct dpacket *out) {
  switch (proto) {
  case 1:
    if (!v6) push(out, &h_icmp, p, len, inner);
    return;
  case 58:
    if (v6) push(out, &h_icmp6, p, len, inner);
    return;
  case 6: push(out, &h_tcp, p, len, inner); return;
  case 17:
    if (!push(out, &h_udp, p, len, inner)) return;
    if (!inner && be(p + 2, 2) == VXLAN_PORT && len >= 8 &&
        push(out, &h_vxlan, p + 8, len - 8, inner) && len >= 16)
      ethernet(p + 16, len - 16, 1, out);
    return;
  }
}

static void ipv4 (const uint8_t *p, size_t len, int inner,
                  struct dpacket *out) {
  if (!push(out, &h_ip, p, len, inner)) return;
  size_t ihl = (size_t)(p[0] & 0xf) * 4, total = be(p + 2, 2);
  if (ihl < 20 || ihl > len) {
    out->reason = "bad IPv4 header length";
    return;
  }
  if (be(p + 6, 2) & 0x1fff) return; /* a later fragment: no L4 header */
  if (total >= ihl && total < len) len = total; /* Ethernet padding */
  transport(p[9], 0, p + ihl, len - ihl, inner, out);
}

static void ipv6 (const uint8_t *p, size_t len, int inner,
                  struct dpacket *out) {
  if (!push(out, &h_ip6, p, len, inner)) return;
  size_t plen = be(p + 4, 2);
  if (plen + 40 < len) len = plen + 40;
  int next = p[6];
  size_t off = 40;
  /* hop-by-hop (MLD has one), routing, destination options, fragment */
  while (next == 0 || next == 43 || next == 60 || next == 44) {
    if (off + 8 > len) {
      out->truncated = 1;
      return;
    }
    const uint8_t *x = p + off;
    if (next == 44 && (be(x + 2, 2) & 0xfff8)) return; /* later fragment */
    next = x[0];
    off += next == 44 ? 8 : ((size_t)x[1] + 1) * 8;
  }
  if (off <= len) transport(next, 1, p + off, len - off, inner, out);
}

static void ethernet (const uint8_t *p, size_t len, int inner,
                      struct dpacket *out) {
  if (!push(out, &h_eth, p, len, inner)) return;
  switch (be(p + 12, 2)) {
  case 0x0800: ipv4(p + 14, len - 14, inner, out); break;
  case 0x86dd: ipv6(p + 14, len - 14, inner, out); break;
  case 0x0806: push(out, &h_arp, p + 14, len - 14, inner); break;
  }
}

void decode_packet (const uint8_t *data, size_t len, int linktype,
                    struct dpacket *out) {
  memset(out, 0, sizeof *out);
  if (linktype == DECODE_ETHERNET)
    ethernet(data, len, 0, out);
  else if (len && data[0] >> 4 == 4)
    ipv4(data, len, 0, out);
  else if (len && data[0] >> 4 == 6)
    ipv6(data, len, 0, out);
  else
    out->reason = "not an IP packet";
}

/* }====================================================== */

/*
** {======================================================
** One line of text
** =======================================================
*/

struct out {
  char *buf;
  size_t len, n;
};

static void put (struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put (struct out *o, const char *fmt, ...) {
  if (o->n >= o->len) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(o->buf + o->n, o->len - o->n, fmt, ap);
  va_end(ap);
  if (k > 0) o->n += (size_t)k;
  if (o->n >= o->len) o->n = o->len - 1;
}

#define T(l, name, k) text_of(l, name, t[k], sizeof t[k])

static void arp_text (struct out *o, const struct dlayer *l) {
  char t[2][64];
  uint64_t op = decode_uint(l, "op");
  if (op == 1)
    put(o, "ARP, Request who-has %s tell %s", T(l, "tpa", 0), T(l, "spa", 1));
  else if (op == 2)
    put(o, "ARP, Reply %s is-at %s", T(l, "spa", 0), T(l, "sha", 1));
  else
    put(o, "ARP, op %llu", (unsigned long long)op);
  put(o, ", length %zu", l->len < 28 ? l->len : (size_t)28);
}

static void icmp_text (struct out *o, const struct dlayer *l, size_t len) {
  uint64_t type = decode_uint(l, "type");
  if (type == 8 || type == 0)
    put(o, "ICMP echo %s, id %llu, seq %llu", type ? "request" : "reply",
        (unsigned long long)decode_uint(l, "id"),
        (unsigned long long)decode_uint(l, "seq"));
  else
    put(o, "ICMP type %llu, code %llu", (unsigned long long)type,
        (unsigned long long)decode_uint(l, "code"));
  put(o, ", length %zu", len);
}

static void icmp6_text (struct out *o, const struct dlayer *l, size_t len) {
  char t[2][64];
  uint64_t type = decode_uint(l, "type");
  put(o, "ICMP6, ");
  if (type == 128 || type == 129)
    put(o, "echo %s, id %llu, seq %llu", type == 128 ? "request" : "reply",
        (unsigned long long)decode_uint(l, "id"),
        (unsigned long long)decode_uint(l, "seq"));
  else if (type == 135)
    put(o, "neighbor solicitation, who has %s", T(l, "target", 0));
  else if (type == 136)
    put(o, "neighbor advertisement, tgt is %s", T(l, "target", 0));
  else if (type == 133)
    put(o, "router solicitation");
  else if (type == 143)
    put(o, "multicast listener report v2");
  else
    put(o, "type %llu, code %llu", (unsigned long long)type,
        (unsigned long long)decode_uint(l, "code"));
  put(o, ", length %zu", len);
}

static void tcp_text (struct out *o, const struct dlayer *l, size_t len) {
  static const struct {
    unsigned bit;
    char c;
  } dump[] = {{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'},
              {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}};
  unsigned flags = (unsigned)decode_uint(l, "flags");
  size_t off = (size_t)decode_uint(l, "off") * 4;
  size_t data = len >= off ? len - off : 0;
  uint64_t seq = decode_uint(l, "seq");
  put(o, "Flags [");
  if (!flags) put(o, "none");
  for (int i = 0; i < 8; i++)
    if (flags & dump[i].bit) put(o, "%c", dump[i].c);
  put(o, "]");
  /* as tcpdump -S: the sequence when there is data or SYN, FIN, RST */
  if (data || (flags & 0x07)) {
    put(o, ", seq %llu", (unsigned long long)seq);
    if (data) put(o, ":%llu", (unsigned long long)((seq + data) & 0xffffffff));
  }
  if (flags & 0x10)
    put(o, ", ack %llu", (unsigned long long)decode_uint(l, "ack"));
  put(o, ", win %llu", (unsigned long long)decode_uint(l, "win"));
  put(o, ", length %zu", data);
}

/* The addresses of the IP layer at i, with the ports of a TCP or UDP
 * header after it: "IP 10.0.0.1.40000 > 10.0.0.2.80: ". */
static void ip_text (struct out *o, const struct dpacket *p, int i) {
  char t[2][64];
  const struct dlayer *l = &p->layers[i];
  const struct dlayer *n = i + 1 < p->n ? &p->layers[i + 1] : NULL;
  int v6 = l->h == &h_ip6;
  int ports = n && (n->h == &h_tcp || n->h == &h_udp);
  put(o, "%s %s", v6 ? "IP6" : "IP", T(l, "src", 0));
  if (ports) put(o, ".%llu", (unsigned long long)decode_uint(n, "sport"));
  put(o, " > %s", T(l, "dst", 1));
  if (ports) put(o, ".%llu", (unsigned long long)decode_uint(n, "dport"));
  put(o, ": ");
}

/* The payload length the IP layer at i gives its transport header. */
static size_t l4_len (const struct dlayer *ip, const struct dlayer *next) {
  size_t total =
      ip->h == &h_ip6 ? decode_uint(ip, "plen") + 40 : decode_uint(ip, "len");
  size_t before = (size_t)(next->p - ip->p);
  return total > before ? total - before : 0;
}

static void text_from (struct out *o, const struct dpacket *p, int i);

static void l4_text (struct out *o, const struct dpacket *p, int i) {
  const struct dlayer *ip = &p->layers[i];
  ip_text(o, p, i);
  if (i + 1 >= p->n || p->layers[i + 1].inner != ip->inner) {
    uint64_t proto = decode_uint(ip, "proto");
    if (ip->h == &h_ip && decode_uint(ip, "frag"))
      put(o, "ip-proto-%llu (fragment)", (unsigned long long)proto);
    else
      put(o, "ip-proto-%llu", (unsigned long long)proto);
    return;
  }
  const struct dlayer *l = &p->layers[i + 1];
  size_t len = l4_len(ip, l);
  if (l->h == &h_icmp)
    icmp_text(o, l, len);
  else if (l->h == &h_icmp6)
    icmp6_text(o, l, len);
  else if (l->h == &h_tcp)
    tcp_text(o, l, len);
  else if (l->h == &h_udp) {
    uint64_t ulen = decode_uint(l, "len");
    if (i + 2 < p->n && p->layers[i + 2].h == &h_vxlan) {
      const struct dlayer *v = &p->layers[i + 2];
      put(o, "VXLAN, flags [%s] (0x%02llx), vni %llu",
          decode_uint(v, "flags") & 0x08 ? "I" : ".",
          (unsigned long long)decode_uint(v, "flags"),
          (unsigned long long)decode_uint(v, "vni"));
      if (i + 3 < p->n) {
        put(o, ": ");
        text_from(o, p, i + 3);
      }
    } else
      put(o, "UDP, length %llu",
          (unsigned long long)(ulen >= 8 ? ulen - 8 : 0));
  }
}

/* The text from the link-level layer (or the IP layer) at i on. */
static void text_from (struct out *o, const struct dpacket *p, int i) {
  const struct dlayer *l = &p->layers[i];
  if (l->h == &h_eth) {
    if (i + 1 >= p->n || p->layers[i + 1].inner != l->inner) {
      put(o, "ethertype 0x%04llx, length %zu",
          (unsigned long long)decode_uint(l, "type"), l->len);
      return;
    }
    i++;
    l = &p->layers[i];
  }
  if (l->h == &h_arp)
    arp_text(o, l);
  else
    l4_text(o, p, i);
}

void decode_text (const struct dpacket *p, char *buf, size_t len) {
  struct out o = {buf, len, 0};
  if (!len) return;
  buf[0] = '\0';
  if (p->n == 0) {
    put(&o, "[%s]", p->reason ? p->reason : "empty");
    return;
  }
  text_from(&o, p, 0);
  if (p->truncated) put(&o, " [|%s]", "truncated");
}

/* }====================================================== */
