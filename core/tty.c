/*
 * tty.c - hand the terminal to an interactive program and take it back:
 * the Lua module nslab.tty (built into bin/nslab only), behind ns:shell().
 *
 *   require("nslab.tty").foreground{"ip", "netns", "exec", "test1", "bash"}
 *   --> exit status (128 + signal when killed)
 *
 * As a job-control shell does: the child gets a process group of its own
 * and the terminal's foreground (tcsetpgrp), with default signals; nslab
 * waits, then takes the terminal back and restores its modes. nslab runs
 * in the world's PID namespace, where the process group it started in
 * (the caller's shell's job) has no number: a terminal cannot be given
 * back to it. So the first handoff makes nslab's process a group of its
 * own, in the foreground, for the rest of the run; from then on Ctrl-Z
 * (SIGTSTP) is ignored, since only this process would stop and no shell
 * would notice it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lineedit.h"
#include "lua_aux.h"

#define TTY 0 /* stdin: the terminal the prompt reads */

static const int child_signals[] = {SIGINT,  SIGQUIT, SIGTSTP, SIGTTIN,
                                    SIGTTOU, SIGCHLD, SIGPIPE};
#define NSIGS (sizeof child_signals / sizeof child_signals[0])

/*
** tcsetpgrp from a background group raises SIGTTOU unless it is ignored.
*/
static int give_terminal (pid_t pgrp) {
  struct sigaction ign, old;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGTTOU, &ign, &old);
  int rc = tcsetpgrp(TTY, pgrp);
  sigaction(SIGTTOU, &old, NULL);
  return rc;
}

/*
** Once: this process leads a group of its own, in the foreground.
*/
static int own_group (void) {
  if (getpgrp() == getpid()) return 0;
  if (setpgid(0, 0) < 0) return -1;
  if (give_terminal(getpid()) < 0) return -1;
  signal(SIGTSTP, SIG_IGN);
  return 0;
}

static _Noreturn void child (char **argv, int report) {
  sigset_t none;
  setpgid(0, 0);
  give_terminal(getpid());
  for (size_t i = 0; i < NSIGS; i++) signal(child_signals[i], SIG_DFL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvp(argv[0], argv);
  int code = errno;
  ssize_t n = write(report, &code, sizeof code);
  (void)n;
  _exit(127);
}

/*
** Wait for the child; one stopped (Ctrl-Z in a program that does not
** handle it) is continued in the foreground, since nothing else could
** resume it.
*/
static int wait_child (pid_t pid) {
  int status;
  for (;;) {
    pid_t got = waitpid(pid, &status, WUNTRACED);
    if (got < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (WIFSTOPPED(status)) {
      give_terminal(pid);
      kill(-pid, SIGCONT);
      continue;
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  }
}

static int l_foreground (lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
  if (n < 1 || n > 1000)
    return lnslab_raise(L, "shell: argument 1 must hold 1..1000 words");
  if (!isatty(TTY))
    return lnslab_raise(L, "shell: stdin is not a terminal: an interactive "
                           "shell needs one");
  luaL_checkstack(L, (int)n + 1, "too many words");
  char **argv = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof *argv, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    argv[i - 1] = (char *)luaL_checkstring(L, -1); /* stays on the stack */
  }
  argv[n] = NULL;
  struct termios modes;
  int have_modes = tcgetattr(TTY, &modes) == 0;
  if (own_group() < 0)
    return lnslab_raise(L, "shell: cannot take the terminal: %s",
                        strerror(errno));
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0)
    return lnslab_raise(L, "shell: pipe: %s", strerror(errno));
  /* the prompt's Ctrl-C handler stays out of the way while the child has
     the terminal (the terminal sends SIGINT to the child's group only) */
  struct sigaction ign, old_int, old_quit;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGINT, &ign, &old_int);
  sigaction(SIGQUIT, &ign, &old_quit);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) child(argv, report[1]);
  int code = 0, status = -1, saved = errno;
  close(report[1]);
  if (pid > 0) {
    setpgid(pid, pid); /* both sides, whichever runs first */
    give_terminal(pid);
    if (read(report[0], &code, sizeof code) != (ssize_t)sizeof code) code = 0;
    status = wait_child(pid);
    saved = errno;
  }
  close(report[0]);
  give_terminal(getpgrp());
  if (have_modes) tcsetattr(TTY, TCSADRAIN, &modes);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGQUIT, &old_quit, NULL);
  if (pid < 0) return lnslab_raise(L, "shell: fork: %s", strerror(saved));
  if (code != 0)
    return lnslab_raise(L, "shell: %s: %s", argv[0], strerror(code));
  if (status < 0) return lnslab_raise(L, "shell: wait: %s", strerror(saved));
  lua_pushinteger(L, status);
  return 1;
}

int luaopen_nslab_tty (lua_State *L) {
  static const luaL_Reg fns[] = {{"foreground", l_foreground}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
