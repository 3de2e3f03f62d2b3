/*
 * decode_fuzz.c - captured frames (decode_packet, decode_field,
 * decode_text): any bytes, of either link type, no crash, no read past
 * the data; every layer starts inside it and every field read through
 * the tables stays inside its layer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decode.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  /* a copy of exactly size bytes: ASan sees any read past it */
  uint8_t *copy = malloc(size ? size : 1);
  if (!copy) return 0;
  memcpy(copy, data, size);
  for (int t = 0; t < 2; t++) {
    struct dpacket p;
    char text[1024], buf[64];
    uint64_t num;
    decode_packet(copy, size, t ? DECODE_RAW : DECODE_ETHERNET, &p);
    for (int i = 0; i < p.n; i++) {
      const struct dlayer *l = &p.layers[i];
      if (l->p < copy || l->p + l->len > copy + size) abort();
      for (const struct dfield *f = l->h->fields; f->name; f++)
        decode_field(l, f, &num, buf, sizeof buf);
    }
    decode_text(&p, text, sizeof text);
    if (strnlen(text, sizeof text) == sizeof text) abort();
  }
  free(copy);
  return 0;
}
