/*
 * world.c - the private world every lab runs in (see world.h).
 *
 * Order matters: the user namespace (when needed) comes first so that the
 * other namespaces belong to it; the PID namespace takes effect only for
 * children, so the world's first process is forked; mounts are made in
 * that child, after / is private, so nothing propagates to the host.
 */
#include "world.h"
#include "ns_pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>

#include "netns.h"
#include "world_registry.h"

/* UTS and IPC too: a lab that runs `hostname` (or a sysctl of those
 * namespaces) must not rename or change the real machine. */
#define WORLD_FLAGS                                                            \
  (CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC)
#define WORLD_FLAGS_TEXT                                                       \
  "unshare(CLONE_NEWNET|CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC)"

/* Kept short: the whole message must fit in struct err's reason. */
#define USERNS_HINT                                                            \
  "run as root or allow unprivileged user namespaces (sysctl "                 \
  "user.max_user_namespaces, kernel.unprivileged_userns_clone)"

/* Where the headers predate pidfs (Linux 6.9), pidfds' own filesystem. */
#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC 0x50494446
#endif

/*
** {==================================================================
** What a world inherits
** ===================================================================
*/

/*
** Close what /proc/self/fd lists from first up (fd numbers come in
** order, so closing while reading skips none). Without /proc: every
** number below the limit.
*/
static void close_listed (unsigned first) {
  struct dirent *de;
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) {
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = first; fd < (max > 0 ? max : 1024); fd++) close((int)fd);
    return;
  }
  while ((de = readdir(d)) != NULL) {
    char *end;
    long fd = strtol(de->d_name, &end, 10);
    if (end != de->d_name && *end == '\0' && fd >= (long)first &&
        fd != dirfd(d))
      close((int)fd);
  }
  closedir(d);
}

void world_close_from (unsigned first, int listed) {
#ifdef SYS_close_range
  if (!listed && syscall(SYS_close_range, first, ~0U, 0U) == 0) return;
#endif
  close_listed(first);
}

/*
** Why descriptor fd (0, 1 or 2, which stay open) would lead out of the
** world, or NULL: a namespace or a pidfd (setns takes either), a
** directory (a way back into the machine's /proc or /run/netns), a
** socket other than a Unix one (the machine's own network).
*/
static const char *way_out (int fd) {
  struct stat st;
  struct statfs fs;
  char path[32], target[32];
  if (fstat(fd, &st) < 0) return NULL; /* closed: nothing to reach */
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (fstatfs(fd, &fs) == 0) {
    if (fs.f_type == NSFS_MAGIC) return "a namespace";
    if (fs.f_type == PID_FS_MAGIC) return "a pidfd";
    if (fs.f_type == ANON_INODE_FS_MAGIC) {
      snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
      ssize_t n = readlink(path, target, sizeof target - 1);
      target[n > 0 ? n : 0] = '\0';
      if (strcmp(target, "anon_inode:[pidfd]") == 0) return "a pidfd";
    }
  }
  /* a socket of any family but AF_UNIX belongs to the machine's network
     namespace: an IPv4 raw or UDP socket sends there from inside */
  if (S_ISSOCK(st.st_mode)) {
    int domain;
    socklen_t len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0) return NULL;
    switch (domain) {
    case AF_UNIX: return NULL;
    case AF_NETLINK: return "a netlink socket";
    case AF_PACKET: return "a packet socket";
    case AF_INET: return "an IPv4 socket";
    case AF_INET6: return "an IPv6 socket";
    default: return "a network socket";
    }
  }
  return NULL;
}

/*
** A closed 0, 1 or 2 becomes /dev/null: else the next file opened would
** take its number, and print() or an error message would go into it.
*/
static int std_open (struct err *e) {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    int null = open("/dev/null", O_RDWR); /* the lowest free: fd itself */
    if (null != fd) {
      int saved = errno;
      if (null >= 0) close(null);
      return err_set(e, null < 0 ? saved : EBADF,
                     "cannot make a private "
                     "world: open /dev/null as descriptor %d: %s",
                     fd, strerror(null < 0 ? saved : EBADF));
    }
  }
  return 0;
}

/*
** Keep 0-2 (the terminal, pipes, files), drop everything else the caller left
*open, so
** that nothing inherited reaches the machine: `nslab lua f.lua
** 9</proc/self/ns/net` must not give the lab the machine's network.
*/
static int close_inherited (struct err *e) {
  static const char *const names[] = {"stdin", "stdout", "stderr"};
  for (int fd = 0; fd <= 2; fd++) {
    const char *what = way_out(fd);
    if (what != NULL)
      return err_set(e, EBADF,
                     "cannot make a private world: descriptor %d "
                     "(%s) is %s, which leads out of the world; give nslab "
                     "another %s",
                     fd, names[fd], what, names[fd]);
  }
  world_close_from(3, 0);
  return std_open(e);
}

