/*
 * lua_capture.c - packet capture on a device ("nslab.capture" userdata)
 * and the decoder of captured frames.
 *
 *   local c = ns:capture("eth0", {filter = "tcp port 80", count = 10,
 *                                 snaplen = 262144, file = "eth0.pcap"})
 *   ... traffic ...
 *   c:drain()        --> {{time =, dir = "in"|"out", pkttype = "host",
 *                         len =, data =}, ...}
 *   c:drain(2)       -- waits up to 2 s until count frames were taken
 *   c:stop()         --> what was still queued; the socket and file closed
 *   c:stats()        --> {packets =, dropped =, linktype = "ethernet", ...}
 *   core.packet_decode(data, "ethernet")
 *                    --> {layers = {"eth", "ip", "tcp"}, eth = {src =, ...},
 *                         ip = {...}, tcp = {...}, text = "IP 10.0.0.1...",
 *                         inner = {...} for a VXLAN frame}
 *   core.packet_headers() --> the field tables (decode.h), for help()
 *
 * Frames wait in the socket's buffer until drained; count stops the
 * capture once that many were taken (tcpdump -c). A file gets every frame
 * taken (pcap, what tcpdump -r reads), also those taken when the capture
 * is collected or closed, so a capture nobody drains still fills its file.
 * Errors: "capture eth0 in netns a: filter 'tcp prot 80': syntax error".
 */
#include <errno.h>
#include <string.h>

#include "capture.h"
#include "decode.h"
#include "link.h"
#include "lua_netns.h"

#define LCAPTURE "nslab.capture"
#define WAIT_MAX 3600

struct lcapture {
  struct capture c;
  int opened; /* capture_open succeeded (c is valid) */
  int closed; /* close() was called: every use is refused */
  long limit; /* count: stop after this many frames (0: none) */
  int keep;   /* drain returns the frames (else only the file has them) */
};

static const char *const linktypes[] = {"ethernet", "raw", NULL};

