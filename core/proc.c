/*
 * proc.c - run a program inside a network namespace (see proc.h).
 *
 * The child does what `ip netns exec` does (setns, a private mount
 * namespace, /sys for the namespace, /etc/netns/NAME bind mounts), then
 * execs. Anything that fails before the exec comes back to the parent
 * through a close-on-exec pipe: EOF on it means the exec succeeded. The
 * parent feeds stdin and reads stdout and stderr in one poll loop, so a
 * program that writes a lot never blocks against a full pipe.
 */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "netns.h"
#include "now.h"

/* What the child failed to do, as sent through the report pipe. */
enum step {
  STEP_SETNS,
  STEP_SETNS_UTS,
  STEP_SETNS_IPC,
  STEP_UNSHARE,
  STEP_SLAVE,
  STEP_SYSFS,
  STEP_FDS,
  STEP_EXEC
};

static const char *const step_names[] = {
    "enter the network namespace", "enter the UTS namespace",
    "enter the IPC namespace",     "unshare the mount namespace",
    "make / a slave mount",        "mount /sys",
    "set up stdin/stdout/stderr",  "exec"};

struct report {
  int step, code;
};

/*
** {==================================================================
** The child
** ===================================================================
*/

static _Noreturn void child_fail (int report, enum step step) {
  struct report r = {step, errno};
  ssize_t n = write(report, &r, sizeof r);
  (void)n;
  _exit(127);
}

/*
** Bind every file of /etc/netns/NAME over its twin in /etc. Like ip, a
** bind that fails is a warning on the program's stderr, not an error.
*/
static void bind_etc (const char *name) {
  char dir[sizeof NETNS_ETC_DIR + NAME_MAX], src[PATH_MAX], dst[PATH_MAX];
  struct dirent *de;
  if (strlen(name) >= NAME_MAX) return;
  snprintf(dir, sizeof dir, "%s/%s", NETNS_ETC_DIR, name);
  DIR *d = opendir(dir);
  if (d == NULL) return;
  while ((de = readdir(d)) != NULL) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    snprintf(src, sizeof src, "%s/%s", dir, de->d_name);
    snprintf(dst, sizeof dst, "/etc/%s", de->d_name);
    if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
      dprintf(2, "nslab: bind %s -> %s failed: %s\n", src, dst,
              strerror(errno));
  }
  closedir(d);
}

/*
** Mount a sysfs that describes the current network namespace: detach the
** old one or, where that is refused, shadow it (read-only if it was).
*/
static int remount_sys (const char *name) {
  struct statvfs st;
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (umount2("/sys", MNT_DETACH) < 0 && statvfs("/sys", &st) == 0 &&
      (st.f_flag & ST_RDONLY))
    flags |= MS_RDONLY;
  return mount(name ? name : "sysfs", "/sys", "sysfs", flags, NULL);
}

static void enter_netns (int report, int netns_fd, const char *name) {
  if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0)
    child_fail(report, STEP_SETNS);
  if (unshare(CLONE_NEWNS) < 0) child_fail(report, STEP_UNSHARE);
  /* Don't let any mount propagate back to the parent. */
  if (mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    child_fail(report, STEP_SLAVE);
  if (remount_sys(name) < 0) child_fail(report, STEP_SYSFS);
  if (name) bind_etc(name);
}

/*
** Make fd the target standard descriptor. dup2 onto itself would keep
** close-on-exec, so that case clears the flag instead.
*/
static int move_fd (int fd, int target) {
  if (fd == target) return fcntl(fd, F_SETFD, 0);
  return dup2(fd, target) < 0 ? -1 : 0;
}