/* }================================================================== */

/*
** {==================================================================
** Namespaces
** ===================================================================
*/

/*
** Write text to a /proc file such as /proc/self/uid_map.
*/
static int write_file (const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
** Enter a new user namespace in which the caller is root (uid and gid 0
** mapped to the caller's own). setgroups must be denied before an
** unprivileged process may write gid_map.
*/
static int enter_userns (struct err *e) {
  char map[64];
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER) < 0)
    return err_set(e, errno,
                   "cannot make a private world: namespaces "
                   "need CAP_SYS_ADMIN and user namespaces are unavailable "
                   "(%s); " USERNS_HINT,
                   strerror(errno));
  if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
    return err_set(e, errno,
                   "cannot make a private world: write "
                   "/proc/self/setgroups: %s",
                   strerror(errno));
  snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
  if (write_file("/proc/self/uid_map", map) < 0)
    return err_set(e, errno,
                   "cannot make a private world: map uid %u in "
                   "the user namespace: %s",
                   (unsigned)uid, strerror(errno));
  snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
  if (write_file("/proc/self/gid_map", map) < 0)
    return err_set(e, errno,
                   "cannot make a private world: map gid %u in "
                   "the user namespace: %s",
                   (unsigned)gid, strerror(errno));
  return 0;
}

/*
** New network, mount and PID namespaces: directly as root, else (or when
** root is refused, e.g. in a container) inside a new user namespace.
*/
static int unshare_world (struct err *e) {
  if (geteuid() == 0) {
    if (unshare(WORLD_FLAGS) == 0) return 0;
    if (errno != EPERM)
      return err_set(e, errno,
                     "cannot make a private world: " WORLD_FLAGS_TEXT ": %s",
                     strerror(errno));
  }
  if (enter_userns(e) < 0) return -1;
  if (unshare(WORLD_FLAGS) < 0)
    return err_set(e, errno,
                   "cannot make a private world: " WORLD_FLAGS_TEXT
                   " in a user namespace: %s; "
                   "unprivileged user namespaces may be restricted (sysctl "
                   "kernel.apparmor_restrict_unprivileged_userns)",
                   strerror(errno));
  return 0;
}

/* }================================================================== */

/*
** {==================================================================
** Mounts
** ===================================================================
*/

/*
** Replace the filesystem on target by a fresh one of type fstype, as `ip
** netns exec` does for /sys: detach the old one, or, where it is locked
** (a mount inherited into a user namespace), stack the new one over it;
** a read-only instance can only be shadowed read-only.
*/
static int remount_fs (const char *fstype, const char *target,
                       unsigned long flags, struct err *e) {
  struct statvfs st;
  if (umount2(target, MNT_DETACH) < 0 && statvfs(target, &st) == 0 &&
      (st.f_flag & ST_RDONLY))
    flags |= MS_RDONLY;
  if (mount(fstype, target, fstype, flags, NULL) < 0)
    return err_set(e, errno, "mount %s on %s: %s", fstype, target,
                   strerror(errno));
  return 0;
}

/*
** A fresh, empty tmpfs on dir (the previous one detached, if we may).
*/
static int fresh_tmpfs (const char *dir, struct err *e) {
  umount2(dir, MNT_DETACH);
  if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
    return err_set(e, errno, "mount tmpfs on %s: %s", dir, strerror(errno));
  return 0;
}

