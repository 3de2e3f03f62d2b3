/*
 * container.c - a long-lived process in namespaces of its own (see
 * container.h).
 *
 * The child is a clone with CLONE_VM that execs the idle program
 * (idle/idle.c), which the core carries and writes once into a sealed
 * memfd: it borrows the caller's memory until then (no copy of a big Lua
 * state, no page tables to duplicate) and the caller does not wait for
 * the exec, except on the first start, to learn whether a memfd can be
 * run here. Its namespaces come from the clone flags, its hostname from
 * the caller, so a start that returns has them all ("The clone" below).
 * bench/container_start.c measures each ingredient.
 *
 * Where a memfd cannot be executed (vm.memfd_noexec = 2), the child is a
 * fork that only pauses and reports through a pipe: one record, the step
 * that failed with its errno, or "ready"; EOF without a record means it
 * died first.
 */
#include "container.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Valgrind runs no clone on a stack of the caller's (CLONE_VM without
 * CLONE_THREAD): it stops the whole process with "Unsupported clone()
 * flags". Under it a container is a fork that execs the idle program
 * (make valgrind); the header is there wherever valgrind is, and the
 * request costs nothing natively. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "child.h"
#include "idle/sys.h"
#include "netns.h"
#include "now.h"
#include "ns_pool.h"

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
  STEP_EXEC,
  STEP_CLONE
};

