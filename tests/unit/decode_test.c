/*
 * decode_test.c - the header decoder (core/decode.c) on frames written
 * out byte by byte: which headers it finds, the fields it reads through
 * the tables, and its tcpdump-like line.
 */
#include <stdint.h>
#include <string.h>

#include "../../core/decode.h"
#include "unit.h"

static const uint8_t ETH_IP[] = {0x02, 0, 0, 0, 0,    0x02, 0x02,
                                 0,    0, 0, 0, 0x01, 0x08, 0x00};

/* A frame of an Ethernet header and the given bytes. */
static size_t frame (uint8_t *out, const uint8_t *eth, const uint8_t *rest,
                     size_t len) {
  memcpy(out, eth, 14);
  memcpy(out + 14, rest, len);
  return 14 + len;
}

static const char *field_text (const struct dpacket *p, int layer,
                               const char *name) {
  static char buf[64];
  buf[0] = '\0';
  for (const struct dfield *f = p->layers[layer].h->fields; f->name; f++)
    if (!strcmp(f->name, name))
      decode_field(&p->layers[layer], f, NULL, buf, sizeof buf);
  return buf;
}

static void test_tcp_syn (void) {
  static const uint8_t ip_tcp[] = {
      0x45, 0,    0,    40,   0x12, 0x34, 0x40, 0,   64,  6,
      0,    0,    198,  51,   100,  2,    203,  0,   113, 10, /* TCP */
      0x9c, 0x40, 0,    80,   0,    0,    0,    100, 0,   0,
      0,    0,    0x50, 0x02, 0xfa, 0xf0, 0,    0,   0,   0};
  uint8_t buf[128];
  struct dpacket p;
  char text[256];
  decode_packet(buf, frame(buf, ETH_IP, ip_tcp, sizeof ip_tcp), DECODE_ETHERNET,
                &p);
  UNIT_CHECK(p.n == 3 && !p.truncated, "eth, ip, tcp");
  UNIT_STREQ(p.layers[1].h->name, "ip", "the second layer is ip");
  UNIT_STREQ(field_text(&p, 0, "src"), "02:00:00:00:00:01", "eth src");
  UNIT_STREQ(field_text(&p, 1, "src"), "198.51.100.2", "ip src");
  UNIT_CHECK(decode_uint(&p.layers[1], "proto") == 6, "ip proto 6");
  UNIT_CHECK(decode_uint(&p.layers[1], "df") == 1, "ip df");
  UNIT_CHECK(decode_uint(&p.layers[2], "sport") == 40000, "tcp sport");
  UNIT_STREQ(field_text(&p, 2, "flags"), "S", "tcp flags S");
  decode_text(&p, text, sizeof text);
  UNIT_STREQ(text,
             "IP 198.51.100.2.40000 > 203.0.113.10.80: Flags [S], seq 100, "
             "win 64240, length 0",
             "tcpdump's line");
}

static void test_vxlan (void) {
  static const uint8_t outer[] = {
      0x45, 0, 0, 20 + 8 + 8 + 14 + 28, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1,
      192, 0, 2, 2, /* UDP */
      0xc0, 0x00, 0x12, 0xb5, 0, 8 + 8 + 14 + 28, 0, 0,
      /* VXLAN, VNI 42 */
      0x08, 0, 0, 0, 0, 0, 42, 0,
      /* inner Ethernet + IPv4 + ICMP echo request */
      2, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 3, 0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0,
      0, 64, 1, 0, 0, 10, 10, 0, 1, 10, 10, 0, 2, 8, 0, 0, 0, 0, 7, 0, 1};
  uint8_t buf[256];
  struct dpacket p;
  char text[512];
  decode_packet(buf, frame(buf, ETH_IP, outer, sizeof outer), DECODE_ETHERNET,
                &p);
  UNIT_CHECK(p.n == 7, "eth ip udp vxlan | eth ip icmp: %d layers", p.n);
  int v = decode_find(&p, 0, "vxlan");
  UNIT_CHECK(v == 3 && decode_uint(&p.layers[v], "vni") == 42, "vni 42");
  int inner = decode_find(&p, v, "ip");
  UNIT_CHECK(inner > 0 && p.layers[inner].inner, "the inner ip is inner");
  UNIT_STREQ(field_text(&p, inner, "dst"), "10.10.0.2", "inner ip dst");
  decode_text(&p, text, sizeof text);
  UNIT_STREQ(text,
             "IP 192.0.2.1.49152 > 192.0.2.2.4789: VXLAN, flags [I] (0x08), "
             "vni 42: IP 10.10.0.1 > 10.10.0.2: ICMP echo request, id 7, seq "
             "1, length 8",
             "the inner frame after the VXLAN header");
}

static void test_arp_and_short (void) {
  static const uint8_t eth_arp[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2,
                                    0,    0,    0,    0,    1,    0x08, 0x06};
  static const uint8_t arp[] = {0,  1, 8, 0, 6, 4, 0, 1, 2, 0, 0,  0, 0, 1,
                                10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
  uint8_t buf[128];
  struct dpacket p;
  char text[256];
  decode_packet(buf, frame(buf, eth_arp, arp, sizeof arp), DECODE_ETHERNET, &p);
  decode_text(&p, text, sizeof text);
  UNIT_STREQ(text, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28",
             "an ARP request");
  decode_packet(buf, 14 + 10, DECODE_ETHERNET, &p); /* ARP cut short */
  UNIT_CHECK(p.n == 1 && p.truncated, "a truncated ARP: eth only");
  decode_packet(buf, 5, DECODE_ETHERNET, &p);
  UNIT_CHECK(p.n == 0 && p.truncated, "5 bytes: nothing");
  decode_packet(buf, 0, DECODE_RAW, &p);
  UNIT_CHECK(p.n == 0 && p.reason, "an empty raw packet: nothing");
}

static void test_bad_ihl (void) {
  uint8_t ip[20] = {0x41, 0, 0, 20, 0, 0, 0, 0, 64, 6};
  struct dpacket p;
  decode_packet(ip, sizeof ip, DECODE_RAW, &p);
  UNIT_CHECK(p.n == 1 && p.reason, "IHL 1: the ip layer, no more");
  ip[0] = 0x4f; /* 60 bytes of header in a 20-byte packet */
  decode_packet(ip, sizeof ip, DECODE_RAW, &p);
  UNIT_CHECK(p.n == 1, "IHL past the end: the ip layer, no more");
}

int main (void) {
  test_tcp_syn();
  test_vxlan();
  test_arp_and_short();
  test_bad_ihl();
  return UNIT_END();
}