/*
** Recreate DIR/NAME on the new tmpfs over DIR from the old DIR (open as
** old): symlinks copied, everything else bind-mounted back (with what is
** mounted below it). Best effort: an entry that cannot be carried over is
** only missing from the world.
*/
static void carry_entry (const char *dir, int old, const char *name) {
  char src[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
  struct stat st;
  if (fstatat(old, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return;
  if ((size_t)snprintf(dst, sizeof dst, "%s/%s", dir, name) >= sizeof dst)
    return;
  if (S_ISLNK(st.st_mode)) {
    ssize_t n = readlinkat(old, name, target, sizeof target - 1);
    if (n < 0) return;
    target[n] = '\0';
    symlink(target, dst);
    return;
  }
  if (S_ISDIR(st.st_mode) ? mkdir(dst, 0755) : mknod(dst, S_IFREG | 0644, 0))
    return;
  if ((size_t)snprintf(src, sizeof src, "/proc/self/fd/%d/%s", old, name) >=
      sizeof src)
    return;
  mount(src, dst, NULL, MS_BIND | MS_REC, NULL);
}

/*
** Put a tmpfs on dir that still shows what dir held.
*/
static int shadow_dir (const char *dir, struct err *e) {
  char opts[32];
  struct stat st;
  struct dirent *de;
  int old = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (old < 0 || fstat(old, &st) < 0) {
    err_set(e, errno, "open %s: %s", dir, strerror(errno));
    if (old >= 0) close(old);
    return -1;
  }
  snprintf(opts, sizeof opts, "mode=%o", (unsigned)(st.st_mode & 07777));
  DIR *d = fdopendir(old);
  if (d == NULL) {
    close(old);
    return err_set(e, errno, "read %s: %s", dir, strerror(errno));
  }
  if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
    err_set(e, errno, "mount tmpfs on %s: %s", dir, strerror(errno));
    closedir(d);
    return -1;
  }
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      carry_entry(dir, dirfd(d), de->d_name);
  closedir(d);
  return 0;
}

/*
** Make sure the directory path (/run/netns, /etc/netns) exists without
** writing to the host's files: if it is missing, its parent is shadowed
** by a tmpfs first and path is made there.
*/
static int private_dir (const char *path, struct err *e) {
  char parent[PATH_MAX];
  struct stat st;
  if (stat(path, &st) == 0) return 0;
  if (errno != ENOENT)
    return err_set(e, errno, "%s: %s", path, strerror(errno));
  snprintf(parent, sizeof parent, "%s", path);
  *strrchr(parent, '/') = '\0';
  if (shadow_dir(parent, e) < 0) return -1;
  if (mkdir(path, 0755) < 0 && errno != EEXIST)
    return err_set(e, errno, "mkdir %s: %s", path, strerror(errno));
  return 0;
}

/*
** The world's own /run/netns (named namespaces) and /etc/netns (their
** /etc files), each a fresh tmpfs.
*/
static int private_dirs (struct err *e) {
  if (private_dir(NETNS_RUN_DIR, e) < 0 || fresh_tmpfs(NETNS_RUN_DIR, e) < 0)
    return -1;
  if (private_dir(NETNS_ETC_DIR, e) < 0 || fresh_tmpfs(NETNS_ETC_DIR, e) < 0)
    return -1;
  return 0;
}

/*
** Private mounts for a new network namespace: / made private first so
** that nothing below propagates back to the host; /sys remounted so that
** /sys/class/net shows the new namespace.
*/
static int private_mounts (struct err *e) {
  if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return err_set(e, errno, "make / private: %s", strerror(errno));
  if (private_dirs(e) < 0) return -1;
  return remount_fs("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, e);
}

/*
** Bring up lo, as every fresh namespace needs (SIOCSIFFLAGS: one call).
*/
static int lo_up (struct err *e) {
  struct ifreq ifr;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return err_set(e, errno, "bring lo up: socket: %s", strerror(errno));
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP;
    rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  if (rc < 0) err_set(e, errno, "bring lo up: %s", strerror(errno));
  close(fd);
  return rc;
}

/* }================================================================== */

/*
** {==================================================================
** The world's first process and the one that waits for it
** ===================================================================
*/

static volatile sig_atomic_t world_pid;

static void forward_signal (int sig) {
  if (world_pid > 0) kill((pid_t)world_pid, sig);
}

/*
** The world's init ignores signals it has no handler for (the kernel
** protects PID 1), so TERM and HUP would be lost: end the world instead.
*/
static void end_world (int sig) {
  _exit(128 + sig);
}

static void set_handler (int sig, void (*fn)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

/*
** Ctrl-Z: the world's init ignores SIGTSTP, but SIGSTOP from outside its
** PID namespace is forced; so stop it, stop ourselves, and continue it
** when we are continued (fg).
*/
static void stop_world (int sig) {
  sigset_t set;
  int saved = errno;
  if (world_pid > 0) kill((pid_t)world_pid, SIGSTOP);
  signal(sig, SIG_DFL);
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(sig);
  set_handler(sig, stop_world);
  if (world_pid > 0) kill((pid_t)world_pid, SIGCONT);
  errno = saved;
}

/*
** The original process: forward TERM and HUP to the world, leave INT and
** QUIT to it (a terminal sends them to both), exit as it exits.
*/
static _Noreturn void wait_world (pid_t pid) {
  int status;
  world_pid = pid;
  set_handler(SIGTERM, forward_signal);
  set_handler(SIGHUP, forward_signal);
  set_handler(SIGTSTP, stop_world);
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) _exit(2);
  if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
  _exit(WEXITSTATUS(status));
}

/*
** In the world's first process: die with the original process (even if
** it is SIGKILLed), and make sure it did not die before we asked. Its
** end of the pipe closes only when it dies.
*/
static int tie_to_parent (int alive, struct err *e) {
  struct pollfd p = {.fd = alive, .events = POLLIN};
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
    return err_set(e, errno, "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
  if (poll(&p, 1, 0) != 0) _exit(1);
  set_handler(SIGTERM, end_world);
  set_handler(SIGHUP, end_world);
  return 0;
}

/*
** Say what failed: "cannot make a private world: mount ...: reason".
*/
static int world_failed (struct err *e) {
  char reason[sizeof e->reason];
  static const char prefix[] = "cannot make a private world: ";
  if (strncmp(e->reason, prefix, sizeof prefix - 1) == 0) return -1;
  snprintf(reason, sizeof reason, "%s", err_text(e));
  return err_set(e, e->code, "%s%s", prefix, reason);
}

static volatile sig_atomic_t first_pid;

/*
** As init, forward TERM and HUP to the world's first process (init
** itself would ignore them).
*/
static void forward_to_first (int sig) {
  if (first_pid > 0) kill((pid_t)first_pid, sig);
}

/*
** PID 1 of the world: reap every process (orphans come to init, and a
** lab's background commands would otherwise stay zombies) until the
** first process ends; end the world with its status.
*/
static _Noreturn void init_loop (pid_t first) {
  int status;
  first_pid = first;
  set_handler(SIGTERM, forward_to_first);
  set_handler(SIGHUP, forward_to_first);
  for (;;) {
    pid_t got = waitpid(-1, &status, 0);
    if (got == first) break;
    if (got < 0 && errno != EINTR) _exit(EXIT_FAILURE);
  }
  _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
}

/*
** Split the world's first process into init (PID 1, which stays here) and
** the process that does the work (PID 2, which returns), so that Lua's
** own children stay Lua's while orphans are reaped.
*/
static int start_init (struct err *e) {
  pid_t pid = fork();
  if (pid < 0)
    return err_set(e, errno, "cannot make a private world: fork: %s",
                   strerror(errno));
  if (pid > 0) init_loop(pid);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  return 0;
}

/*
** NSLAB_WORLD names the world's host namespace (its inode): nslab's Lua
** layer changes a namespace's network only inside a world, so code run by
** the stock interpreter outside one cannot change the machine's by
** mistake. Children (specs, sandboxed commands) inherit it.
*/
static int mark_world (struct err *e) {
  struct stat st;
  char inode[32];
  if (stat("/proc/thread-self/ns/net", &st) < 0) return err_errno(e);
  snprintf(inode, sizeof inode, "%llu", (unsigned long long)st.st_ino);
  if (setenv("NSLAB_WORLD", inode, 1) < 0) return err_errno(e);
  return 0;
}

/*
** The working directory as the world sees its path: the inherited one
** may be a directory the world's mounts hide (the machine's /run/netns,
** or /proc/1 of its PID namespace).
*/
static int enter_cwd (const char *cwd, struct err *e) {
  if (chdir(cwd) < 0)
    return err_set(e, errno,
                   "cannot make a private world: the current "
                   "directory %s is not in it: %s",
                   cwd, strerror(errno));
  return 0;
}

int world_enter (struct err *e) {
  int alive[2];
  char cwd[PATH_MAX];
  if (close_inherited(e) < 0) return -1;
  int listed = world_register(); /* here, where nslab enter lists it */
  if (getcwd(cwd, sizeof cwd) == NULL)
    strcpy(cwd, "/"); /* deleted, or too long */
  if (unshare_world(e) < 0) return -1;
  if (pipe2(alive, O_CLOEXEC) < 0) return err_errno(e), world_failed(e);
  pid_t pid = fork();
  if (pid < 0) {
    err_set(e, errno, "cannot make a private world: fork: %s", strerror(errno));
    close(alive[0]);
    close(alive[1]);
    return -1;
  }
  if (pid > 0) {
    close(alive[0]);
    world_registry_serve(listed); /* the name lives as long as this process */
    wait_world(pid);              /* keeps alive[1] open until it exits */
  }
  if (listed >= 0) close(listed);
  close(alive[1]);
  int rc = tie_to_parent(alive[0], e);
  close(alive[0]);
  if (rc < 0 || private_mounts(e) < 0 ||
      remount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, e) < 0 ||
      lo_up(e) < 0 || mark_world(e) < 0 || enter_cwd(cwd, e) < 0)
    return world_failed(e);
  return start_init(e);
}

/* }================================================================== */

int world_fresh (struct err *e) {
  ns_pool_stop(); /* its spares and its thread belong to the old world */
  if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
    int code = errno;
    return err_set(
        e, code, "unshare(CLONE_NEWNET|CLONE_NEWNS): %s%s", strerror(code),
        code == EPERM ? " (outside a world "
                        "this needs root; inside one, e.g. nslab lua FILE, "
                        "it does not)"
                      : "");
  }
  if (private_mounts(e) < 0 || lo_up(e) < 0) return -1;
  return mark_world(e);
}
