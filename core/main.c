/*
 * main.c - the nslab program: Lua 5.4 with nslab.core built in, run
 * inside a private world (see world.h), but for what changes nothing
 * (help, list) and for enter, which joins a world that exists.
 *
 *   nslab run [--color=WHEN] LAB [ARGS...]    a lab (lua/nslab/cli.lua)
 *   nslab repl [LAB] / nslab                  the prompt (cli.lua, repl.lua;
 *                                             libedit: lineedit.c)
 *   nslab explain / graph LAB                 (cli.lua)
 *   nslab list / help [TOPIC] / CMD --help    cli.lua, outside a world
 *   nslab lua [--] FILE [ARGS...]             a plain Lua script, as lua5.4
 *   nslab sandbox [--] CMD [ARGS...]          any command, no Lua
 *   nslab enter [ID [NETNS] [-- CMD...]]      join a running world (no Lua:
 *                                             world_join.c)
 *
 * Every command's usage text is in cli.lua (cli.usages).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lineedit.h"
#include "lua_aux.h"
#include "world.h"
#include "world_join.h"

#ifndef NSLAB_VERSION
#define NSLAB_VERSION "0.1.0"
#endif

#define EXIT_USAGE 2

/*
** {==================================================================
** Ctrl-C, errors and calls, as lua.c does them
** ===================================================================
*/

static lua_State *globalL = NULL;
static volatile sig_atomic_t interrupt_pending = 0;

/*
** The hook set by the signal handler: raise in the Lua code that runs.
*/
static void lstop (lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  interrupt_pending = 0;
  luaL_error(L, "interrupted!");
}

/*
** SIGINT: ask Lua to stop at the next instruction; lua_sethook is safe
** in a signal handler. A second Ctrl-C before Lua got there (stuck in C)
** ends the world.
*/
static void laction (int sig) {
  int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  if (interrupt_pending) _exit(128 + sig);
  interrupt_pending = 1;
  lua_sethook(globalL, lstop, flag, 1);
}

/*
** Without SA_RESTART: a blocking read (the prompt's io.read) returns so
** that the interrupt is seen at once.
*/
static void set_sigint (void (*fn)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
}

static int msghandler (lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1;
    msg =
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/*
** Call the function below narg arguments with a traceback handler and
** Ctrl-C turned into a Lua error.
*/
static int docall (lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  globalL = L;
  set_sigint(laction);
  int status = lua_pcall(L, narg, nres, base);
  set_sigint(SIG_DFL);
  lua_sethook(L, NULL, 0, 0); /* an interrupt that came too late */
  interrupt_pending = 0;
  lua_remove(L, base);
  return status;
}

static int report (lua_State *L, int status) {
  if (status != LUA_OK) {
    fprintf(stderr, "nslab: %s\n", lua_tostring(L, -1));
    fflush(stderr);
    lua_pop(L, 1);
  }
  return status;
}

/* }================================================================== */

/*
** {==================================================================
** The Lua state
** ===================================================================
*/

/*
** The directory of this executable, from /proc/self/exe.
*/
static int exe_dir (char *buf, size_t size) {
  ssize_t n = readlink("/proc/self/exe", buf, size - 1);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  if (slash == NULL) return -1;
  *slash = '\0';
  return 0;
}

/*
** nslab.core is built in (and, for the prompt, nslab.lineedit and
** nslab.tty: lineedit.h); nslab's Lua files are found beside the
** executable, in the source tree (bin/../lua) or where `make install`
** put them (bin/../share/lua/5.4), before the system's.
*/
static void set_paths (lua_State *L) {
  char dir[PATH_MAX];
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_nslab_core);
  lua_setfield(L, -2, "nslab.core");
  lua_pushcfunction(L, luaopen_nslab_lineedit);
  lua_setfield(L, -2, "nslab.lineedit");
  lua_pushcfunction(L, luaopen_nslab_tty);
  lua_setfield(L, -2, "nslab.tty");
  lua_pop(L, 1);
  if (exe_dir(dir, sizeof dir) == 0) {
    lua_pushfstring(L,
                    "%s/../lua/?.lua;%s/../lua/?/init.lua;"
                    "%s/../share/lua/5.4/?.lua;%s/../share/lua/5.4/?/init.lua;",
                    dir, dir, dir, dir);
    lua_getfield(L, -2, "path");
    lua_concat(L, 2);
    lua_setfield(L, -2, "path");
  }
  lua_pop(L, 1);
}