/*
** stdin, stdout, stderr from the pipes. The sources (and the report
** pipe) are first lifted above 2 so that no dup2 overwrites one of them.
** Then every other descriptor is marked close-on-exec, also those that
** the embedding program opened without the flag (e.g. Lua's io.open).
*/
static int setup_fds (int *report, int fds[3]) {
  if (*report < 3 && (*report = fcntl(*report, F_DUPFD_CLOEXEC, 3)) < 0)
    _exit(127);
  for (int i = 0; i < 3; i++)
    if (fds[i] < 3 && (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
      return -1;
  for (int i = 0; i < 3; i++)
    if (move_fd(fds[i], i) < 0) return -1;
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  return 0;
}

/*
** Whether name is a file in some directory of PATH. execvp says EACCES
** when one directory could not be searched (e.g. /root/bin for a user
** mapped to root), even if the program exists nowhere.
*/
static int in_path (const char *name) {
  char file[PATH_MAX];
  const char *path = getenv("PATH");
  if (path == NULL) path = "/bin:/usr/bin";
  while (*path) {
    int len = (int)strcspn(path, ":");
    if (snprintf(file, sizeof file, "%.*s/%s", len ? len : 1, len ? path : ".",
                 name) < (int)sizeof file &&
        access(file, F_OK) == 0)
      return 1;
    path += len + (path[len] == ':');
  }
  return 0;
}

/*
** UTS and IPC first: what they are does not depend on the network
** namespace, and the mount work that follows the network one comes last.
*/
static void enter_all (int report, const struct proc_ns *ns, const char *name) {
  if (ns->uts >= 0 && setns(ns->uts, CLONE_NEWUTS) < 0)
    child_fail(report, STEP_SETNS_UTS);
  if (ns->ipc >= 0 && setns(ns->ipc, CLONE_NEWIPC) < 0)
    child_fail(report, STEP_SETNS_IPC);
  if (ns->net >= 0 || name) enter_netns(report, ns->net, name);
}

static _Noreturn void run_child (int report, int fds[3],
                                 const struct proc_ns *ns, const char *name,
                                 char *const argv[]) {
  child_reset_signals(); /* ignored signals would survive exec */
  if (setup_fds(&report, fds) < 0) child_fail(report, STEP_FDS);
  enter_all(report, ns, name);
  execvp(argv[0], argv);
  if (errno == EACCES && !strchr(argv[0], '/') && !in_path(argv[0]))
    errno = ENOENT;
  child_fail(report, STEP_EXEC);
}

/* }================================================================== */

/*
** {==================================================================
** The parent
** ===================================================================
*/

struct buf {
  char *data;
  size_t len, cap;
};

struct io {
  int in, out, err, pidfd; /* parent's ends; -1 when closed */
  const char *input;
  size_t input_len, input_pos;
  int broken_pipe; /* the program closed stdin early */
  struct buf outb, errb;
};

static void close_fd (int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/*
** Read what is available on *fd into b; close *fd at EOF.
*/
static int drain (int *fd, struct buf *b, struct err *e) {
  while (*fd >= 0) {
    if (b->len > PROC_OUTPUT_MAX)
      return err_set(e, EFBIG,
                     "more than %d MiB of output: stopped it (send it to a "
                     "file, cmd > FILE)",
                     PROC_OUTPUT_MAX >> 20);
    if (b->cap - b->len < 4096) {
      size_t cap = b->cap ? b->cap * 2 : 8192;
      char *p = realloc(b->data, cap);
      if (p == NULL) return err_set(e, ENOMEM, "output too large");
      b->data = p;
      b->cap = cap;
    }
    ssize_t n = read(*fd, b->data + b->len, b->cap - b->len - 1);
    if (n > 0) {
      b->len += (size_t)n;
      continue;
    }
    if (n == 0) {
      close_fd(fd);
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) break;
    return err_errno(e);
  }
  return 0;
}

/*
** Write as much input as the pipe takes; close stdin when all is written
** or the program stopped reading (EPIPE: SIGPIPE is blocked meanwhile).
*/
static int feed (struct io *io, struct err *e) {
  while (io->in >= 0 && io->input_pos < io->input_len) {
    ssize_t n =
        write(io->in, io->input + io->input_pos, io->input_len - io->input_pos);
    if (n >= 0) {
      io->input_pos += (size_t)n;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return 0;
    if (errno != EPIPE) return err_errno(e);
    io->broken_pipe = 1;
    break;
  }
  close_fd(&io->in);
  return 0;
}

static int set_nonblock (int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/*
** One round of poll. Returns 1 while there is more to do, 0 when done:
** when the program exited (what is in the pipes is taken then; a
** background child holding them is not waited for), or, if its exit
** cannot be watched (no pidfd), when stdout and stderr are at EOF.
*/
static int pump (struct io *io, int timeout, struct err *e) {
  struct pollfd p[4] = {
      {io->in, POLLOUT, 0},
      {io->out, POLLIN, 0},
      {io->err, POLLIN, 0},
      {io->pidfd, POLLIN, 0},
  };
  if (io->out < 0 && io->err < 0 && io->pidfd < 0) return 0;
  int n = poll(p, 4, timeout);
  if (n < 0) return errno == EINTR ? 1 : err_errno(e);
  if (p[0].revents && feed(io, e) < 0) return -1;
  if (p[1].revents && drain(&io->out, &io->outb, e) < 0) return -1;
  if (p[2].revents && drain(&io->err, &io->errb, e) < 0) return -1;
  if (p[3].revents) {
    if (drain(&io->out, &io->outb, e) < 0) return -1;
    if (drain(&io->err, &io->errb, e) < 0) return -1;
    return 0;
  }
  return 1;
}

/*
** Run the I/O loop until done; past the deadline, SIGKILL the program
** and keep going until it is gone.
*/
static int pump_all (struct io *io, pid_t pid, int timeout_ms, struct err *e) {
  long long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : -1;
  int killed = 0, rc;
  do {
    int wait = -1;
    if (deadline >= 0 && !killed) {
      long long left = deadline - now_ms();
      if (left <= 0) {
        kill(pid, SIGKILL);
        killed = 1;
        if (io->pidfd < 0) return 0; /* cannot watch it: stop here */
      } else {
        wait = left > INT_MAX ? INT_MAX : (int)left;
      }
    }
    rc = pump(io, wait, e);
  } while (rc > 0);
  return rc;
}

/*
** The report pipe: EOF means the exec worked; otherwise the child says
** which step failed and why.
*/
static int read_report (int fd, char *const argv[], struct err *e) {
  struct report r;
  ssize_t n;
  while ((n = read(fd, &r, sizeof r)) < 0 && errno == EINTR) {}
  if (n == 0) return 0;
  if (n != (ssize_t)sizeof r) return err_set(e, EIO, "lost the child");
  if (r.step == STEP_EXEC && r.code == ENOENT)
    return err_set(e, ENOENT, "no such program \"%s\"", argv[0]);
  if (r.step == STEP_EXEC)
    return err_set(e, r.code, "cannot run \"%s\": %s", argv[0],
                   strerror(r.code));
  return err_set(e, r.code, "%s: %s", step_names[r.step], strerror(r.code));
}

static void reap (pid_t pid, int *status) {
  while (waitpid(pid, status, 0) < 0 && errno == EINTR) {}
}

static void io_close (struct io *io) {
  close_fd(&io->in);
  close_fd(&io->out);
  close_fd(&io->err);
  close_fd(&io->pidfd);
}

/*
** Hand the buffers to r, NUL-terminated (empty output is "", not NULL).
*/
static int take_output (struct io *io, struct proc_result *r, struct err *e) {
  struct buf *bufs[2] = {&io->outb, &io->errb};
  for (int i = 0; i < 2; i++)
    if (bufs[i]->data == NULL && (bufs[i]->data = malloc(1)) == NULL)
      return err_set(e, ENOMEM, NULL);
  io->outb.data[io->outb.len] = io->errb.data[io->errb.len] = '\0';
  r->out = io->outb.data;
  r->out_len = io->outb.len;
  r->errout = io->errb.data;
  r->err_len = io->errb.len;
  io->outb.data = io->errb.data = NULL;
  return 0;
}

static void fill_status (struct proc_result *r, int status) {
  r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* }================================================================== */

/*
** Pipes: [0] stdin, [1] stdout, [2] stderr, [3] the report. All
** close-on-exec; the parent's ends non-blocking.
*/
static int make_pipes (int p[4][2], struct err *e) {
  for (int i = 0; i < 4; i++) p[i][0] = p[i][1] = -1;
  for (int i = 0; i < 4; i++)
    if (pipe2(p[i], O_CLOEXEC) < 0) return err_errno(e);
  if (set_nonblock(p[0][1]) < 0 || set_nonblock(p[1][0]) < 0 ||
      set_nonblock(p[2][0]) < 0)
    return err_errno(e);
  return 0;
}

static void close_pipes (int p[4][2]) {
  for (int i = 0; i < 4; i++) {
    close_fd(&p[i][0]);
    close_fd(&p[i][1]);
  }
}

/*
** The child's ends, closed in the parent so that EOF and EPIPE come
** when the program (and whatever it started) lets go of them.
*/
static void close_pipes_of_child (int p[4][2]) {
  close_fd(&p[0][0]);
  close_fd(&p[1][1]);
  close_fd(&p[2][1]);
  close_fd(&p[3][1]);
}

/*
** After a successful start: talk to the program, reap it, fill r.
*/
static int supervise (pid_t pid, struct io *io, int timeout_ms,
                      struct proc_result *r, struct err *e) {
  int status, rc = 0;
  io->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (io->input == NULL)
    close_fd(&io->in);
  else
    rc = feed(io, e);
  if (rc == 0) rc = pump_all(io, pid, timeout_ms, e);
  if (rc < 0) kill(pid, SIGKILL);
  io_close(io);
  reap(pid, &status);
  if (rc == 0) rc = take_output(io, r, e);
  if (rc == 0) fill_status(r, status);
  return rc;
}

int proc_run_ns (const struct proc_ns *ns, const char *netns_name,
                 char *const argv[], const char *input, size_t input_len,
                 int timeout_ms, struct proc_result *r, struct err *e) {
  int p[4][2], status, rc = -1;
  pid_t pid;
  sigset_t pipe_set, saved, pending;
  struct io io = {.in = -1,
                  .out = -1,
                  .err = -1,
                  .pidfd = -1,
                  .input = input,
                  .input_len = input_len};
  memset(r, 0, sizeof *r);
  if (argv == NULL || argv[0] == NULL)
    return err_set(e, EINVAL, "no program to run");
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  int was_pending = sigismember(&pending, SIGPIPE);
  sigprocmask(SIG_BLOCK, &pipe_set, &saved);
  if (make_pipes(p, e) < 0) goto out;
  pid = fork();
  if (pid < 0) {
    err_errno(e);
    goto out;
  }
  if (pid == 0) {
    int fds[3] = {p[0][0], p[1][1], p[2][1]};
    run_child(p[3][1], fds, ns, netns_name, argv);
  }
  io.in = p[0][1];
  io.out = p[1][0];
  io.err = p[2][0];
  p[0][1] = p[1][0] = p[2][0] = -1;
  close_pipes_of_child(p);
  if (read_report(p[3][0], argv, e) < 0) {
    io_close(&io);
    reap(pid, &status);
    goto out;
  }
  rc = supervise(pid, &io, timeout_ms, r, e);
out:
  close_pipes(p);
  free(io.outb.data);
  free(io.errb.data);
  if (io.broken_pipe && !was_pending) {
    struct timespec zero = {0, 0};
    sigtimedwait(&pipe_set, NULL, &zero);
  }
  sigprocmask(SIG_SETMASK, &saved, NULL);
  return rc;
}

int proc_run (int netns_fd, const char *netns_name, char *const argv[],
              const char *input, size_t input_len, int timeout_ms,
              struct proc_result *r, struct err *e) {
  struct proc_ns ns = {netns_fd, -1, -1};
  return proc_run_ns(&ns, netns_name, argv, input, input_len, timeout_ms, r, e);
}

/*
** {==================================================================
** The namespaces of a process
** ===================================================================
*/

/*
** Open /proc/PID/ns/KIND unless it is the caller's own: 1 opened, 0 the
** same, -1 error (ENOENT: the process is gone).
*/
static int open_ns_of (long pid, const char *kind, int *fd, struct err *e) {
  char path[64], self[64];
  struct stat a, b;
  snprintf(path, sizeof path, "/proc/%ld/ns/%s", pid, kind);
  snprintf(self, sizeof self, "/proc/thread-self/ns/%s", kind);
  *fd = open(path, O_RDONLY | O_CLOEXEC);
  if (*fd < 0) return err_errno(e);
  if (fstat(*fd, &a) == 0 && stat(self, &b) == 0 && a.st_ino == b.st_ino &&
      a.st_dev == b.st_dev) {
    close(*fd);
    *fd = -1;
    return 0;
  }
  return 1;
}

int proc_ns_open_pid (long pid, struct proc_ns *ns, struct err *e) {
  static const char *const kinds[] = {"net", "uts", "ipc"};
  int *fds[] = {&ns->net, &ns->uts, &ns->ipc};
  ns->net = ns->uts = ns->ipc = -1;
  if (pid <= 0) return err_set(e, ESRCH, "no such process");
  for (int i = 0; i < 3; i++)
    if (open_ns_of(pid, kinds[i], fds[i], e) < 0) {
      if (e->code == ENOENT) err_set(e, ESRCH, "no such process");
      proc_ns_close(ns);
      return -1;
    }
  return 0;
}

void proc_ns_close (struct proc_ns *ns) {
  if (ns->net >= 0) close(ns->net);
  if (ns->uts >= 0) close(ns->uts);
  if (ns->ipc >= 0) close(ns->ipc);
  ns->net = ns->uts = ns->ipc = -1;
}

/* }================================================================== */

void proc_result_free (struct proc_result *r) {
  free(r->out);
  free(r->errout);
  r->out = r->errout = NULL;
  r->out_len = r->err_len = 0;
}
