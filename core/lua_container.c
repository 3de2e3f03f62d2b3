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
#include "lua_nslab.h"

#define LCONTAINER "nslab.container"
#define STOP_TIMEOUT 2.0   /* seconds between the signal and SIGKILL */


static struct container *check_container (lua_State *L, int idx) {
  return luaL_checkudata(L, idx, LCONTAINER);
}


/*
** core.container_start{net=, hostname=, uts=, ipc=}
*/
static int l_container_start (lua_State *L) {
  static const char *const allowed[] = {
    "net", "hostname", "uts", "ipc", NULL
  };
  struct container_spec s = { -1, 1, 1, NULL };
  struct err e;
  if (lua_isnoneornil(L, 1)) lua_settop(L, 0), lua_newtable(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lnslab_check_options(L, 1, "container start", allowed);
  s.hostname = lnslab_opt_str(L, 1, "hostname", NULL);
  s.new_uts = lnslab_opt_bool(L, 1, "container start", "uts", 1);
  s.new_ipc = lnslab_opt_bool(L, 1, "container start", "ipc", 1);
  if (lua_getfield(L, 1, "net") != LUA_TNIL)
    s.netns_fd = lnetns_check(L, -1, NULL)->fd;
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
static int check_signal (lua_State *L, int idx) {
  static const struct { const char *name; int sig; } names[] = {
    {"TERM", SIGTERM}, {"KILL", SIGKILL}, {"INT", SIGINT}, {"HUP", SIGHUP},
    {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
    {"STOP", SIGSTOP}, {"CONT", SIGCONT}, {NULL, 0}
  };
  if (lua_isnoneornil(L, idx)) return SIGTERM;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Integer sig = luaL_checkinteger(L, idx);
    luaL_argcheck(L, sig > 0 && sig < NSIG, idx, "not a signal number");
    return (int)sig;
  }
  const char *name = luaL_checkstring(L, idx);
  if (!strncmp(name, "SIG", 3)) name += 3;
  for (int i = 0; names[i].name; i++)
    if (!strcmp(name, names[i].name)) return names[i].sig;
  return luaL_argerror(L, idx, lua_pushfstring(L, "unknown signal \"%s\"",
                                               lua_tostring(L, idx)));
}


static int m_pid (lua_State *L) {
  lua_pushinteger(L, check_container(L, 1)->pid);
  return 1;
}


static int m_running (lua_State *L) {
  lua_pushboolean(L, container_running(check_container(L, 1)));
  return 1;
}


/*
** c:stop([signal [, timeout]]): the signal (SIGTERM), then SIGKILL if it
** has not ended within timeout seconds; it is reaped either way, so no
** zombie stays. Stopping a stopped container does nothing.
*/
static int m_stop (lua_State *L) {
  struct container *c = check_container(L, 1);
  int sig = check_signal(L, 2);
  lua_Number s = luaL_optnumber(L, 3, STOP_TIMEOUT);
  struct err e;
  luaL_argcheck(L, s >= 0 && s <= 3600, 3, "timeout must be 0..3600 seconds");
  if (container_stop(c, sig, (int)(s * 1000), &e) < 0)
    return lnslab_fail(L, "container stop",
                       lua_pushfstring(L, "pid %d", (int)c->pid), &e);
  return 0;
}


static int m_gc (lua_State *L) {
  container_release(check_container(L, 1));
  return 0;
}


static int m_tostring (lua_State *L) {
  struct container *c = check_container(L, 1);
  lua_pushfstring(L, "container pid %d (%s)", (int)c->pid,
                  container_running(c) ? "running" : "stopped");
  return 1;
}


static void lcontainer_register(lua_State *L, int module, int methods) {
  static const luaL_Reg functions[] = {
    {"container_start", l_container_start}, {NULL, NULL}
  };
  static const luaL_Reg container_methods[] = {
    {"pid", m_pid}, {"running", m_running}, {"stop", m_stop}, {NULL, NULL}
  };
  static const luaL_Reg meta[] = {
    {"__gc", m_gc}, {"__close", m_gc}, {"__tostring", m_tostring},
    {NULL, NULL}
  };
  (void)methods;
  lnslab_add(L, module, functions);
  luaL_newmetatable(L, LCONTAINER);
  int mt = lua_gettop(L);
  lnslab_add(L, mt, meta);
  lua_newtable(L);
  lnslab_add(L, lua_gettop(L), container_methods);
  lua_setfield(L, mt, "__index");
  lua_pop(L, 1);
}

const struct lbinding lcontainer_binding = {"container", NULL, NULL, NULL, lcontainer_register};