/*
** The global 'arg' as lua5.4 makes it: arg[0] the script, arg[1..] its
** arguments, negative indices for what came before.
*/
static void create_arg_table (lua_State *L, int argc, char **argv, int script) {
  lua_createtable(L, argc - script - 1, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

/*
** nslab lua [--] FILE ARGS...: argv[script] is the script ("-" is stdin).
*/
static int run_script (lua_State *L, int argc, char **argv, int script) {
  const char *fname = argv[script];
  create_arg_table(L, argc, argv, script);
  int status = luaL_loadfile(L, strcmp(fname, "-") ? fname : NULL);
  if (status == LUA_OK) {
    luaL_checkstack(L, argc, "too many arguments to script");
    for (int i = script + 1; i < argc; i++) lua_pushstring(L, argv[i]);
    status = docall(L, argc - script - 1, 0);
  }
  return report(L, status) == LUA_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
** nslab run/repl/...: require("nslab.cli").main{argv[1], ..., program =
** this executable's path (cli.lua finds the shipped labs beside it)}; its
** integer result is the exit status.
*/
static int run_cli (lua_State *L, int argc, char **argv) {
  char exe[PATH_MAX];
  lua_getglobal(L, "require");
  lua_pushliteral(L, "nslab.cli");
  int status = docall(L, 1, 1);
  if (status != LUA_OK) return report(L, status), EXIT_FAILURE;
  lua_getfield(L, -1, "main");
  lua_createtable(L, argc, 1);
  for (int i = 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    lua_pushlstring(L, exe, (size_t)n);
    lua_setfield(L, -2, "program");
  }
  status = docall(L, 1, 1);
  if (status != LUA_OK) return report(L, status), EXIT_FAILURE;
  int isnum;
  lua_Integer code = lua_tointegerx(L, -1, &isnum);
  if (!isnum && !lua_isnil(L, -1)) {
    fprintf(stderr,
            "nslab: nslab.cli.main returned a %s, not an exit "
            "status\n",
            luaL_typename(L, -1));
    return EXIT_FAILURE;
  }
  return isnum ? (int)(code & 0xff) : EXIT_SUCCESS;
}

struct job {
  int argc;
  char **argv;
  int script; /* nslab lua: argv[script] is the script; 0: nslab.cli */
  int status;
};

/*
** Everything that touches the Lua state runs protected (lua.c's pmain),
** so that even a memory error while setting up is reported.
*/
static int pmain (lua_State *L) {
  struct job *job = lua_touserdata(L, 1);
  luaL_checkversion(L);
  luaL_openlibs(L);
  set_paths(L);
  lua_gc(L, LUA_GCRESTART);
  lua_gc(L, LUA_GCGEN, 0, 0);
  job->status = job->script ? run_script(L, job->argc, job->argv, job->script)
                            : run_cli(L, job->argc, job->argv);
  return 0;
}

static int run_lua (int argc, char **argv, int script) {
  struct job job = {argc, argv, script, EXIT_FAILURE};
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "nslab: cannot create the Lua state: not enough "
                    "memory\n");
    return EXIT_FAILURE;
  }
  lua_gc(L, LUA_GCSTOP);
  lua_pushcfunction(L, pmain);
  lua_pushlightuserdata(L, &job);
  report(L, lua_pcall(L, 1, 0, 0));
  lua_close(L);
  return job.status;
}

/* }================================================================== */

/*
** {==================================================================
** nslab sandbox: the world's init runs the command as its child
** ===================================================================
*/

/*
** The world's init (see world.c) already reaps orphans and forwards
** signals; the command simply takes the place of this process.
*/
static int sandbox (char **cmd) {
  fflush(NULL);
  execvp(cmd[0], cmd);
  fprintf(stderr, "nslab: %s: %s\n", cmd[0], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}

/* }================================================================== */

static int usage_error (const char *what, const char *arg) {
  fprintf(stderr, "nslab: %s%s\ntry 'nslab --help'\n", what, arg);
  return EXIT_USAGE;
}

static int is_help (const char *arg) {
  return arg != NULL && (!strcmp(arg, "--help") || !strcmp(arg, "-h"));
}

/*
** A lab holds three descriptors per container (pidfd, netns, netlink
** socket): the usual soft limit of 1024 would stop it near 340. Raise the
** soft limit to the hard one, as systemd advises for programs that need
** many descriptors (nslab waits with poll, never select). What a lab or
** `nslab sandbox` runs inherits it, as under a shell after `ulimit -n`.
*/
static void raise_fd_limit (void) {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

static int enter_world (void) {
  struct err e;
  raise_fd_limit();
  if (world_enter(&e) == 0) return 0;
  fprintf(stderr, "nslab: %s\n", err_text(&e));
  return -1;
}

/*
** What needs no world: help (cli.lua prints every command's usage,
** `nslab CMD --help` included), list (it reads files), enter (it joins a
** world that exists).
*/
int main (int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "repl";
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V"))
    return printf("nslab %s (%s)\n", NSLAB_VERSION, LUA_RELEASE), EXIT_SUCCESS;
  if (is_help(cmd) || !strcmp(cmd, "help") || !strcmp(cmd, "list") ||
      (argc > 2 && is_help(argv[2])))
    return run_lua(argc, argv, 0);
  if (!strcmp(cmd, "enter")) return world_join_main(argc - 2, argv + 2);
  if (!strcmp(cmd, "sandbox")) {
    int first = argc > 2 && !strcmp(argv[2], "--") ? 3 : 2;
    if (first >= argc) return usage_error("sandbox: no command given", "");
    if (enter_world() < 0) return EXIT_USAGE;
    return sandbox(argv + first);
  }
  if (!strcmp(cmd, "lua")) {
    int script = argc > 2 && !strcmp(argv[2], "--") ? 3 : 2;
    if (script >= argc) return usage_error("lua: no script given", "");
    if (enter_world() < 0) return EXIT_USAGE;
    return run_lua(argc, argv, script);
  }
  if (strcmp(cmd, "run") && strcmp(cmd, "repl") && strcmp(cmd, "explain") &&
      strcmp(cmd, "graph"))
    return usage_error("unknown command: ", cmd);
  if (enter_world() < 0) return EXIT_USAGE;
  return run_lua(argc, argv, 0);
}
