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

#include "lua_nslab.h"
#include "sock.h"

#define LSOCK "nslab.socket"
#define SOCK_TIMEOUT 5.0         /* seconds, when no timeout is given */
#define SOCK_RECV_DEFAULT 65536
#define SOCK_RECV_MAX (16 << 20)
#define SOCK_DGRAM_MAX 65536     /* more than any datagram can carry */

struct lsock {
  int fd;          /* -1 once closed */
  int listening;
  int udp;         /* a datagram socket: sendto, recvfrom */
};

/* A socket's user values make its label, "ADDR:PORT in netns NAME": 1 is
 * the endpoint (the bound address of a listener or a UDP socket, the far
 * end of a connection), 2 the namespace's name. */


/*
** {==================================================================
** Arguments and labels
** ===================================================================
*/

static struct lsock *check_sock (lua_State *L, int idx) {
  struct lsock *s = luaL_checkudata(L, idx, LSOCK);
  if (s->fd < 0) lnslab_raise(L, "attempt to use a closed socket");
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


/* Seconds (>= 0, fractions allowed) as milliseconds, rounded up. */
static int to_ms (lua_State *L, lua_Number s, int arg) {
  if (!(s >= 0 && s <= 86400))   /* also catches NaN */
    luaL_argerror(L, arg, "timeout must be 0..86400 seconds");
  lua_Number ms = s * 1000;
  int whole = (int)ms;     /* no ceil(): libm is not linked */
  return whole < ms ? whole + 1 : whole;
}


static int opt_timeout (lua_State *L, int idx) {
  return to_ms(L, luaL_optnumber(L, idx, SOCK_TIMEOUT), idx);
}


/* A timeout option in seconds (SOCK_TIMEOUT when absent) as ms. */
static int opt_timeout_field (lua_State *L, int idx, const char *op) {
  lua_Number seconds = SOCK_TIMEOUT;
  if (!lua_isnoneornil(L, idx) && lua_getfield(L, idx, "timeout") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TNUMBER)
      lnslab_raise(L, "%s: option 'timeout' must be a number of seconds", op);
    seconds = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  return to_ms(L, seconds, idx);
}


/* The endpoint given as (addr, port) at idx, idx + 1; the port from
 * min_port (a destination needs one, 1) to 65535. */
static void check_ep (lua_State *L, int idx, const char *op, int min_port,
                      struct sock_ep *ep) {
  const char *text = luaL_checkstring(L, idx);
  lua_Integer port = luaL_checkinteger(L, idx + 1);
  struct err e;
  if (ipaddr_parse(text, &ep->addr, &e) < 0 || ep->addr.prefixlen >= 0) {
    err_set(&e, EINVAL, "not an IPv4 or IPv6 address");
    lnslab_fail(L, op, lua_pushfstring(L, "\"%s\"", text), &e);
  }
  if (port < min_port || port > 65535)
    lnslab_raise(L, "%s %s: port must be %d..65535", op, text, min_port);
  ep->port = (int)port;
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
  static const char *const allowed[] = { "reuseaddr", "backlog", NULL };
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct sock_ep ep;
  struct err e;
  check_ep(L, 2, "tcp listen", 0, &ep);
  lnslab_check_options(L, 4, "tcp listen", allowed);
  int reuseaddr = lnslab_opt_bool(L, 4, "tcp listen", "reuseaddr", 1);
  lua_Integer backlog = lnslab_opt_int(L, 4, "backlog", 128);
  if (backlog < 1 || backlog > 65535)
    lnslab_raise(L, "tcp listen: option 'backlog' must be 1..65535");
  struct lsock *s = push_sock(L, &ep, ns->name);
  int sock = lua_gettop(L);
  if ((s->fd = sock_tcp_listen(ns->fd, &ep, (int)backlog, reuseaddr, &e)) < 0)
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
  static const char *const allowed[] = { "timeout", NULL };
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct sock_ep ep;
  struct err e;
  check_ep(L, 2, "tcp connect", 0, &ep);
  lnslab_check_options(L, 4, "tcp connect", allowed);
  int timeout_ms = opt_timeout_field(L, 4, "tcp connect");
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
** It takes no options: a table of them is refused, not ignored.
*/
static int m_udp_bind (lua_State *L) {
  static const char *const allowed[] = { NULL };
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct sock_ep ep;
  check_ep(L, 2, "udp bind", 0, &ep);
  lnslab_check_options(L, 4, "udp bind", allowed);
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
  static const char *const allowed[] = { "from_port", "timeout", NULL };
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct sock_ep to, from;
  struct err e;
  size_t len;
  check_ep(L, 2, "udp send", 1, &to);
  const char *data = luaL_checklstring(L, 4, &len);
  lnslab_check_options(L, 5, "udp send", allowed);
  lua_Integer from_port = lnslab_opt_range(L, 5, "udp send", "from_port", 0,
                                           0, 65535);
  int timeout_ms = opt_timeout_field(L, 5, "udp send");
  memset(&from, 0, sizeof from);
  from.addr.family = to.addr.family;   /* the wildcard address */
  from.addr.prefixlen = -1;
  from.port = (int)from_port;
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
  struct lsock *s = check_sock(L, 1);
  int timeout_ms = opt_timeout(L, 2);
  struct sock_ep peer;
  struct err e;
  if (!s->listening)
    return lnslab_raise(L, "tcp accept %s: not a listening socket", label(L, 1));
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
  set_label(L, conn, &peer);               /* its peer, */
  lua_getiuservalue(L, 1, 2);              /* in the listener's namespace */
  lua_setiuservalue(L, conn, 2);
  lua_settop(L, conn);
  push_ep(L, &peer);
  return 3;
}


static struct lsock *check_connected (lua_State *L, const char *op) {
  struct lsock *s = check_sock(L, 1);
  if (s->listening)
    lnslab_raise(L, "%s %s: a listening socket has no data", op, label(L, 1));
  if (s->udp)
    lnslab_raise(L, "%s %s: not a tcp socket (udp: sendto, recvfrom)", op,
                 label(L, 1));
  return s;
}


static struct lsock *check_udp (lua_State *L, const char *op) {
  struct lsock *s = check_sock(L, 1);
  if (!s->udp)
    lnslab_raise(L, "%s %s: not a udp socket", op, label(L, 1));
  return s;
}


/*
** s:sendto(data, addr, port [, timeout]) --> #data, once it is sent
*/
static int m_sendto (lua_State *L) {
  struct lsock *s = check_udp(L, "udp sendto");
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  struct sock_ep ep;
  struct err e;
  check_ep(L, 3, "udp sendto", 1, &ep);
  int timeout_ms = opt_timeout(L, 5);
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
  struct lsock *s = check_udp(L, "udp recvfrom");
  lua_Integer max = luaL_optinteger(L, 2, SOCK_DGRAM_MAX);
  int timeout_ms = opt_timeout(L, 3);
  struct sock_ep peer;
  luaL_Buffer b;
  struct err e;
  luaL_argcheck(L, max >= 1 && max <= SOCK_DGRAM_MAX, 2, "must be 1..65536");
  char *p = luaL_buffinitsize(L, &b, (size_t)max);
  ssize_t n = sock_udp_recvfrom(s->fd, p, (size_t)max, timeout_ms, &peer, &e);
  if (n < 0) return lnslab_fail(L, "udp recvfrom", label(L, 1), &e);
  luaL_pushresultsize(&b, (size_t)n);
  push_ep(L, &peer);
  return 3;
}


/*
** s:send(data [, timeout]) --> #data, once all of it is sent
*/
static int m_send (lua_State *L) {
  struct lsock *s = check_connected(L, "tcp send");
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  int timeout_ms = opt_timeout(L, 3);
  struct err e;
  if (sock_send_all(s->fd, data, len, timeout_ms, &e) < 0)
    return lnslab_fail(L, "tcp send", label(L, 1), &e);
  lua_pushinteger(L, (lua_Integer)len);
  return 1;
}


/*
** s:recv([max [, timeout]]) --> up to max bytes; "" when the peer closed
*/
static int m_recv (lua_State *L) {
  struct lsock *s = check_connected(L, "tcp recv");
  lua_Integer max = luaL_optinteger(L, 2, SOCK_RECV_DEFAULT);
  int timeout_ms = opt_timeout(L, 3);
  luaL_Buffer b;
  struct err e;
  luaL_argcheck(L, max >= 1 && max <= SOCK_RECV_MAX, 2, "must be 1..16 MiB");
  char *p = luaL_buffinitsize(L, &b, (size_t)max);
  ssize_t n = sock_recv(s->fd, p, (size_t)max, timeout_ms, &e);
  if (n < 0) return lnslab_fail(L, "tcp recv", label(L, 1), &e);
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}


/* s:shutdown(): no more sending (the peer reads ""); reading goes on. */
static int m_shutdown (lua_State *L) {
  struct lsock *s = check_connected(L, "tcp shutdown");
  if (shutdown(s->fd, SHUT_WR) < 0)
    return lnslab_raise(L, "tcp shutdown %s: %s", label(L, 1), strerror(errno));
  return 0;
}


static int push_end (lua_State *L, int peer) {
  struct lsock *s = check_sock(L, 1);
  struct sock_ep ep;
  struct err e;
  if ((peer ? sock_peer : sock_local)(s->fd, &ep, &e) < 0)
    return lnslab_fail(L, lua_pushfstring(L, "%s %s", proto(s),
                                          peer ? "peer" : "local address"),
                       label(L, 1), &e);
  push_ep(L, &ep);
  return 2;
}

static int m_peer (lua_State *L) { return push_end(L, 1); }
static int m_local_address (lua_State *L) { return push_end(L, 0); }

/* s:port(): the local port (what port 0 was bound to). */
static int m_port (lua_State *L) {
  push_end(L, 0);
  return 1;
}


static int m_close (lua_State *L) {
  struct lsock *s = luaL_checkudata(L, 1, LSOCK);
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  return 0;
}


static int m_tostring (lua_State *L) {
  struct lsock *s = luaL_checkudata(L, 1, LSOCK);
  const char *what = label(L, 1);
  if (s->fd < 0) lua_pushfstring(L, "%s socket %s (closed)", proto(s), what);
  else if (s->listening) lua_pushfstring(L, "tcp socket %s (listening)", what);
  else lua_pushfstring(L, "%s socket %s", proto(s), what);
  return 1;
}

/* }================================================================== */


static void lsock_register(lua_State *L, int module, int methods) {
  static const luaL_Reg ns_methods[] = {
    {"tcp_listen", m_tcp_listen}, {"tcp_connect", m_tcp_connect},
    {"udp_bind", m_udp_bind}, {"udp_send", m_udp_send},
    {NULL, NULL}
  };
  static const luaL_Reg sock_methods[] = {
    {"accept", m_accept}, {"send", m_send}, {"recv", m_recv},
    {"shutdown", m_shutdown}, {"sendto", m_sendto}, {"recvfrom", m_recvfrom},
    {"peer", m_peer},
    {"local_address", m_local_address}, {"port", m_port},
    {"close", m_close}, {NULL, NULL}
  };
  static const luaL_Reg meta[] = {
    {"__gc", m_close}, {"__close", m_close}, {"__tostring", m_tostring},
    {NULL, NULL}
  };
  (void)module;
  lnslab_add(L, methods, ns_methods);
  luaL_newmetatable(L, LSOCK);
  int mt = lua_gettop(L);
  lnslab_add(L, mt, meta);
  lua_newtable(L);
  lnslab_add(L, lua_gettop(L), sock_methods);
  lua_setfield(L, mt, "__index");
  lua_pop(L, 1);
}

const struct lbinding lsock_binding = {"sock", NULL, NULL, NULL, lsock_register};
