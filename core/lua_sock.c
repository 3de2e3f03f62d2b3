/*
 * lua_sock.c - TCP and UDP sockets born in a namespace ("nslab.socket"
 * userdata): enough to show a port in use (Docker's host mode) and to
 * prove that a connection or a datagram goes through (or not) and who it
 * seems to come from (what NAT did to it).
 *
 *   local l = ns:tcp_listen("0.0.0.0", 80)        -- {reuseaddr=, backlog=}
 *   local c = other:tcp_connect("10.0.0.1", 80, {timeout = 1})
 *   local s, addr, port = l:accept(1)             -- timeouts in seconds
 *   c:send "hello"; s:recv(100, 1)  --> "hello";  s:peer() --> addr, port
 *   c:local_address() --> addr, port;  l:port() --> 80;  c:close()
 *
 *   local u = ns:udp_bind("0.0.0.0", 53)          -- port 0: any; u:port()
 *   local p = other:udp_send("10.0.0.1", 53, "ping", {from_port = 5000})
 *   local data, addr, port = u:recvfrom(1500, 1)  -- "ping", who sent it
 *   u:sendto("pong", addr, port); p:recvfrom()    --> "pong", "10.0.0.1", 53
 *
 * Errors name the operation, the address and the namespace:
 * "tcp listen 0.0.0.0:80 in netns test1: Address already in use". Every
 * wait has a deadline (SOCK_TIMEOUT unless given) and fails with "timed
 * out after N s"; recv returns "" only when the peer closed, recvfrom
 * returns "" for an empty datagram.
 *
 * UDP sockets are unconnected and have IP_RECVERR (see sock.h): an ICMP
 * error for a datagram is reported once, by the socket's next sendto or
 * recvfrom: "udp recvfrom 0.0.0.0:41234 in netns test2: Connection refused
 * (ICMP port unreachable from 10.0.0.1 for a datagram to 10.0.0.1:9)".
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lua_netns.h"
#include "sock.h"

#define LSOCK "nslab.socket"
#define SOCK_TIMEOUT 5.0      /* seconds, when no timeout is given */
#define SOCK_TIMEOUT_MAX 3600 /* no wait is longer */
#define SOCK_RECV_DEFAULT 65536
#define SOCK_RECV_MAX (16 << 20)
#define SOCK_DGRAM_MAX 65536 /* more than any datagram can carry */

struct lsock {
  int fd; /* -1 once closed */
  int listening;
  int udp; /* a datagram socket: sendto, recvfrom */
};

/* A socket's user values make its label, "ADDR:PORT in netns NAME": 1 is
 * the endpoint (the bound address of a listener or a UDP socket, the far
 * end of a connection), 2 the namespace's name. */

#define TIMEOUT_DOC "seconds to wait, 0..3600 (5)"

