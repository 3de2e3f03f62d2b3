/*
 * lua_util.c - small module functions the Lua layer needs and Lua lacks:
 * a monotonic clock, CPU times, a sleep, mkdir -p and readlink, without a
 * process.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lua_aux.h"

/* clock(): monotonic seconds, for deadlines that wall-clock jumps
 * cannot stretch. */
static int l_clock (lua_State *L) {
  struct timespec ts;
  lnslab_check_nargs(L, 0, "clock");
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

/* cpu_clock(): this thread's CPU seconds, user and system (the system
 * part is the kernel's work inside our syscalls): what a profile of a
 * shared, loaded machine can compare, where wall time drifts. */
static int l_cpu_clock (lua_State *L) {
  struct timespec ts;
  lnslab_check_nargs(L, 0, "cpu clock");
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

static lua_Number seconds (struct timeval tv) {
  return (lua_Number)tv.tv_sec + (lua_Number)tv.tv_usec / 1e6;
}

/* rusage(): this process's CPU seconds, every thread's (user, sys), and
 * those of the children it has reaped (children_user, children_sys):
 * a benchmark tells nslab's own work from its container processes'. */
static int l_rusage (lua_State *L) {
  struct rusage self, children;
  lnslab_check_nargs(L, 0, "rusage");
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  lua_createtable(L, 0, 4);
  lua_pushnumber(L, seconds(self.ru_utime));
  lua_setfield(L, -2, "user");
  lua_pushnumber(L, seconds(self.ru_stime));
  lua_setfield(L, -2, "sys");
  lua_pushnumber(L, seconds(children.ru_utime));
  lua_setfield(L, -2, "children_user");
  lua_pushnumber(L, seconds(children.ru_stime));
  lua_setfield(L, -2, "children_sys");
  return 1;
}

/* sleep(seconds): the pause between two polls of a condition. */
static int l_sleep (lua_State *L) {
  static const struct lopt spec = {"seconds", LOPT_NUM,      0,   1e9, NULL,
                                   NULL,      LOPT_REQUIRED, NULL};
  struct lopt_val v;
  lnslab_check_nargs(L, 1, "sleep");
  lnslab_check_arg(L, 1, "sleep", NULL, "seconds", &spec, &v);
  struct timespec ts = {(time_t)v.n,
                        (long)((v.n - (lua_Number)(time_t)v.n) * 1e9)};
  /* a handled signal (Ctrl-C) ends it early: Lua raises the interrupt */
  nanosleep(&ts, NULL);
  return 0;
}

/* mkdir(path): `mkdir -p` without a process per call. */
static int l_mkdir (lua_State *L) {
  char buf[PATH_MAX];
  lnslab_check_nargs(L, 1, "mkdir");
  const char *path =
      lnslab_check_str(L, 1, "mkdir", "path", sizeof buf - 1, NULL);
  strcpy(buf, path);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char c = *p;
    *p = '\0';
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
      return lnslab_raise(L, "mkdir %s: %s", buf, strerror(errno));
    if (!(*p = c)) break;
  }
  return 0;
}

/* readlink(path): what `ls -l /proc/PID/ns` shows, without ls. */
static int l_readlink (lua_State *L) {
  char buf[PATH_MAX];
  lnslab_check_nargs(L, 1, "readlink");
  const char *path =
      lnslab_check_str(L, 1, "readlink", "path", sizeof buf - 1, NULL);
  ssize_t n = readlink(path, buf, sizeof buf - 1);
  if (n < 0) return lnslab_raise(L, "readlink %s: %s", path, strerror(errno));
  lua_pushlstring(L, buf, (size_t)n);
  return 1;
}

static const luaL_Reg functions[] = {
    {"clock", l_clock}, {"cpu_clock", l_cpu_clock}, {"rusage", l_rusage},
    {"sleep", l_sleep}, {"mkdir", l_mkdir},         {"readlink", l_readlink},
    {NULL, NULL}};

const struct lbinding lutil_binding = {"util", functions, NULL, NULL, NULL};
