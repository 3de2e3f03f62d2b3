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
#include <signal.h>
#include <string.h>

#include "lua_netns.h"
#include "netns.h"
#include "proc.h"

/* The kernel's MAX_ARG_STRLEN, less the NUL. */
#define ARG_MAX_LEN (131072 - 1)
#define ARGV_MAX 100000
#define INPUT_MAX (64 << 20)
#define PID_MAX 4194304 /* PID_MAX_LIMIT */

static const struct lopt exec_spec[] = {
    {"input", LOPT_ANY, 0, 0, NULL, NULL, 0,
     "bytes for the command's stdin (a string, NULs allowed, up to 64 MiB)"},
    {"timeout", LOPT_NUM, 0.001, 86400, NULL, NULL, 0,
     "seconds before the command is killed (none)"},
    {"pid", LOPT_INT, 1, PID_MAX, NULL, NULL, 0,
     "run in the network, UTS and IPC namespaces of this process instead"},
    {NULL, 0, 0, 0, NULL, NULL, 0, NULL}};
enum { EXEC_INPUT, EXEC_TIMEOUT, EXEC_PID };

static const struct lopt_set option_sets[] = {{"netns exec", exec_spec},
                                              {NULL, NULL}};

/*
** The argv for cmd at idx: a string runs through /bin/sh -c; an array is
** the argv itself (numbers allowed, converted on the stack so that the
** strings stay referenced). The array is a userdata, freed by the GC
** whatever happens next. Leaves the userdata and the strings on the stack.
*/
static char **check_argv (lua_State *L, int idx, const char *object) {
  static const struct lopt word = {
      "",  LOPT_STR, 0, ARG_MAX_LEN, NULL, NULL, LOPT_REQUIRED | LOPT_EMPTY,
      NULL};
  static const struct lopt script = {
      "", LOPT_STR, 0, ARG_MAX_LEN, NULL, NULL, LOPT_REQUIRED, NULL};
  struct lopt_val v;
  if (lua_type(L, idx) != LUA_TTABLE) {
    lnslab_check_value(L, idx, "netns exec", object,
                       "argument 1 (cmd, a string or an array of strings)",
                       &script, &v);
    char **argv = lua_newuserdatauv(L, 4 * sizeof *argv, 0);
    argv[0] = "/bin/sh";
    argv[1] = "-c";
    argv[2] = (char *)v.s;
    argv[3] = NULL;
    return argv;
  }
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  if (n < 1 || n > ARGV_MAX)
    lnslab_raise(
        L, "netns exec %s: argument 1 (cmd) must hold 1..%d words, got %I",
        object, ARGV_MAX, n);
  luaL_checkstack(L, (int)n + 2, "too many arguments");
  char **argv = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof *argv, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_rawgeti(L, idx, i) == LUA_TNUMBER)
      lua_tostring(L, -1); /* a number is its text, converted in place */
    const char *label = lua_pushfstring(L, "argument 1 (cmd) item %I", i);
    lnslab_check_value(L, -2, "netns exec", object, label, &word, &v);
    lua_pop(L, 1);
    argv[i - 1] = (char *)v.s;
  }
  argv[n] = NULL;
  return argv;
}

/*
** opts.input (any bytes; it stays anchored in the options table).
*/
static const char *check_input (lua_State *L, int opts, const char *object,
                                size_t *len) {
  *len = 0;
  if (lua_isnoneornil(L, opts) || lua_getfield(L, opts, "input") == LUA_TNIL)
    return NULL;
  const char *s =
      lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, len) : NULL;
  if (!s || *len > INPUT_MAX)
    lnslab_raise(
        L,
        "netns exec %s: option 'input' must be a string of 0..%d bytes, got %s",
        object, INPUT_MAX,
        lua_type(L, -1) == LUA_TSTRING
            ? lua_pushfstring(L, "%I bytes", (lua_Integer)*len)
            : luaL_typename(L, -1));
  lua_pop(L, 1);
  return s;
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
    return lnslab_fail(L, "netns exec",
                       lua_pushfstring(L, "pid %I", (LUAI_UACINT)pid), &e);
  push_result(L, &r);
  proc_result_free(&r);
  return 1;
}

/*
** ns:exec(cmd [, opts])
*/
static int l_exec (lua_State *L) {
  struct lopt_val v[3];
  struct proc_result r;
  struct err e;
  size_t input_len;
  lnslab_check_nargs(L, 3, "netns exec");
  lua_settop(L, 3);
  struct lnetns *ns = lnetns_check(L, 1, "netns exec");
  const char *object = ns->name ? ns->name : "(anonymous)";
  lnslab_options(L, 3, "netns exec", object, exec_spec, v);
  const char *input = check_input(L, 3, object, &input_len);
  /* ms, rounded up; 0: no timeout */
  int timeout_ms =
      v[EXEC_TIMEOUT].set ? (int)(v[EXEC_TIMEOUT].n * 1000 + 0.999) : 0;
  char **argv = check_argv(L, 2, object);
  if (v[EXEC_PID].set)
    return exec_pid(L, v[EXEC_PID].i, argv, input, input_len, timeout_ms);
  /* An anonymous namespace the thread is in: the command runs as it is,
     in this mount namespace, so what it mounts (`ip netns add`) stays
     visible, as it would from a shell in the world's host. */
  int here = !ns->name && netns_is_current(ns->fd);
  if (proc_run(here ? -1 : ns->fd, ns->name, argv, input, input_len, timeout_ms,
               &r, &e) < 0)
    return lnslab_fail(L, "netns exec", object, &e);
  push_result(L, &r);
  proc_result_free(&r);
  return 1;
}

static const luaL_Reg methods[] = {{"exec", l_exec}, {NULL, NULL}};

const struct lbinding lproc_binding = {"proc", NULL, methods, option_sets,
                                       NULL};