static const char *const step_names[] = {"ready",
                                         "tie it to its parent",
                                         "start a session",
                                         "join the network namespace",
                                         "unshare its namespaces",
                                         "set the hostname",
                                         "close inherited descriptors",
                                         "run the idle program",
                                         "start its process"};

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
static int idle_works;   /* one clone has exec'd it: wait no more */

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
  /* The child copies the descriptors up to this one: the lowest free. */
  int low = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (low >= 0 && low < fd) {
    close(fd);
    fd = low;
  } else if (low >= 0) {
    close(low);
  }
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
** Close every descriptor but 0, 1, 2, *keep and also (when >= 0); *keep
** is moved above 2 first if it sits there, also is above 2 (the idle
** program's memfd, made after the standard ones).
*/
static int close_inherited (int *keep, int also) {
  if (*keep < 3) {
    int moved = fcntl(*keep, F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return -1;
    *keep = moved;
  }
  int lo = *keep, hi = also;
  if (also < 3)
    hi = lo;
  else if (also < lo)
    lo = also, hi = *keep;
  if (lo > 3 && close_range(3, (unsigned)lo - 1, 0) < 0) return -1;
  if (hi > lo + 1 && close_range((unsigned)lo + 1, (unsigned)hi - 1, 0) < 0)
    return -1;
  return close_range((unsigned)hi + 1, ~0U, 0);
}

/*
** Set up the namespaces and hostname: what both kinds of child do once
** their descriptors are their own. Returns 0 or the step that failed.
*/
static enum step enter_namespaces (pid_t parent,
                                   const struct container_spec *s) {
  int flags = (s->netns_fd < 0 ? CLONE_NEWNET : 0) |
              (s->new_uts ? CLONE_NEWUTS : 0) | (s->new_ipc ? CLONE_NEWIPC : 0);
  child_reset_signals(); /* SIGTERM ends it */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) return STEP_PDEATHSIG;
  if (getppid() != parent) _exit(1); /* the parent died before prctl */
  if (setsid() < 0) return STEP_SESSION;
  /* setns into the namespace it is in would need a privilege that
     staying there does not. */
  if (s->netns_fd >= 0 && !netns_is_current(s->netns_fd) &&
      setns(s->netns_fd, CLONE_NEWNET) < 0)
    return STEP_SETNS;
  if (flags && unshare(flags) < 0) return STEP_UNSHARE;
  /* Only ever in a UTS namespace of its own: the world shares the
     machine's, so a hostname set here would rename the machine. */
  if (s->hostname && s->new_uts &&
      sethostname(s->hostname, strlen(s->hostname)) < 0)
    return STEP_HOSTNAME;
  return STEP_READY;
}

/*
** The fork child (no clone on a stack of its own here): it reports, then
** becomes the idle program when there is one (what it holds of the
** caller's memory goes, and a valgrind that runs nslab does not follow
** it), else stays a copy of the caller and pauses.
*/
static _Noreturn void fork_child (int report, pid_t parent,
                                  const struct container_spec *s, int idle) {
  enum step failed = enter_namespaces(parent, s);
  if (failed != STEP_READY) child_fail(report, failed);
  if (close_inherited(&report, idle) < 0) child_fail(report, STEP_FDS);
  send_report(report, STEP_READY, 0);
  close(report);
  if (idle >= 0) {
    char *const argv[] = {"nslab-idle", NULL}, *const envp[] = {NULL};
    char path[32];
    syscall(SYS_execveat, idle, "", argv, envp, AT_EMPTY_PATH);
    /* valgrind 3.19 runs no execveat; its path it does */
    snprintf(path, sizeof path, "/proc/self/fd/%d", idle);
    execve(path, argv, envp);
  }
  for (;;) pause();
}

/* }================================================================== */

/*
** {==================================================================
** The parent
** ===================================================================
*/

static void reclaim_stacks (void);

static void reap (struct container *c) {
  if (c->reaped) return;
  while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR) {}
  c->reaped = 1;
  reclaim_stacks();
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

/* A failed step of the child (reaped), as e; -1 when it names none. */
static int child_failed (const struct report *r, struct container *c,
                         struct err *e) {
  reap(c);
  if (r->step <= STEP_READY || r->step > STEP_EXEC) {
    err_set(e, EIO, "the process ended before it was ready");
    return -1;
  }
  err_set(e, r->code, "%s: %s", step_names[r->step], strerror(r->code));
  return r->step;
}

/* The fork child's one record: 0 when it is ready, else as child_failed. */
static int read_report (int fd, struct container *c, struct err *e) {
  struct report r = {STEP_READY, 0};
  ssize_t n;
  while ((n = read(fd, &r, sizeof r)) < 0 && errno == EINTR) {}
  if (n == (ssize_t)sizeof r && r.step == STEP_READY) return 0;
  if (n != (ssize_t)sizeof r) r.step = -1;
  return child_failed(&r, c, e);
}

/*
** {==================================================================
** The clone
** ===================================================================
*/

/*
** A clone with CLONE_VM, as posix_spawn makes one (no copy of the
** caller's memory, no page tables to duplicate), but without
** CLONE_VFORK: the caller does not wait for the exec. Its namespaces come
** from the clone flags and its hostname is set by the caller, in a UTS
** namespace the caller enters for the clone (and a network namespace to
** join likewise), so everything that can fail fails in the caller before
** container_start returns, and the namespaces exist when it does. The
** child only ties itself to the caller, leaves its session, takes a
** descriptor table of its own holding 0..idle only (CLONE_FILES, then
** close_range CLOSE_RANGE_UNSHARE: a copy of the caller's whole table
** would make the thousandth start cost a millisecond more than the
** first), and execs. It runs in the caller's memory while the caller
** goes on, so it makes raw system calls only (idle/sys.h: no errno, no
** libc state, no sanitizer), on a stack of its own holding all it reads,
** with every signal blocked (the idle program resets them after the
** exec; the caller's handlers must never run in the child). The kernel
** clears its tid word when it execs or dies (CLONE_CHILD_CLEARTID, as for
** a thread) and the caller frees that stack then.
**
** The first start waits for the exec (a futex on that word) to learn
** whether the memfd can be run here at all; the child leaves the failed
** step's error in its stack.
*/

#define CLONE_STACK (16 * 1024)

struct pending {
  struct pending *next; /* the caller's list of stacks in use */
  pid_t tid;            /* the child's; 0 once it has exec'd or died */
  pid_t parent;
  int idle;
  int step, code; /* a failed step and its errno, written by the child */
  char *argv[3], *envp[1];
  char hostname[CONTAINER_HOSTNAME_MAX + 1];
};

static struct pending *pending_stacks;

static void reclaim_stacks (void) {
  struct pending **at = &pending_stacks;
  while (*at) {
    struct pending *p = *at;
    if (__atomic_load_n(&p->tid, __ATOMIC_ACQUIRE) != 0) {
      at = &p->next;
      continue;
    }
    *at = p->next;
    munmap(p, CLONE_STACK);
  }
}

#define NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))

NO_SANITIZE static int clone_fail (struct pending *p, enum step step,
                                   long ret) {
  p->code = (int)-ret;
  p->step = step;
  return 127;
}

NO_SANITIZE static int clone_child (void *arg) {
  struct pending *p = arg;
  long r;
  if ((r = nslab_sys(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) < 0)
    return clone_fail(p, STEP_PDEATHSIG, r);
  if (nslab_sys(SYS_getppid, 0, 0, 0, 0, 0) != p->parent)
    return 1; /* the parent died before prctl */
  if ((r = nslab_sys(SYS_setsid, 0, 0, 0, 0, 0)) < 0)
    return clone_fail(p, STEP_SESSION, r);
  if ((r = nslab_sys(SYS_close_range, p->idle + 1, ~0U, CLOSE_RANGE_UNSHARE, 0,
                     0)) < 0)
    return clone_fail(p, STEP_FDS, r);
  if (p->idle > 3 &&
      (r = nslab_sys(SYS_close_range, 3, p->idle - 1, 0, 0, 0)) < 0)
    return clone_fail(p, STEP_FDS, r);
  r = nslab_sys(SYS_execveat, p->idle, (long)"", (long)p->argv, (long)p->envp,
                AT_EMPTY_PATH);
  return clone_fail(p, STEP_EXEC, r);
}

/* The caller's UTS and IPC namespaces, to come back to after the clone. */
static int uts_home = -1, ipc_home = -1;

/* A step that failed, as e; returns the step. */
static int step_failed (struct err *e, enum step step, int code) {
  err_set(e, code, "%s: %s", step_names[step], strerror(code));
  return step;
}

/* Until the child has exec'd or died (its tid word cleared). */
static void wait_exec (struct pending *p) {
  pid_t tid;
  while ((tid = __atomic_load_n(&p->tid, __ATOMIC_ACQUIRE)) != 0)
    syscall(SYS_futex, &p->tid, FUTEX_WAIT, tid, NULL, NULL, 0);
}

/*
** The clone in the caller's namespaces for the child, made by the
** caller's thread; 0 or a failed step, with e set. net and ipc: the
** namespaces it is born in (-1: a new one from the clone flags), which
** the caller enters for the clone: a network namespace it joins, or new
** ones made ahead (ns_pool.h).
*/
static int clone_in (const struct container_spec *s, int net, int ipc,
                     struct pending *p, pid_t *pid, struct err *e) {
  int saved_net = NETNS_NOT_LEFT, rc = 0;
  int flags = CLONE_VM | CLONE_FILES | CLONE_PARENT_SETTID |
              CLONE_CHILD_CLEARTID | SIGCHLD | (net < 0 ? CLONE_NEWNET : 0) |
              (s->new_ipc && ipc < 0 ? CLONE_NEWIPC : 0) |
              (s->new_uts && !s->hostname ? CLONE_NEWUTS : 0);
  /* joined: the clone inherits the caller's network namespace
     (netns_enter makes no setns when the caller is there already) */
  if (net >= 0 && netns_enter(net, &saved_net, e) < 0)
    return step_failed(e, STEP_SETNS, e->code);
  if (ipc >= 0 && setns(ipc, CLONE_NEWIPC) < 0) {
    rc = step_failed(e, STEP_UNSHARE, errno);
    goto net;
  }
  if (s->hostname) { /* check_spec: only with a UTS namespace of its own */
    if (unshare(CLONE_NEWUTS) < 0) {
      rc = step_failed(e, STEP_UNSHARE, errno);
      goto ipc;
    }
    if (sethostname(s->hostname, strlen(s->hostname)) < 0) {
      rc = step_failed(e, STEP_HOSTNAME, errno);
      goto uts;
    }
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  *pid = clone(clone_child, (char *)p + CLONE_STACK, flags, p, &p->tid, NULL,
               &p->tid);
  int saved = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (*pid < 0) rc = step_failed(e, STEP_CLONE, saved);
uts:
  if (s->hostname) netns_return(uts_home, CLONE_NEWUTS);
ipc:
  if (ipc >= 0) netns_return(ipc_home, CLONE_NEWIPC);
net:
  netns_leave(saved_net, e); /* back, or abort */
  return rc;
}

/* A descriptor on the caller's namespace of that kind, opened once. */
static int home (int *fd, const char *path) {
  if (*fd < 0) *fd = open(path, O_RDONLY | O_CLOEXEC);
  return *fd;
}

/* clone_in with new namespaces made ahead where the pool has spares;
 * where it has none, the clone flags make them (and report the error). */
static int clone_fresh (const struct container_spec *s, struct pending *p,
                        pid_t *pid, struct err *e) {
  int net = s->netns_fd, ipc = -1, pooled = -1;
  if (net < 0) net = pooled = ns_pool_take_spare(CLONE_NEWNET);
  if (s->new_ipc && home(&ipc_home, "/proc/thread-self/ns/ipc") >= 0)
    ipc = ns_pool_take_spare(CLONE_NEWIPC);
  int rc = clone_in(s, net, ipc, p, pid, e);
  if (pooled >= 0) close(pooled); /* the child holds it now */
  if (ipc >= 0) close(ipc);
  return rc;
}

/* Start the clone; wait: until it has exec'd. 0, a failed step (> 0) or
 * -1, with e set. */
static int spawn (const struct container_spec *s, int idle, int wait,
                  struct container *c, struct err *e) {
  reclaim_stacks();
  if (s->hostname && home(&uts_home, "/proc/thread-self/ns/uts") < 0)
    return step_failed(e, STEP_UNSHARE, errno);
  struct pending *p = mmap(NULL, CLONE_STACK, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) return err_errno(e);
  memset(p, 0, sizeof *p);
  p->parent = getpid();
  p->idle = idle;
  p->argv[0] = "nslab-idle";
  if (s->hostname) {
    memcpy(p->hostname, s->hostname, strlen(s->hostname) + 1);
    p->argv[1] = p->hostname;
  }
  pid_t pid = -1;
  int rc = clone_fresh(s, p, &pid, e);
  if (rc != 0) {
    munmap(p, CLONE_STACK);
    return rc;
  }
  c->pid = pid;
  c->reaped = 0;
  if (wait) {
    wait_exec(p);
    /* step 0 and alive: it exec'd */
    if (p->step == STEP_READY && !ended(pid))
      wait = 0;
    else {
      struct report r = {p->step, p->code};
      rc = child_failed(&r, c, e);
    }
    munmap(p, CLONE_STACK); /* it has left this memory */
    return rc;
  }
  p->next = pending_stacks;
  pending_stacks = p;
  return 0;
}

/* }================================================================== */

/* A fork that reports through a pipe, then runs idle (or pauses). */
static int fork_and_wait (const struct container_spec *s, int idle,
                          struct container *c, struct err *e) {
  int p[2];
  sigset_t all, old;
  pid_t parent = getpid();
  if (pipe2(p, O_CLOEXEC) < 0) return err_errno(e);
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid == 0) fork_child(p[1], parent, s, idle);
  int saved = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    return err_set(e, saved, NULL);
  }
  c->pid = pid;
  c->reaped = 0;
  int rc = read_report(p[0], c, e);
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
  int rc = idle >= 0 && !RUNNING_ON_VALGRIND ? spawn(s, idle, !idle_works, c, e)
                                             : fork_and_wait(s, idle, c, e);
  if (idle >= 0 && rc == 0) idle_works = 1; /* it exec'd: stop waiting */
  /* the memfd cannot be run here, or no private descriptor table (a
     kernel before 5.9): fork from now on */
  if (idle >= 0 && (rc == STEP_EXEC || (rc == STEP_FDS && e->code == EINVAL))) {
    idle_unusable();
    rc = fork_and_wait(s, -1, c, e);
  }
  if (rc != 0) return -1;
  c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
  return 0;
}

int container_running (struct container *c) {
  if (c->reaped) return 0;
  pid_t got;
  while ((got = waitpid(c->pid, &c->status, WNOHANG)) < 0 && errno == EINTR) {}
  if (got == c->pid) {
    c->reaped = 1;
    reclaim_stacks();
  }
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