static const struct lopt capture_spec[] = {
    {"filter", LOPT_STR, 0, 0, NULL, NULL, LOPT_EMPTY,
     "what to capture, in tcpdump's syntax (\"tcp port 80\"; all)"},
    {"count", LOPT_INT, 1, 100000000, NULL, NULL, 0,
     "stop after this many frames (none)"},
    {"snaplen", LOPT_INT, 64, CAPTURE_SNAPLEN_MAX, NULL, NULL, 0,
     "bytes kept of each frame (262144)"},
    {"file", LOPT_STR, 0, 0, NULL, NULL, 0,
     "write every frame to this pcap file (tcpdump -r reads it)"},
    {"buffer", LOPT_INT, 65536, 1 << 28, NULL, NULL, 0,
     "the socket's receive buffer in bytes (4194304)"},
    {"keep", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "drain returns the frames (true; false: only the file gets them)"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
enum { CAP_FILTER, CAP_COUNT, CAP_SNAPLEN, CAP_FILE, CAP_BUFFER, CAP_KEEP };

static const struct lopt_set option_sets[] = {{"capture", capture_spec},
                                              {NULL, NULL}};

/* A capture's user values: 1 its label "eth0 in netns a", 2 its filter. */
static const char *label (lua_State *L, int idx) {
  lua_getiuservalue(L, idx, 1);
  return lua_tostring(L, -1);
}

static struct lcapture *check_cap (lua_State *L, const char *op) {
  struct lcapture *c = luaL_testudata(L, 1, LCAPTURE);
  if (!c)
    lnslab_raise(L, "%s: argument self must be a capture, got %s", op,
                 luaL_typename(L, 1));
  if (c->closed) lnslab_raise(L, "%s: attempt to use a closed capture", op);
  return c;
}

/* Seconds (checked: 0..WAIT_MAX) as milliseconds, rounded up. */
static int to_ms (lua_Number s) {
  lua_Number ms = s * 1000;
  int whole = (int)ms;
  return whole < ms ? whole + 1 : whole;
}

/*
** ns:capture(dev [, opts]) --> a capture, already running
*/
static int m_capture (lua_State *L) {
  static const struct lopt dev = {"dev", LOPT_DEV,      0,   0, NULL,
                                  NULL,  LOPT_REQUIRED, NULL};
  struct lopt_val v[6], d;
  struct err e;
  lnslab_check_nargs(L, 3, "capture");
  lua_settop(L, 3);
  struct lnetns *ns = lnetns_check(L, 1, "capture");
  lnslab_check_arg(L, 2, "capture", NULL, "dev", &dev, &d);
  struct nl *nl = lnetns_rtnl(L, ns);
  const char *where = ns->name ? ns->name : "(anonymous)";
  const char *object = d.s;
  int ifindex = (int)d.i;
  if (!d.s) { /* an ifindex: the capture is named by the device's name */
    struct link_info info;
    if (link_get(nl, ifindex, NULL, &info, &e) < 0)
      return lnslab_fail(
          L, "capture",
          lua_pushfstring(L, "ifindex %d in netns %s", ifindex, where), &e);
    object = lua_pushstring(L, info.ifname);
  }
  lnslab_options(L, 3, "capture", object, capture_spec, v);
  struct lcapture *c = lua_newuserdatauv(L, sizeof *c, 2);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, LCAPTURE);
  int cap = lua_gettop(L);
  lua_pushfstring(L, "%s in netns %s", object, where);
  lua_setiuservalue(L, cap, 1);
  if (d.s) ifindex = lnslab_ifindex_of(L, nl, 2, "capture", label(L, cap));
  const char *filter = v[CAP_FILTER].set ? v[CAP_FILTER].s : "";
  lua_pushstring(L, filter);
  lua_setiuservalue(L, cap, 2);
  c->limit = v[CAP_COUNT].set ? (long)v[CAP_COUNT].i : 0;
  c->keep = v[CAP_KEEP].set ? v[CAP_KEEP].b : 1;
  int snaplen =
      v[CAP_SNAPLEN].set ? (int)v[CAP_SNAPLEN].i : CAPTURE_SNAPLEN_MAX;
  int buffer = v[CAP_BUFFER].set ? (int)v[CAP_BUFFER].i : CAPTURE_BUFFER;
  if (capture_open(&c->c, ns->fd, ifindex, filter, snaplen, buffer, &e) < 0) {
    if (e.code == EINVAL && *filter)
      return lnslab_raise(L, "capture %s: filter '%s': %s", label(L, cap),
                          filter, err_text(&e));
    return lnslab_fail(L, "capture", label(L, cap), &e);
  }
  c->opened = 1;
  if (v[CAP_FILE].set && capture_file(&c->c, v[CAP_FILE].s, &e) < 0) {
    capture_stop(&c->c, NULL);
    return lnslab_raise(L, "capture %s: file '%s': %s", label(L, cap),
                        v[CAP_FILE].s, err_text(&e));
  }
  lua_settop(L, cap);
  return 1;
}

/* {time =, dir =, len =, data =} of a frame, pushed. */
static void push_frame (lua_State *L, const struct capture_frame *f) {
  lua_createtable(L, 0, 5);
  lua_pushnumber(L, (lua_Number)f->ts.tv_sec + f->ts.tv_nsec / 1e9);
  lua_setfield(L, -2, "time");
  static const char *const pkttypes[] = {"host", "broadcast", "multicast",
                                         "otherhost", "outgoing"};
  lnslab_set_str(L, "dir", f->outgoing ? "out" : "in");
  if (f->pkttype >= 0 && f->pkttype <= 4) /* sll_pkttype: to whom */
    lnslab_set_str(L, "pkttype", pkttypes[f->pkttype]);
  lnslab_set_int(L, "len", (lua_Integer)f->len);
  lua_pushlstring(L, (const char *)f->data, f->caplen);
  lua_setfield(L, -2, "data");
}

/* Take every queued frame (to the list on top of the stack when list),
 * stopping at the count. Returns how many were taken. */
static long take (lua_State *L, struct lcapture *c, int list, int *failed,
                  struct err *e) {
  struct capture_frame f;
  long n = 0;
  int rc;
  *failed = 0;
  while ((!c->limit || c->c.taken < c->limit) &&
         (rc = capture_next(&c->c, &f, e)) != 0) {
    if (rc < 0) {
      *failed = 1;
      break;
    }
    n++;
    if (list) {
      push_frame(L, &f);
      lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    }
  }
  if (!*failed && capture_flush(&c->c, e) < 0) *failed = 1;
  if (c->limit && c->c.taken >= c->limit && c->c.fd >= 0 &&
      capture_stop(&c->c, e) < 0)
    *failed = 1;
  return n;
}

/*
** c:drain([timeout]) --> the frames queued since the last drain; with a
** timeout, waits up to that many seconds until count frames were taken
** (without a count, until one was)
*/
static int m_drain (lua_State *L) {
  struct lcapture *c = check_cap(L, "capture drain");
  static const struct lopt timeout = {"timeout", LOPT_NUM, 0, WAIT_MAX,
                                      NULL,      NULL,     0, NULL};
  struct lopt_val t;
  struct err e;
  int failed;
  lnslab_check_nargs(L, 2, "capture drain");
  lua_settop(L, 2);
  lnslab_check_arg(L, 2, "capture drain", label(L, 1), "timeout", &timeout, &t);
  lua_settop(L, 2);
  lua_newtable(L);
  int list = c->keep;
  long start = c->c.taken;
  take(L, c, list, &failed, &e);
  if (t.set && !failed) {
    double deadline = 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    deadline = now.tv_sec + now.tv_nsec / 1e9 + t.n;
    while (!failed && c->c.fd >= 0 &&
           (c->limit ? c->c.taken < c->limit : c->c.taken == start)) {
      clock_gettime(CLOCK_MONOTONIC, &now);
      double left = deadline - (now.tv_sec + now.tv_nsec / 1e9);
      if (left <= 0) break;
      int rc = capture_wait(&c->c, to_ms(left), &e);
      if (rc < 0) failed = 1;
      if (rc <= 0) break;
      take(L, c, list, &failed, &e);
    }
  }
  if (failed) return lnslab_fail(L, "capture drain", label(L, 1), &e);
  return 1;
}

/*
** c:stop() --> the frames still queued; the socket and file closed. A
** stopped capture drains nothing more; stopping twice is fine.
*/
static int m_stop (lua_State *L) {
  struct lcapture *c = check_cap(L, "capture stop");
  struct err e;
  int failed = 0;
  lnslab_check_nargs(L, 1, "capture stop");
  lua_newtable(L);
  if (c->opened && c->c.fd >= 0) {
    take(L, c, c->keep, &failed, &e);
    if (capture_stop(&c->c, &e) < 0) failed = 1;
  }
  if (failed) return lnslab_fail(L, "capture stop", label(L, 1), &e);
  return 1;
}

/* c:stats() --> {packets =, dropped =, running =, linktype =, snaplen =,
 * filter =, count =} */
static int m_stats (lua_State *L) {
  struct lcapture *c = check_cap(L, "capture stats");
  lnslab_check_nargs(L, 1, "capture stats");
  capture_update_drops(&c->c);
  lua_createtable(L, 0, 7);
  lnslab_set_int(L, "packets", c->c.taken);
  lnslab_set_int(L, "dropped", c->c.drops);
  lnslab_set_bool(L, "running", c->c.fd >= 0);
  lnslab_set_str(L, "linktype",
                 c->c.linktype == DECODE_RAW ? "raw" : "ethernet");
  lnslab_set_int(L, "snaplen", c->c.snaplen);
  if (c->limit) lnslab_set_int(L, "count", c->limit);
  lua_getiuservalue(L, 1, 2);
  lua_setfield(L, -2, "filter");
  return 1;
}

/* __gc and __close (which is given the error too): what is queued goes to
 * the file first, so a capture left to the collector still fills it. */
static int m_release (lua_State *L) {
  struct lcapture *c = luaL_testudata(L, 1, LCAPTURE);
  if (!c)
    return lnslab_raise(
        L, "capture close: argument self must be a capture, got %s",
        luaL_typename(L, 1));
  if (c->opened && c->c.fd >= 0 && c->c.out) {
    struct capture_frame f;
    struct err e;
    while ((!c->limit || c->c.taken < c->limit) &&
           capture_next(&c->c, &f, &e) > 0) {}
  }
  if (c->opened) capture_stop(&c->c, NULL);
  c->opened = 0;
  return 0;
}

/* c:close(): release and refuse every later use; twice is fine. */
static int m_close (lua_State *L) {
  lnslab_check_nargs(L, 1, "capture close");
  m_release(L);
  ((struct lcapture *)lua_touserdata(L, 1))->closed = 1;
  return 0;
}

static int m_tostring (lua_State *L) {
  struct lcapture *c = luaL_testudata(L, 1, LCAPTURE);
  if (!c)
    return lnslab_raise(
        L, "capture tostring: argument self must be a capture, got %s",
        luaL_typename(L, 1));
  const char *what = label(L, 1);
  lua_getiuservalue(L, 1, 2);
  const char *filter = lua_tostring(L, -1);
  const char *state = c->closed                   ? "closed"
                      : c->opened && c->c.fd >= 0 ? "running"
                                                  : "stopped";
  lua_pushfstring(L, "capture %s%s%s%s: %d packets (%s)", what,
                  *filter ? " '" : "", filter, *filter ? "'" : "",
                  (int)c->c.taken, state);
  return 1;
}

/*
** {======================================================
** The decoder
** =======================================================
*/

/* Set the fields of layer l in the table on top of the stack. */
static void push_fields (lua_State *L, const struct dlayer *l) {
  char buf[64];
  uint64_t num;
  for (const struct dfield *f = l->h->fields; f->name; f++) {
    if (decode_field(l, f, &num, buf, sizeof buf) < 0) continue;
    if (f->fmt == DF_UINT)
      lua_pushinteger(L, (lua_Integer)num);
    else
      lua_pushstring(L, buf);
    lua_setfield(L, -2, f->name);
  }
}

/* The layers of p that are inner or not, into the table on top. */
static void push_layers (lua_State *L, const struct dpacket *p, int inner) {
  lua_newtable(L); /* layers */
  int n = 0;
  for (int i = 0; i < p->n; i++) {
    if (p->layers[i].inner != inner) continue;
    lua_pushstring(L, p->layers[i].h->name);
    lua_rawseti(L, -2, ++n);
  }
  lua_setfield(L, -2, "layers");
  for (int i = 0; i < p->n; i++) {
    if (p->layers[i].inner != inner) continue;
    lua_newtable(L);
    push_fields(L, &p->layers[i]);
    lua_setfield(L, -2, p->layers[i].h->name);
  }
}

/*
** core.packet_decode(data [, linktype]) --> the headers as tables
*/
static int l_packet_decode (lua_State *L) {
  static const struct lopt type = {"linktype", LOPT_CHOICE, 0, 0,
                                   linktypes,  NULL,        0, NULL};
  struct lopt_val t;
  size_t len;
  struct dpacket p;
  char text[1024];
  lnslab_check_nargs(L, 2, "packet decode");
  if (lua_type(L, 1) != LUA_TSTRING) /* bytes: NUL is fine */
    return lnslab_raise(
        L, "packet decode: argument 1 (data) must be a string, got %s",
        luaL_typename(L, 1));
  const char *data = lua_tolstring(L, 1, &len);
  lnslab_check_arg(L, 2, "packet decode", NULL, "linktype", &type, &t);
  int linktype = t.set && t.i == 1 ? DECODE_RAW : DECODE_ETHERNET;
  decode_packet((const uint8_t *)data, len, linktype, &p);
  lua_newtable(L);
  push_layers(L, &p, 0);
  int inner = 0;
  for (int i = 0; i < p.n; i++) inner |= p.layers[i].inner;
  if (inner) {
    lua_newtable(L);
    push_layers(L, &p, 1);
    lua_setfield(L, -2, "inner");
  }
  if (p.truncated) lnslab_set_bool(L, "truncated", 1);
  decode_text(&p, text, sizeof text);
  lnslab_set_str(L, "text", text);
  return 1;
}

/* core.packet_headers() --> {{name = "eth", doc =, min_len =, fields =
 * {{name =, offset =, size =, format =, doc =}, ...}}, ...} */
static int l_packet_headers (lua_State *L) {
  static const char *const formats[] = {"uint", "mac", "ipv4", "ipv6",
                                        "tcpflags"};
  lnslab_check_nargs(L, 0, "packet headers");
  lua_newtable(L);
  for (int i = 0; decode_headers[i]; i++) {
    const struct dheader *h = decode_headers[i];
    lua_createtable(L, 0, 4);
    lnslab_set_str(L, "name", h->name);
    lnslab_set_str(L, "doc", h->doc);
    lnslab_set_int(L, "min_len", h->min_len);
    lua_newtable(L);
    int n = 0;
    for (const struct dfield *f = h->fields; f->name; f++) {
      lua_createtable(L, 0, 5);
      lnslab_set_str(L, "name", f->name);
      lnslab_set_int(L, "offset", f->off);
      lnslab_set_int(L, "size", f->size);
      lnslab_set_str(L, "format", formats[f->fmt]);
      lnslab_set_str(L, "doc", f->doc);
      lua_rawseti(L, -2, ++n);
    }
    lua_setfield(L, -2, "fields");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* }====================================================== */

static const luaL_Reg functions[] = {{"packet_decode", l_packet_decode},
                                     {"packet_headers", l_packet_headers},
                                     {NULL, NULL}};

static const luaL_Reg ns_methods[] = {{"capture", m_capture}, {NULL, NULL}};

static void lcapture_init (lua_State *L, int module, int methods) {
  static const luaL_Reg cap_methods[] = {{"drain", m_drain},
                                         {"stop", m_stop},
                                         {"stats", m_stats},
                                         {"close", m_close},
                                         {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__gc", m_release},
                                  {"__close", m_release},
                                  {"__tostring", m_tostring},
                                  {NULL, NULL}};
  (void)module;
  (void)methods;
  lnslab_new_class(L, LCAPTURE, meta, cap_methods);
}

const struct lbinding lcapture_binding = {"capture", functions, ns_methods,
                                          option_sets, lcapture_init};
