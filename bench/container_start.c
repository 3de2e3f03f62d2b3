/*
 * container_start.c - where a container start's time goes: each variant
 * of the start, N times, interleaved rounds, median per start (us).
 * Build and run inside a private world (needs build/idle, the idle
 * program): make build/container_start && bin/nslab sandbox --
 * build/container_start [N] [ROUNDS]. Each variant adds or removes one
 * ingredient of container_start (core/container.c); the namespaces are
 * killed after each variant's timing, so the kernel's teardown of one
 * variant overlaps the next (the rotated order spreads that).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
  F_EXEC = 1,      /* vfork-style clone that execs the idle program */
  F_UNSHARE = 2,   /* namespaces by unshare in the child, not clone flags */
  F_UTSIPC = 4,    /* + CLONE_NEWUTS | CLONE_NEWIPC */
  F_FDS = 8,       /* close_range CLOSE_RANGE_UNSHARE */
  F_HOST = 16,     /* sethostname */
  F_SIGS = 32,     /* reset 64 handlers, setsid, PDEATHSIG, PR_SET_NAME */
  F_PIDFD = 64,    /* pidfd_open in the parent */
  F_NSOPEN = 128,  /* open /proc/PID/ns/net in the parent */
  F_NOWAIT = 256,  /* the parent does not wait for the child (or its exec) */
  F_PHOST = 512,   /* the parent sets the hostname: unshare UTS, setns back */
};

static int uts_home;

static int idle_fd;
static volatile int ready_word;

struct arg {
  int flags;
  volatile int *ready;
};

static int child (void *p) {
  struct arg *a = p;
  int ns = CLONE_NEWNET | (a->flags & F_UTSIPC ? CLONE_NEWUTS | CLONE_NEWIPC : 0);
  if (a->flags & F_SIGS) {
    for (int s = 1; s < 65; s++) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      if (s != SIGKILL && s != SIGSTOP) syscall(SYS_rt_sigaction, s, &sa, NULL, 8);
    }
    syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    syscall(SYS_setsid);
    syscall(SYS_prctl, PR_SET_NAME, "nslab-idle", 0, 0, 0);
  }
  if (a->flags & F_UNSHARE) syscall(SYS_unshare, ns);
  if (a->flags & F_HOST) syscall(SYS_sethostname, "test1", 5);
  if (a->flags & F_FDS) syscall(SYS_close_range, 3, ~0U, 4 /* UNSHARE */);
  if (a->flags & F_EXEC) {
    char *argv[] = {"nslab-idle", "test1", NULL}, *envp[] = {NULL};
    syscall(SYS_execveat, idle_fd, "", argv, envp, AT_EMPTY_PATH);
    syscall(SYS_exit, 127);
  }
  if (a->ready) {
    *a->ready = 1;
    syscall(SYS_futex, a->ready, FUTEX_WAKE, 1, NULL, NULL, 0);
  }
  for (;;) syscall(SYS_ppoll, NULL, 0, NULL, NULL, 0);
  return 0;
}

