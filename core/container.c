/*
 * container.c - a long-lived process in namespaces of its own (see
 * container.h).
 *
 * The child is a vfork: it borrows the caller's memory (no copy of a big
 * Lua state, no page tables to duplicate, nothing for the parent to
 * fault back after), makes its namespaces and execs the idle program
 * (idle/idle.c), which the core carries and writes once into a sealed
 * memfd. The parent waits until the exec. Where a memfd cannot be
 * executed (vm.memfd_noexec = 2), the child is a fork that only pauses.
 *
 * The child reports through a pipe: one record, the step that failed with
 * its errno, or (a fork) "ready". EOF without a record means the exec
 * happened (a vfork) or that the child died first (a fork).
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "netns.h"
#include "now.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: say that it will be executed */
#endif

enum step {
  STEP_READY,
  STEP_PDEATHSIG,
  STEP_SESSION,
  STEP_SETNS,
  STEP_UNSHARE,
  STEP_HOSTNAME,
  STEP_FDS,
  STEP_EXEC
};

static const char *const step_names[] = {"ready",
                                         "tie it to its parent",
                                         "start a session",
                                         "join the network namespace",
                                         "unshare its namespaces",
                                         "set the hostname",
                                         "close inherited descriptors",
                                         "run the idle program"};

struct report {
  int step, code;
};

/* The idle program's image (idle_elf.S). */
extern const unsigned char nslab_idle_elf[], nslab_idle_elf_end[];

/*
** {==================================================================
** The idle program
** ===================================================================
*/

static int idle_fd = -2; /* -2: not made yet; -1: none, fork instead */

/*
** A sealed, close-on-exec memfd holding the idle program, made once per
** process; -1 when there is none (the caller forks instead).
*/
static int idle_program (void) {
  if (idle_fd != -2) return idle_fd;
  idle_fd = -1;
  unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  int fd = memfd_create("nslab-idle", flags | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = memfd_create("nslab-idle", flags);
  if (fd < 0) return -1;
  const unsigned char *p = nslab_idle_elf;
  while (p < nslab_idle_elf_end) {
    ssize_t n = write(fd, p, (size_t)(nslab_idle_elf_end - p));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return -1;
    }
    p += n;
  }
  fcntl(fd, F_ADD_SEALS,
        F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  return idle_fd = fd;
}

/* The exec of the idle program failed: fork from now on. */
static void idle_unusable (void) {
  if (idle_fd >= 0) close(idle_fd);
  idle_fd = -1;
}

/* }================================================================== */

/*
** {==================================================================
** The child
** ===================================================================
*/

static void send_report (int fd, enum step step, int code) {
  struct report r = {step, code};
  ssize_t n = write(fd, &r, sizeof r);
  (void)n;
}

static _Noreturn void child_fail (int report, enum step step) {
  send_report(report, step, errno);
  _exit(127);
}

/*
** Close every descriptor but 0, 1, 2 and keep; keep is moved above 2
** first if it sits there.
*/
static int close_inherited (int *keep) {
  if (*keep < 3) {
    int moved = fcntl(*keep, F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return -1;
    *keep = moved;
  }
  if (*keep > 3 && close_range(3, (unsigned)*keep - 1, 0) < 0) return -1;
  return close_range((unsigned)*keep + 1, ~0U, 0);
}

/*
** The idle program in place of the caller's image: every descriptor but
** 0, 1 and 2 goes at the exec (marked, not closed: the report pipe and
** the memfd are still needed until then).
*/
static _Noreturn void exec_idle (int report, int idle,
                                 const struct container_spec *s) {
  char *argv[] = {"nslab-idle", (char *)s->hostname, NULL};
  char *envp[] = {NULL};
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    child_fail(report, STEP_FDS);
  execveat(idle, "", argv, envp, AT_EMPTY_PATH);
  child_fail(report, STEP_EXEC);
}

/*
** Runs in a vfork (idle >= 0: the caller's memory, so it only makes
** system calls, then execs) or in a fork (idle < 0: it stays and pauses).
*/
static _Noreturn void run_child (int report, pid_t parent, int idle,
                                 const struct container_spec *s) {
  int flags = (s->netns_fd < 0 ? CLONE_NEWNET : 0) |
              (s->new_uts ? CLONE_NEWUTS : 0) | (s->new_ipc ? CLONE_NEWIPC : 0);
  child_reset_signals(); /* SIGTERM ends it */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) child_fail(report, STEP_PDEATHSIG);
  if (getppid() != parent) _exit(1); /* the parent died before prctl */
  if (setsid() < 0) child_fail(report, STEP_SESSION);
  /* setns into the namespace it is in would need a privilege that
     staying there does not. */
  if (s->netns_fd >= 0 && !netns_is_current(s->netns_fd) &&
      setns(s->netns_fd, CLONE_NEWNET) < 0)
    child_fail(report, STEP_SETNS);
  if (flags && unshare(flags) < 0) child_fail(report, STEP_UNSHARE);
  /* Only ever in a UTS namespace of its own: the world shares the
     machine's, so a hostname set here would rename the machine. */
  if (s->hostname && s->new_uts &&
      sethostname(s->hostname, strlen(s->hostname)) < 0)
    child_fail(report, STEP_HOSTNAME);
  if (idle >= 0) exec_idle(report, idle, s);
  if (close_inherited(&report) < 0) child_fail(report, STEP_FDS);
  send_report(report, STEP_READY, 0);
  close(report);
  for (;;) pause();
}

/* }================================================================== */

/*
** {==================================================================
** The parent
** ===================================================================
*/

static void reap (struct container *c) {
  if (c->reaped) return;
  while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR) {}
  c->reaped = 1;
}