static const struct lopt listen_spec[] = {
    {"reuseaddr", LOPT_BOOL, 0, 0, NULL, NULL, 0, "SO_REUSEADDR (true)"},
    {"backlog", LOPT_INT, 1, 65535, NULL, NULL, 0,
     "the listen(2) backlog (128)"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
enum { LISTEN_REUSEADDR, LISTEN_BACKLOG };

static const struct lopt connect_spec[] = {
    {"timeout", LOPT_NUM, 0, SOCK_TIMEOUT_MAX, NULL, NULL, 0, TIMEOUT_DOC},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
enum { CONNECT_TIMEOUT };

static const struct lopt send_spec[] = {
    {"from_port", LOPT_INT, 0, 65535, NULL, NULL, 0,
     "the source port (0: any)"},
    {"timeout", LOPT_NUM, 0, SOCK_TIMEOUT_MAX, NULL, NULL, 0,
     "seconds to wait for buffer space, 0..3600 (5)"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
enum { SEND_FROM_PORT, SEND_TIMEOUT };

static const struct lopt_set option_sets[] = {{"tcp listen", listen_spec},
                                              {"tcp connect", connect_spec},
                                              {"udp send", send_spec},
                                              {NULL, NULL}};

/*
** {==================================================================
** Arguments and labels
** ===================================================================
*/

/* The socket at 1, the self of a method, still open. */
static struct lsock *check_sock (lua_State *L, const char *op) {
  struct lsock *s = luaL_testudata(L, 1, LSOCK);
  if (!s)
    lnslab_raise(L, "%s: argument self must be a socket, got %s", op,
                 luaL_typename(L, 1));
  if (s->fd < 0) lnslab_raise(L, "%s: attempt to use a closed socket", op);
  return s;
}

static const char *label (lua_State *L, int idx) {
  lua_getiuservalue(L, idx, 1);
  lua_getiuservalue(L, idx, 2);
  return lua_pushfstring(L, "%s in netns %s", lua_tostring(L, -2),
                         lua_tostring(L, -1));
}

/* "EP in netns NAME" for another endpoint, in the namespace of the socket
 * at idx (where a datagram goes). */
static const char *label_ep (lua_State *L, int idx, const struct sock_ep *ep) {
  char text[SOCK_EP_TEXT_MAX];
  sock_ep_format(ep, text, sizeof text);
  lua_getiuservalue(L, idx, 2);
  return lua_pushfstring(L, "%s in netns %s", text, lua_tostring(L, -1));
}

/* "tcp" or "udp", to name operations. */
static const char *proto (const struct lsock *s) {
  return s->udp ? "udp" : "tcp";
}

/* Seconds (checked: 0..SOCK_TIMEOUT_MAX) as milliseconds, rounded up. */
static int to_ms (lua_Number s) {
  lua_Number ms = s * 1000;
  int whole = (int)ms; /* no ceil(): libm is not linked */
  return whole < ms ? whole + 1 : whole;
}

/* The optional timeout argument at idx (argument n of the method). */
static int opt_timeout (lua_State *L, int idx, const char *op,
                        const char *object) {
  static const struct lopt spec = {"timeout", LOPT_NUM, 0, SOCK_TIMEOUT_MAX,
                                   NULL,      NULL,     0, NULL};
  struct lopt_val v;
  const char *what = lua_pushfstring(L, "argument %d (timeout)", idx - 1);
  lnslab_check_value(L, idx, op, object, what, &spec, &v);
  lua_pop(L, 1);
  return to_ms(v.set ? v.n : SOCK_TIMEOUT);
}

/* The optional size argument at idx: 1..max bytes, dflt when absent. */
static size_t opt_size (lua_State *L, int idx, const char *op,
                        const char *object, lua_Integer max, lua_Integer dflt) {
  struct lopt spec = {"max", LOPT_INT, 1, (lua_Number)max, NULL, NULL, 0, NULL};
  struct lopt_val v;
  const char *what = lua_pushfstring(L, "argument %d (max)", idx - 1);
  lnslab_check_value(L, idx, op, object, what, &spec, &v);
  lua_pop(L, 1);
  return (size_t)(v.set ? v.i : dflt);
}

/* The data argument at idx: a string of any bytes (a datagram, a
 * stream), kept on the stack by the caller. */
static const char *check_data (lua_State *L, int idx, const char *op,
                               const char *object, size_t *len) {
  if (lua_type(L, idx) != LUA_TSTRING)
    lnslab_raise(L, "%s%s%s: argument %d (data) must be a string, got %s", op,
                 object ? " " : "", object ? object : "", idx - 1,
                 luaL_typename(L, idx));
  return lua_tolstring(L, idx, len);
}

/* The endpoint given as (addr, port) at idx, idx + 1 (arguments idx - 1
 * and idx of the method); the port from min_port (a destination needs
 * one, 1) to 65535. */
static void check_ep (lua_State *L, int idx, const char *op, int min_port,
                      struct sock_ep *ep) {
  static const struct lopt addr = {
      "addr", LOPT_STR, 0, IPADDR_TEXT_MAX, NULL, NULL, LOPT_REQUIRED, NULL};
  struct lopt port = {"port", LOPT_INT, min_port,      65535,
                      NULL,   NULL,     LOPT_REQUIRED, NULL};
  struct lopt_val a, p;
  struct err e;
  const char *what = lua_pushfstring(L, "argument %d (addr)", idx - 1);
  lnslab_check_value(L, idx, op, NULL, what, &addr, &a);
  lua_pop(L, 1);
  if (ipaddr_parse(a.s, &ep->addr, &e) < 0 || ep->addr.prefixlen >= 0) {
    err_set(&e, EINVAL, "not an IPv4 or IPv6 address");
    lnslab_fail(L, op, lua_pushfstring(L, "\"%s\"", a.s), &e);
  }
  what = lua_pushfstring(L, "argument %d (port)", idx);
  lnslab_check_value(L, idx + 1, op, a.s, what, &port, &p);
  lua_pop(L, 1);
  ep->port = (int)p.i;
}

/* "ADDR:PORT", the object of a message about options for ep, pushed. */
static const char *ep_text (lua_State *L, const struct sock_ep *ep) {
  char text[SOCK_EP_TEXT_MAX];
  sock_ep_format(ep, text, sizeof text);
  return lua_pushstring(L, text);
}

/* Label the socket at idx by the endpoint ep. */
static void set_label (lua_State *L, int idx, const struct sock_ep *ep) {
  char text[SOCK_EP_TEXT_MAX];
  sock_ep_format(ep, text, sizeof text);
  lua_pushstring(L, text);
  lua_setiuservalue(L, idx, 1);
}

/*
** A new socket userdata, its fd -1 until the socket exists (so a raise in
** between leaves nothing open), labelled by ep and the namespace name.
*/
static struct lsock *push_sock (lua_State *L, const struct sock_ep *ep,
                                const char *ns_name) {
  struct lsock *s = lua_newuserdatauv(L, sizeof *s, 2);
  s->fd = -1;
  s->listening = 0;
  s->udp = 0;
  luaL_setmetatable(L, LSOCK);
  set_label(L, lua_gettop(L), ep);
  lua_pushstring(L, ns_name ? ns_name : "(anonymous)");
  lua_setiuservalue(L, -2, 2);
  return s;
}

/* A listener (or UDP socket) on port 0 is labelled by the port it got. */
static void relabel_bound (lua_State *L, int idx, const struct lsock *s) {
  struct sock_ep ep;
  struct err e;
  if (sock_local(s->fd, &ep, &e) == 0) set_label(L, idx, &ep);
}

static void push_ep (lua_State *L, const struct sock_ep *ep) {
  char text[IPADDR_TEXT_MAX];
  ipaddr_format(&ep->addr, 0, text, sizeof text);
  lua_pushstring(L, text);
  lua_pushinteger(L, ep->port);
}

/* }================================================================== */

/*
** {==================================================================
** Making sockets: netns methods
** ===================================================================
*/

/*
** ns:tcp_listen(addr, port [, {reuseaddr = true, backlog = 128}])
*/
static int m_tcp_listen (lua_State *L) {
  struct lopt_val v[2];
  struct sock_ep ep;
  struct err e;
  lnslab_check_nargs(L, 4, "tcp listen");
  lua_settop(L, 4);
  struct lnetns *ns = lnetns_check(L, 1, "tcp listen");
  check_ep(L, 2, "tcp listen", 0, &ep);
  lnslab_options(L, 4, "tcp listen", ep_text(L, &ep), listen_spec, v);
  int reuseaddr = v[LISTEN_REUSEADDR].set ? v[LISTEN_REUSEADDR].b : 1;
  int backlog = v[LISTEN_BACKLOG].set ? (int)v[LISTEN_BACKLOG].i : 128;
  struct lsock *s = push_sock(L, &ep, ns->name);
  int sock = lua_gettop(L);
  if ((s->fd = sock_tcp_listen(ns->fd, &ep, backlog, reuseaddr, &e)) < 0)
    return lnslab_fail(L, "tcp listen", label(L, sock), &e);
  s->listening = 1;
  relabel_bound(L, sock, s);
  lua_settop(L, sock);
  return 1;
}

/*
** ns:tcp_connect(addr, port [, {timeout = seconds}])
*/
static int m_tcp_connect (lua_State *L) {
  struct lopt_val v[1];
  struct sock_ep ep;
  struct err e;
  lnslab_check_nargs(L, 4, "tcp connect");
  lua_settop(L, 4);
  struct lnetns *ns = lnetns_check(L, 1, "tcp connect");
  check_ep(L, 2, "tcp connect", 0, &ep);
  lnslab_options(L, 4, "tcp connect", ep_text(L, &ep), connect_spec, v);
  int timeout_ms =
      to_ms(v[CONNECT_TIMEOUT].set ? v[CONNECT_TIMEOUT].n : SOCK_TIMEOUT);
  struct lsock *s = push_sock(L, &ep, ns->name);
  int sock = lua_gettop(L);
  if ((s->fd = sock_tcp_connect(ns->fd, &ep, timeout_ms, &e)) < 0)
    return lnslab_fail(L, "tcp connect", label(L, sock), &e);
  lua_settop(L, sock);
  return 1;
}

/*
** A UDP socket bound to ep in ns, pushed; raises "udp bind ...".
*/
static struct lsock *push_udp (lua_State *L, struct lnetns *ns,
                               const struct sock_ep *ep) {
  struct err e;
  struct lsock *s = push_sock(L, ep, ns->name);
  int sock = lua_gettop(L);
  s->udp = 1;
  if ((s->fd = sock_udp_bind(ns->fd, ep, &e)) < 0)
    lnslab_fail(L, "udp bind", label(L, sock), &e);
  relabel_bound(L, sock, s);
  return s;
}

/*
** ns:udp_bind(addr, port) --> an unconnected UDP socket (port 0: any).
** It takes no options: a table of them is an extra argument, refused.
*/
static int m_udp_bind (lua_State *L) {
  struct sock_ep ep;
  lnslab_check_nargs(L, 3, "udp bind");
  lua_settop(L, 3);
  struct lnetns *ns = lnetns_check(L, 1, "udp bind");
  check_ep(L, 2, "udp bind", 0, &ep);
  lua_settop(L, 3);
  push_udp(L, ns, &ep);
  return 1;
}

/*
** ns:udp_send(addr, port, data [, {from_port = 0, timeout = seconds}])
** --> the socket that sent it (bound to the wildcard address of addr's
** family and from_port, 0: any), to recvfrom the reply on. The timeout
** bounds the wait for buffer space only; a datagram is never
** acknowledged. Its errors are those of udp bind and udp sendto.
*/
static int m_udp_send (lua_State *L) {
  struct lopt_val v[2];
  struct sock_ep to, from;
  struct err e;
  size_t len;
  lnslab_check_nargs(L, 5, "udp send");
  lua_settop(L, 5);
  struct lnetns *ns = lnetns_check(L, 1, "udp send");
  check_ep(L, 2, "udp send", 1, &to);
  const char *object = ep_text(L, &to);
  const char *data = check_data(L, 4, "udp send", object, &len);
  lnslab_options(L, 5, "udp send", object, send_spec, v);
  int timeout_ms =
      to_ms(v[SEND_TIMEOUT].set ? v[SEND_TIMEOUT].n : SOCK_TIMEOUT);
  memset(&from, 0, sizeof from);
  from.addr.family = to.addr.family; /* the wildcard address */
  from.addr.prefixlen = -1;
  from.port = v[SEND_FROM_PORT].set ? (int)v[SEND_FROM_PORT].i : 0;
  lua_settop(L, 5);
  struct lsock *s = push_udp(L, ns, &from);
  if (sock_udp_sendto(s->fd, data, len, &to, timeout_ms, &e) < 0) {
    close(s->fd);
    s->fd = -1;
    return lnslab_fail(L, "udp sendto", label_ep(L, 6, &to), &e);
  }
  lua_settop(L, 6);
  return 1;
}

/* }================================================================== */

/*
** {==================================================================
** Socket methods
** ===================================================================
*/

/*
** s:accept([timeout]) --> socket, peer address, peer port
*/
static int m_accept (lua_State *L) {
  struct lsock *s = check_sock(L, "tcp accept");
  lnslab_check_nargs(L, 2, "tcp accept");
  lua_settop(L, 2);
  int timeout_ms = opt_timeout(L, 2, "tcp accept", label(L, 1));
  struct sock_ep peer;
  struct err e;
  if (!s->listening)
    return lnslab_raise(L, "tcp accept %s: not a listening socket",
                        label(L, 1));
  /* The owner exists before the connection does: nothing can raise
     between accept and the handover. */
  struct lsock *c = lua_newuserdatauv(L, sizeof *c, 2);
  c->fd = -1;
  c->listening = 0;
  c->udp = 0;
  luaL_setmetatable(L, LSOCK);
  int conn = lua_gettop(L);
  if ((c->fd = sock_tcp_accept(s->fd, timeout_ms, &peer, &e)) < 0)
    return lnslab_fail(L, "tcp accept", label(L, 1), &e);
  set_label(L, conn, &peer);  /* its peer, */
  lua_getiuservalue(L, 1, 2); /* in the listener's namespace */
  lua_setiuservalue(L, conn, 2);
  lua_settop(L, conn);
  push_ep(L, &peer);
  return 3;
}

static struct lsock *check_connected (lua_State *L, const char *op, int nargs) {
  struct lsock *s = check_sock(L, op);
  lnslab_check_nargs(L, nargs, op);
  lua_settop(L, nargs); /* absent arguments are nil, our values above */
  if (s->listening)
    lnslab_raise(L, "%s %s: a listening socket has no data", op, label(L, 1));
  if (s->udp)
    lnslab_raise(L, "%s %s: not a tcp socket (udp: sendto, recvfrom)", op,
                 label(L, 1));
  return s;
}

static struct lsock *check_udp (lua_State *L, const char *op, int nargs) {
  struct lsock *s = check_sock(L, op);
  lnslab_check_nargs(L, nargs, op);
  lua_settop(L, nargs); /* absent arguments are nil, our values above */
  if (!s->udp) lnslab_raise(L, "%s %s: not a udp socket", op, label(L, 1));
  return s;
}

/*
** s:sendto(data, addr, port [, timeout]) --> #data, once it is sent
*/
static int m_sendto (lua_State *L) {
  struct lsock *s = check_udp(L, "udp sendto", 5);
  size_t len;
  const char *object = label(L, 1);
  const char *data = check_data(L, 2, "udp sendto", object, &len);
  struct sock_ep ep;
  struct err e;
  check_ep(L, 3, "udp sendto", 1, &ep);
  int timeout_ms = opt_timeout(L, 5, "udp sendto", object);
  if (sock_udp_sendto(s->fd, data, len, &ep, timeout_ms, &e) < 0)
    return lnslab_fail(L, "udp sendto", label_ep(L, 1, &ep), &e);
  lua_pushinteger(L, (lua_Integer)len);
  return 1;
}

/*
** s:recvfrom([max [, timeout]]) --> data, peer address, peer port: the
** next datagram (cut to max bytes) and where it came from
*/
static int m_recvfrom (lua_State *L) {
  struct lsock *s = check_udp(L, "udp recvfrom", 3);
  const char *object = label(L, 1);
  size_t max =
      opt_size(L, 2, "udp recvfrom", object, SOCK_DGRAM_MAX, SOCK_DGRAM_MAX);
  int timeout_ms = opt_timeout(L, 3, "udp recvfrom", object);
  struct sock_ep peer;
  luaL_Buffer b;
  struct err e;
  char *p = luaL_buffinitsize(L, &b, max);
  ssize_t n = sock_udp_recvfrom(s->fd, p, max, timeout_ms, &peer, &e);
  if (n < 0) return lnslab_fail(L, "udp recvfrom", object, &e);
  luaL_pushresultsize(&b, (size_t)n);
  push_ep(L, &peer);
  return 3;
}

/*
** s:send(data [, timeout]) --> #data, once all of it is sent
*/
static int m_send (lua_State *L) {
  struct lsock *s = check_connected(L, "tcp send", 3);
  size_t len;
  const char *object = label(L, 1);
  const char *data = check_data(L, 2, "tcp send", object, &len);
  int timeout_ms = opt_timeout(L, 3, "tcp send", object);
  struct err e;
  if (sock_send_all(s->fd, data, len, timeout_ms, &e) < 0)
    return lnslab_fail(L, "tcp send", object, &e);
  lua_pushinteger(L, (lua_Integer)len);
  return 1;
}

/*
** s:recv([max [, timeout]]) --> up to max bytes; "" when the peer closed
*/
static int m_recv (lua_State *L) {
  struct lsock *s = check_connected(L, "tcp recv", 3);
  const char *object = label(L, 1);
  size_t max =
      opt_size(L, 2, "tcp recv", object, SOCK_RECV_MAX, SOCK_RECV_DEFAULT);
  int timeout_ms = opt_timeout(L, 3, "tcp recv", object);
  luaL_Buffer b;
  struct err e;
  char *p = luaL_buffinitsize(L, &b, max);
  ssize_t n = sock_recv(s->fd, p, max, timeout_ms, &e);
  if (n < 0) return lnslab_fail(L, "tcp recv", object, &e);
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

/* s:shutdown(): no more sending (the peer reads ""); reading goes on. */
static int m_shutdown (lua_State *L) {
  struct lsock *s = check_connected(L, "tcp shutdown", 1);
  if (shutdown(s->fd, SHUT_WR) < 0)
    return lnslab_raise(L, "tcp shutdown %s: %s", label(L, 1), strerror(errno));
  return 0;
}

/* op0 names the operation until the socket's protocol is known. */
static int push_end (lua_State *L, const char *op0, const char *what,
                     int peer) {
  lnslab_check_nargs(L, 1, op0);
  struct lsock *s = check_sock(L, op0);
  struct sock_ep ep;
  struct err e;
  const char *op = lua_pushfstring(L, "%s %s", proto(s), what);
  if ((peer ? sock_peer : sock_local)(s->fd, &ep, &e) < 0)
    return lnslab_fail(L, op, label(L, 1), &e);
  push_ep(L, &ep);
  return 2;
}

static int m_peer (lua_State *L) {
  return push_end(L, "socket peer", "peer", 1);
}
static int m_local_address (lua_State *L) {
  return push_end(L, "socket local address", "local address", 0);
}

/* s:port(): the local port (what port 0 was bound to). */
static int m_port (lua_State *L) {
  push_end(L, "socket port", "local address", 0);
  return 1;
}

/* __gc and __close (which is given the error too) */
static int m_release (lua_State *L) {
  struct lsock *s = luaL_testudata(L, 1, LSOCK);
  if (!s)
    return lnslab_raise(L,
                        "socket close: argument self must be a socket, got %s",
                        luaL_typename(L, 1));
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  return 0;
}

/* s:close(): closing twice is fine; s:close(x) is a mistake. */
static int m_close (lua_State *L) {
  lnslab_check_nargs(L, 1, "socket close");
  return m_release(L);
}

static int m_tostring (lua_State *L) {
  struct lsock *s = luaL_testudata(L, 1, LSOCK);
  if (!s)
    return lnslab_raise(
        L, "socket tostring: argument self must be a socket, got %s",
        luaL_typename(L, 1));
  const char *what = label(L, 1);
  if (s->fd < 0)
    lua_pushfstring(L, "%s socket %s (closed)", proto(s), what);
  else if (s->listening)
    lua_pushfstring(L, "tcp socket %s (listening)", what);
  else
    lua_pushfstring(L, "%s socket %s", proto(s), what);
  return 1;
}

/* }================================================================== */

static const luaL_Reg ns_methods[] = {{"tcp_listen", m_tcp_listen},
                                      {"tcp_connect", m_tcp_connect},
                                      {"udp_bind", m_udp_bind},
                                      {"udp_send", m_udp_send},
                                      {NULL, NULL}};

static void lsock_init (lua_State *L, int module, int methods) {
  static const luaL_Reg sock_methods[] = {
      {"accept", m_accept}, {"send", m_send},
      {"recv", m_recv},     {"shutdown", m_shutdown},
      {"sendto", m_sendto}, {"recvfrom", m_recvfrom},
      {"peer", m_peer},     {"local_address", m_local_address},
      {"port", m_port},     {"close", m_close},
      {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__gc", m_release},
                                  {"__close", m_release},
                                  {"__tostring", m_tostring},
                                  {NULL, NULL}};
  (void)module;
  (void)methods;
  lnslab_new_class(L, LSOCK, meta, sock_methods);
}

const struct lbinding lsock_binding = {"sock", NULL, ns_methods, option_sets,
                                       lsock_init};
