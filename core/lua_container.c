/*
 * lua_container.c - container processes ("nslab.container" userdata).
 *
 *   local c = core.container_start{hostname = "test1"}   -- new net, uts, ipc
 *   local d = core.container_start{net = core.netns_open_pid(c:pid())}
 *   c:pid(); c:running(); c:stop()          -- SIGTERM, SIGKILL after 2 s
 *   c:stop("KILL"); c:stop(15, 0.5)         -- signal, seconds to wait
 *
 * Options: net (a netns handle to join; nil: a new namespace with only lo,
 * down), hostname (needs uts), uts and ipc (new UTS/IPC namespaces, both
 * true unless false). A container nobody holds is killed when collected.
 * Commands run inside with ns:exec(cmd, {pid = c:pid()}).
 */
#include <signal.h>
#include <string.h>

#include "container.h"
#include "lua_netns.h"

#define LCONTAINER "nslab.container"
#define STOP_TIMEOUT 2.0 /* seconds between the signal and SIGKILL */

static const struct lopt start_spec[] = {
    {"hostname", LOPT_STR, 0, CONTAINER_HOSTNAME_MAX, NULL, NULL, LOPT_OBJECT,
     "its hostname (needs uts); names the container in messages"},
    {"net", LOPT_NETNS, 0, 0, NULL, NULL, 0,
     "a netns to join (default: a new one with only lo, down)"},
    {"uts", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "a UTS namespace of its own (true)"},
    {"ipc", LOPT_BOOL, 0, 0, NULL, NULL, 0,
     "an IPC namespace of its own (true)"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
enum { START_HOSTNAME, START_NET, START_UTS, START_IPC };

static const struct lopt_set option_sets[] = {{"container start", start_spec},
                                              {NULL, NULL}};

/* The container at 1, the self of a method: "OP: ..." when it is not. */
static struct container *check_container (lua_State *L, const char *op) {
  struct container *c = luaL_testudata(L, 1, LCONTAINER);
  if (!c)
    lnslab_raise(L, "%s: argument self must be a container, got %s", op,
                 luaL_typename(L, 1));
  return c;
}

/* "pid N", the object of a container's messages. */
static const char *label (lua_State *L, const struct container *c) {
  return lua_pushfstring(L, "pid %d", (int)c->pid);
}

/*
** core.container_start{net=, hostname=, uts=, ipc=}
*/
static int l_container_start (lua_State *L) {
  struct container_spec s = {-1, 1, 1, NULL};
  struct lopt_val v[4];
  struct err e;
  lnslab_check_nargs(L, 1, "container start");
  lua_settop(L, 1);
  lnslab_options(L, 1, "container start", NULL, start_spec, v);
  s.hostname = v[START_HOSTNAME].s;
  if (v[START_UTS].set) s.new_uts = v[START_UTS].b;
  if (v[START_IPC].set) s.new_ipc = v[START_IPC].b;
  if (v[START_NET].set) s.netns_fd = v[START_NET].ns->fd;
  struct container *c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  c->reaped = 1;
  c->pidfd = -1;
  luaL_setmetatable(L, LCONTAINER);
  if (container_start(&s, c, &e) < 0)
    return lnslab_fail(L, "container start", s.hostname, &e);
  return 1;
}

/* A signal as a number or a name: 15, "TERM", "SIGTERM". */
static int check_signal (lua_State *L, int idx, const char *op,
                         const char *object) {
  static const struct {
    const char *name;
    int sig;
  } names[] = {{"TERM", SIGTERM}, {"KILL", SIGKILL}, {"INT", SIGINT},
               {"HUP", SIGHUP},   {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},
               {"USR2", SIGUSR2}, {"STOP", SIGSTOP}, {"CONT", SIGCONT},
               {NULL, 0}};
  lua_Integer sig;
  if (lua_isnoneornil(L, idx)) return SIGTERM;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    if (lua_isinteger(L, idx) && (sig = lua_tointeger(L, idx)) > 0 &&
        sig < NSIG)
      return (int)sig;
  } else if (lua_type(L, idx) == LUA_TSTRING) {
    size_t len;
    const char *name = lua_tolstring(L, idx, &len);
    int whole = strlen(name) == len; /* "TERM\0x" is no signal */
    if (!strncmp(name, "SIG", 3)) name += 3;
    for (int i = 0; whole && names[i].name; i++)
      if (!strcmp(name, names[i].name)) return names[i].sig;
  }
  const char *got = luaL_typename(L, idx);
  if (lua_type(L, idx) == LUA_TNUMBER)
    got = lua_tostring(L, idx);
  else if (lua_type(L, idx) == LUA_TSTRING) { /* as lua_aux.c shows strings */
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    got = strlen(s) != len ? "a string with a NUL byte"
          : len > 40
              ? lua_pushfstring(L, "a string of %I bytes", (lua_Integer)len)
              : lua_pushfstring(L, "\"%s\"", s);
  }
  return lnslab_raise(
      L,
      "%s %s: argument 1 (signal) must be a signal number "
      "1..%d or one of TERM, KILL, INT, HUP, QUIT, USR1, USR2, STOP, CONT, "
      "got %s",
      op, object, NSIG - 1, got);
}

static int m_pid (lua_State *L) {
  struct container *c = check_container(L, "container pid");
  lnslab_check_nargs(L, 1, "container pid");
  lua_settop(L, 1);
  lua_pushinteger(L, c->pid);
  return 1;
}

static int m_running (lua_State *L) {
  struct container *c = check_container(L, "container running");
  lnslab_check_nargs(L, 1, "container running");
  lua_settop(L, 1);
  lua_pushboolean(L, container_running(c));
  return 1;
}

/*
** c:stop([signal [, timeout]]): the signal (SIGTERM), then SIGKILL if it
** has not ended within timeout seconds; it is reaped either way, so no
** zombie stays. Stopping a stopped container does nothing.
*/
static int m_stop (lua_State *L) {
  static const struct lopt timeout = {"timeout", LOPT_NUM, 0, 3600,
                                      NULL,      NULL,     0, NULL};
  struct lopt_val v;
  struct err e;
  struct container *c = check_container(L, "container stop");
  lnslab_check_nargs(L, 3, "container stop");
  lua_settop(L, 3);
  const char *object = label(L, c);
  int sig = check_signal(L, 2, "container stop", object);
  lnslab_check_value(L, 3, "container stop", object, "argument 2 (timeout)",
                     &timeout, &v);
  lua_Number s = v.set ? v.n : STOP_TIMEOUT;
  if (container_stop(c, sig, (int)(s * 1000), &e) < 0)
    return lnslab_fail(L, "container stop", object, &e);
  return 0;
}

/*
** c:signal([signal]): send it (SIGTERM) and return, as kill does; stop
** reaps. Many containers ended together are signalled first and stopped
** after, so their exits (and their namespaces' teardown) overlap in the
** kernel instead of running one after another.
*/
static int m_signal (lua_State *L) {
  struct err e;
  struct container *c = check_container(L, "container signal");
  lnslab_check_nargs(L, 2, "container signal");
  lua_settop(L, 2);
  const char *object = label(L, c);
  int sig = check_signal(L, 2, "container signal", object);
  if (container_running(c) && kill(c->pid, sig) < 0) {
    err_errno(&e);
    return lnslab_fail(L, "container signal", object, &e);
  }
  return 0;
}

static int m_gc (lua_State *L) {
  container_release(check_container(L, "container close"));
  return 0;
}

static int m_tostring (lua_State *L) {
  struct container *c = check_container(L, "container tostring");
  lua_pushfstring(L, "container pid %d (%s)", (int)c->pid,
                  container_running(c) ? "running" : "stopped");
  return 1;
}

static const luaL_Reg functions[] = {{"container_start", l_container_start},
                                     {NULL, NULL}};

static void lcontainer_init (lua_State *L, int module, int methods) {
  static const luaL_Reg container_methods[] = {{"pid", m_pid},
                                               {"running", m_running},
                                               {"stop", m_stop},
                                               {"signal", m_signal},
                                               {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__gc", m_gc},
                                  {"__close", m_gc},
                                  {"__tostring", m_tostring},
                                  {NULL, NULL}};
  (void)module;
  (void)methods;
  lnslab_new_class(L, LCONTAINER, meta, container_methods);
}

const struct lbinding lcontainer_binding = {"container", functions, NULL,
                                            option_sets, lcontainer_init};