static int check_spec (const struct container_spec *s, struct err *e) {
  if (s->hostname == NULL) return 0;
  if (!s->new_uts)
    return err_set(e, EINVAL,
                   "a hostname needs a UTS namespace of its own "
                   "(uts = true)");
  size_t len = strlen(s->hostname);
  if (len == 0) return err_set(e, EINVAL, "empty hostname");
  if (len > CONTAINER_HOSTNAME_MAX)
    return err_set(e, EINVAL, "hostname longer than %d bytes",
                   CONTAINER_HOSTNAME_MAX);
  return 0;
}

/* Has the child ended (a vfork child killed before its exec also lets
 * the parent go on)? Not reaped. */
static int ended (pid_t pid) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         si.si_pid == pid;
}

/*
** The child's one record: 0 when it is ready (it exec'd, or a fork said
** so), else the step that failed or -1 (the child reaped, e says why).
*/
static int read_report (int fd, int execs, struct container *c, struct err *e) {
  struct report r;
  ssize_t n;
  while ((n = read(fd, &r, sizeof r)) < 0 && errno == EINTR) {}
  if (n == 0 && execs && !ended(c->pid)) return 0;
  if (n == (ssize_t)sizeof r && r.step == STEP_READY) return 0;
  reap(c);
  if (n != (ssize_t)sizeof r || r.step <= STEP_READY || r.step > STEP_EXEC) {
    err_set(e, EIO, "the process ended before it was ready");
    return -1;
  }
  err_set(e, r.code, "%s: %s", step_names[r.step], strerror(r.code));
  return r.step;
}

/*
** One attempt: a vfork that execs the idle program (idle >= 0), or a fork.
** Returns 0, a failed step (> 0) or -1, with e set. All
** signals stay blocked until the child has its own default handlers:
** a vfork child runs in the caller's memory, and the caller's Lua
** handlers must never run there.
*/
static int start_child (const struct container_spec *s, int idle,
                        struct container *c, struct err *e) {
  int p[2];
  sigset_t all, old;
  pid_t parent = getpid();
  if (pipe2(p, O_CLOEXEC) < 0) return err_errno(e);
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t pid = idle >= 0 ? vfork() : fork();
  if (pid == 0) run_child(p[1], parent, idle, s);
  int saved = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    return err_set(e, saved, NULL);
  }
  c->pid = pid;
  c->reaped = 0;
  int rc = read_report(p[0], idle >= 0, c, e);
  close(p[0]);
  return rc;
}

int container_start (const struct container_spec *s, struct container *c,
                     struct err *e) {
  memset(c, 0, sizeof *c);
  c->pidfd = -1;
  c->reaped = 1; /* nothing to stop until it runs */
  if (check_spec(s, e) < 0) return -1;
  int idle = idle_program();
  int rc = start_child(s, idle, c, e);
  if (rc == STEP_EXEC) { /* the memfd cannot be run here */
    idle_unusable();
    rc = start_child(s, -1, c, e);
  }
  if (rc != 0) return -1;
  c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
  return 0;
}

int container_running (struct container *c) {
  if (c->reaped) return 0;
  pid_t got;
  while ((got = waitpid(c->pid, &c->status, WNOHANG)) < 0 && errno == EINTR) {}
  if (got == c->pid) c->reaped = 1;
  return !c->reaped;
}

/*
** Wait until the process has ended (not reaped), or the deadline: 1
** ended, 0 still running. Without a pidfd, look every 10 ms.
*/
static int wait_end (struct container *c, long long deadline) {
  for (;;) {
    if (ended(c->pid)) return 1;
    long long left = deadline - now_ms();
    if (left <= 0) return 0;
    if (c->pidfd >= 0) {
      struct pollfd p = {c->pidfd, POLLIN, 0};
      poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
    } else {
      struct timespec ts = {0, 10 * 1000000L};
      nanosleep(&ts, NULL);
    }
  }
}

int container_stop (struct container *c, int sig, int timeout_ms,
                    struct err *e) {
  if (!container_running(c)) return 0;
  if (kill(c->pid, sig) < 0) return err_errno(e);
  if (sig != SIGKILL && !wait_end(c, now_ms() + timeout_ms))
    kill(c->pid, SIGKILL);
  reap(c);
  return 0;
}

void container_release (struct container *c) {
  if (!c->reaped) {
    kill(c->pid, SIGKILL);
    reap(c);
  }
  if (c->pidfd >= 0) close(c->pidfd);
  c->pidfd = -1;
}

/* }================================================================== */
