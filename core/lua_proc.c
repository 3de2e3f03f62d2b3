/*
 * lua_proc.c - ns:exec(cmd [, opts]): run a program inside a namespace,
 * as `ip netns exec NAME cmd` does, and capture what it prints.
 *
 *   ns:exec "ip -br link"                         -- through /bin/sh -c
 *   ns:exec({"ping", "-c", 1, "10.0.0.2"}, {timeout = 5})
 *   --> {status = 0, signal = nil, stdout = "...", stderr = "..."}
 *   ns:exec("hostname", {pid = 1234})   -- nsenter -t 1234 -n -u -i hostname
 *
 * With pid, the command joins that process's network, UTS and IPC
 * namespaces (as `docker exec` does for a container) instead of ns's.
 */
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "lua_nslab.h"
#include "netns.h"
#include "proc.h"

static const char *const exec_options[] = { "input", "timeout", "pid",
                                            NULL };


/*
** The argv for cmd at idx: a string runs through /bin/sh -c; an array is
** the argv itself (numbers allowed, converted on the stack so that the
** strings stay referenced). The array is a userdata, freed by the GC
** whatever happens next. Leaves the userdata and the strings on the stack.
*/
static char **check_argv (lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TSTRING) {
    char **argv = lua_newuserdatauv(L, 4 * sizeof *argv, 0);
    argv[0] = "/bin/sh";
    argv[1] = "-c";
    argv[2] = (char *)lua_tostring(L, idx);
    argv[3] = NULL;
    return argv;
  }
  luaL_argexpected(L, lua_type(L, idx) == LUA_TTABLE, idx,
                   "string or array of strings");
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  luaL_argcheck(L, n > 0, idx, "empty command");
  luaL_argcheck(L, n < 100000, idx, "too many arguments");
  luaL_checkstack(L, (int)n + 1, "too many arguments");
  char **argv = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof *argv, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    int t = lua_rawgeti(L, idx, i);
    if (t != LUA_TSTRING && t != LUA_TNUMBER)
      luaL_argerror(L, idx, lua_pushfstring(L, "element %I is a %s, not a "
                    "string", (LUAI_UACINT)i, lua_typename(L, t)));
    argv[i - 1] = (char *)lua_tostring(L, -1);
  }
  argv[n] = NULL;
  return argv;
}


/*
** opts.timeout in seconds (fractions allowed) as milliseconds; 0: none.
*/
static int check_timeout (lua_State *L, int opts) {
  if (lua_isnoneornil(L, opts)) return 0;
  int t = lua_getfield(L, opts, "timeout");
  if (t == LUA_TNIL) { lua_pop(L, 1); return 0; }
  lua_Number s = lua_tonumber(L, -1);
  if (t != LUA_TNUMBER || !(s > 0))
    luaL_argerror(L, opts, "'timeout' must be a positive number of seconds");
  lua_pop(L, 1);
  s = ceil(s * 1000);
  return s >= INT_MAX ? INT_MAX : (int)s;
}


/*
** opts.input (any bytes), left on the stack to keep it referenced.
*/
static const char *check_input (lua_State *L, int opts, size_t *len) {
  *len = 0;
  if (lua_isnoneornil(L, opts)) return NULL;
  int t = lua_getfield(L, opts, "input");
  if (t == LUA_TNIL) return NULL;
  if (t != LUA_TSTRING)
    luaL_argerror(L, opts, "'input' must be a string");
  return lua_tolstring(L, -1, len);
}


static void push_result (lua_State *L, const struct proc_result *r) {
  lua_createtable(L, 0, 4);
  /* killed: report it as a shell would ($? = 128 + signal) */
  lua_pushinteger(L, r->signal ? 128 + r->signal : r->exit_code);
  lua_setfield(L, -2, "status");
  if (r->signal) {
    lua_pushinteger(L, r->signal);
    lua_setfield(L, -2, "signal");
  }
  lua_pushlstring(L, r->out, r->out_len);
  lua_setfield(L, -2, "stdout");
  lua_pushlstring(L, r->errout, r->err_len);
  lua_setfield(L, -2, "stderr");
}


/*
** cmd in all the namespaces of process pid. The namespace fds are closed
** before anything can raise.
*/
static int exec_pid (lua_State *L, lua_Integer pid, char **argv,
                     const char *input, size_t input_len, int timeout_ms) {
  struct proc_ns ns;
  struct proc_result r;
  struct err e;
  int rc = proc_ns_open_pid((long)pid, &ns, &e);
  if (rc == 0) {
    rc = proc_run_ns(&ns, NULL, argv, input, input_len, timeout_ms, &r, &e);
    proc_ns_close(&ns);
  }
  if (rc < 0)
    return lnslab_fail(L, "netns exec", lua_pushfstring(L, "pid %I",
                       (LUAI_UACINT)pid), &e);
  push_result(L, &r);
  proc_result_free(&r);
  return 1;
}


/*
** ns:exec(cmd [, opts])
*/
static int l_exec (lua_State *L) {
  struct lnetns *ns = lnetns_check(L, 1, NULL);
  struct proc_result r;
  struct err e;
  size_t input_len;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lnslab_check_options(L, 3, "netns exec", exec_options);
  }
  int timeout_ms = check_timeout(L, 3);
  const char *input = check_input(L, 3, &input_len);
  lua_Integer pid = lnslab_opt_int(L, 3, "pid", 0);
  char **argv = check_argv(L, 2);
  if (pid != 0)
    return exec_pid(L, pid, argv, input, input_len, timeout_ms);
  /* An anonymous namespace the thread is in: the command runs as it is,
     in this mount namespace, so what it mounts (`ip netns add`) stays
     visible, as it would from a shell in the world's host. */
  int here = !ns->name && netns_is_current(ns->fd);
  if (proc_run(here ? -1 : ns->fd, ns->name, argv, input, input_len,
               timeout_ms, &r, &e) < 0)
    return lnslab_fail(L, "netns exec", ns->name ? ns->name : "(anonymous)",
                       &e);
  push_result(L, &r);
  proc_result_free(&r);
  return 1;
}


static void lproc_register(lua_State *L, int module, int methods) {
  (void)module;
  lua_pushcfunction(L, l_exec);
  lua_setfield(L, methods, "exec");
}

const struct lbinding lproc_binding = {"proc", NULL, NULL, NULL, lproc_register};