static double now (void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

#define STACK (16 * 1024)

/* n starts of one variant; returns us per start (kills them after). */
static double run (int flags, int n) {
  pid_t *pids = calloc((size_t)n, sizeof *pids);
  int *fds = calloc((size_t)n * 2, sizeof *fds);
  char **stacks = calloc((size_t)n, sizeof *stacks);
  double t0 = now();
  for (int i = 0; i < n; i++) {
    int ns = CLONE_NEWNET | (flags & F_UTSIPC ? CLONE_NEWUTS | CLONE_NEWIPC : 0);
    if (flags & F_PHOST) ns &= ~CLONE_NEWUTS;
    int cf = CLONE_VM | CLONE_FILES | SIGCHLD | (flags & F_UNSHARE ? 0 : ns);
    if ((flags & F_EXEC) && !(flags & F_NOWAIT)) cf |= CLONE_VFORK;
    if (flags & F_PHOST) {
      unshare(CLONE_NEWUTS);
      sethostname("test1", 5);
    }
    stacks[i] = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    volatile int word = 0;
    /* in the child's stack: a child not waited for reads it later */
    struct arg *ap = (struct arg *)stacks[i], a = {flags, (flags & (F_EXEC | F_NOWAIT)) ? NULL : &word};
    *ap = a;
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    pids[i] = clone(child, stacks[i] + STACK, cf, ap);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (flags & F_PHOST) setns(uts_home, CLONE_NEWUTS);
    if (pids[i] < 0) { perror("clone"); exit(1); }
    if (a.ready)
      while (!word) syscall(SYS_futex, &word, FUTEX_WAIT, 0, NULL, NULL, 0);
    fds[2 * i] = fds[2 * i + 1] = -1;
    if (flags & F_PIDFD) fds[2 * i] = (int)syscall(SYS_pidfd_open, pids[i], 0);
    if (flags & F_NSOPEN) {
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/ns/net", pids[i]);
      fds[2 * i + 1] = open(path, O_RDONLY | O_CLOEXEC);
    }
  }
  double t = (now() - t0) / n * 1e6;
  for (int i = 0; i < n; i++) kill(pids[i], SIGKILL);
  for (int i = 0; i < n; i++) {
    waitpid(pids[i], NULL, 0);
    munmap(stacks[i], STACK);
    if (fds[2 * i] >= 0) close(fds[2 * i]);
    if (fds[2 * i + 1] >= 0) close(fds[2 * i + 1]);
  }
  free(pids), free(fds), free(stacks);
  return t;
}

/* The anonymous namespace alone: unshare + open + setns back. */
static double run_netns (int n) {
  int *fds = calloc((size_t)n, sizeof *fds);
  int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  double t0 = now();
  for (int i = 0; i < n; i++) {
    unshare(CLONE_NEWNET);
    fds[i] = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    setns(home, CLONE_NEWNET);
  }
  double t = (now() - t0) / n * 1e6;
  for (int i = 0; i < n; i++) close(fds[i]);
  close(home);
  free(fds);
  return t;
}

static int cmp (const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main (int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200, rounds = argc > 2 ? atoi(argv[2]) : 5;
  idle_fd = open(argc > 3 ? argv[3] : "build/idle", O_RDONLY | O_CLOEXEC);
  if (idle_fd < 0) { perror("build/idle"); return 1; }
  uts_home = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
  static const struct { const char *name; int flags; } v[] = {
      {"netns only: unshare(NEWNET) + open, in the caller", -1},
      {"clone NEWNET, no exec, wait (futex)", 0},
      {"clone NEWNET+UTS+IPC, no exec, wait", F_UTSIPC},
      {"  + sethostname", F_UTSIPC | F_HOST},
      {"  + close_range UNSHARE", F_UTSIPC | F_HOST | F_FDS},
      {"  + signals reset, setsid, pdeathsig, comm", F_UTSIPC | F_HOST | F_FDS | F_SIGS},
      {"  + pidfd_open", F_UTSIPC | F_HOST | F_FDS | F_SIGS | F_PIDFD},
      {"  + open /proc/PID/ns/net = no-exec start", F_UTSIPC | F_HOST | F_FDS | F_SIGS | F_PIDFD | F_NSOPEN},
      {"  same, not waiting for the child", F_UTSIPC | F_HOST | F_FDS | F_SIGS | F_PIDFD | F_NSOPEN | F_NOWAIT},
      {"  same, namespaces by unshare in the child", F_UNSHARE | F_UTSIPC | F_HOST | F_FDS | F_SIGS | F_PIDFD | F_NSOPEN},
      {"vfork+exec NEWNET only (clone flags)", F_EXEC},
      {"vfork+exec NEWNET+UTS+IPC (clone flags)", F_EXEC | F_UTSIPC},
      {"vfork+exec, unshare in child, no close_range", F_EXEC | F_UNSHARE | F_UTSIPC | F_HOST | F_SIGS},
      {"before: vfork+unshare+close_range+exec+pidfd+ns", F_EXEC | F_UNSHARE | F_UTSIPC | F_HOST | F_FDS | F_SIGS | F_PIDFD | F_NSOPEN},
      {"now: clone flags, hostname by the caller, exec not waited for, pidfd+ns", F_EXEC | F_NOWAIT | F_PHOST | F_UTSIPC | F_FDS | F_SIGS | F_PIDFD | F_NSOPEN},
  };
  enum { NV = sizeof v / sizeof v[0] };
  double r[NV][32];
  if (rounds > 32) rounds = 32;
  for (int k = 0; k < rounds; k++)
    for (int j = 0; j < NV; j++) {
      int i = (j + k) % NV; /* order rotated per round */
      r[i][k] = v[i].flags < 0 ? run_netns(n) : run(v[i].flags, n);
    }
  printf("%d starts per variant, median of %d rounds, us per start\n", n, rounds);
  for (int i = 0; i < NV; i++) {
    qsort(r[i], (size_t)rounds, sizeof r[i][0], cmp);
    printf("%8.0f  %s\n", r[i][rounds / 2], v[i].name);
  }
  return 0;
}
