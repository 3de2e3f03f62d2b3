/*
 * netns.c - network namespaces as file descriptors, named ones as bind
 * mounts under /run/netns (the layout of `ip netns`).
 */
#include "netns.h"
#include "ns_pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <linux/nsfs.h>
#include <limits.h>
#include <unistd.h>

/* The rule of `ip netns add`: one file name under RUN_DIR. */
int netns_name_ok (const char *name, struct err *e) {
  if (!*name) return err_set(e, EINVAL, "empty namespace name");
  if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
    return err_set(e, EINVAL,
                   "a namespace name cannot contain '/' or be . or ..");
  if (strlen(name) > NETNS_NAME_MAX) return err_set(e, ENAMETOOLONG, NULL);
  return 0;
}

static void run_path (const char *name, char *path, size_t len) {
  snprintf(path, len, "%s/%s", NETNS_RUN_DIR, name);
}

/*
** {======================================================
** Entering and leaving (only ever briefly, around a socket or a callback)
** =======================================================
*/

int netns_open_current (struct err *e) {
  int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  return fd < 0 ? err_errno(e) : fd;
}

/* Do two fds name the same namespace? */
static int same_ns (int fd, int other) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && fstat(other, &b) == 0 && a.st_ino == b.st_ino &&
         a.st_dev == b.st_dev;
}

int netns_is_current (int fd) {
  int current = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int same = current >= 0 && same_ns(fd, current);
  if (current >= 0) close(current);
  return same;
}

/* How deep the calling thread is entered (the core's one thread). */
static int away;

int netns_away (void) {
  return away > 0;
}

int netns_enter (int fd, int *saved, struct err *e) {
  *saved = netns_open_current(e);
  if (*saved < 0) return -1;
  /* No setns when already there: it needs CAP_SYS_ADMIN, and an
     unprivileged user working in its own namespace has no such thing. */
  if (same_ns(fd, *saved)) {
    close(*saved);
    *saved = NETNS_NOT_LEFT;
    return 0;
  }
  if (setns(fd, CLONE_NEWNET) < 0) {
    err_errno(e);
    close(*saved);
    *saved = -1;
    return -1;
  }
  away++;
  return 0;
}

void netns_return (int home, int nstype) {
  if (setns(home, nstype) == 0) return;
  const char *what = nstype == CLONE_NEWNET   ? "network"
                     : nstype == CLONE_NEWUTS ? "UTS"
                     : nstype == CLONE_NEWIPC ? "IPC"
                                              : "";
  fprintf(stderr, "nslab: cannot return to the original %s namespace: %s\n",
          what, strerror(errno));
  abort();
}

int netns_leave (int saved, struct err *e) {
  (void)e;
  if (saved == NETNS_NOT_LEFT) return 0;
  netns_return(saved, CLONE_NEWNET);
  close(saved);
  away--;
  return 0;
}

int netns_call (int netns_fd, netns_fn *fn, void *arg, struct err *e) {
  int saved;
  if (netns_fd < 0) return fn(arg, e);
  if (netns_enter(netns_fd, &saved, e) < 0) return -1;
  int rc = fn(arg, e);
  netns_leave(saved, e); /* cannot fail: it aborts instead */
  return rc;
}

struct socket_args {
  int domain, type, protocol;
};

static int socket_here (void *arg, struct err *e) {
  const struct socket_args *a = arg;
  int fd = socket(a->domain, a->type, a->protocol);
  return fd < 0 ? err_errno(e) : fd;
}

int netns_socket (int netns_fd, int domain, int type, int protocol,
                  struct err *e) {
  struct socket_args a = {domain, type, protocol};
  return netns_call(netns_fd, socket_here, &a, e);
}

/* }====================================================== */

/*
** {======================================================
** Creating, opening, deleting
** =======================================================
*/

/* Bind-mount the namespace fd on RUN_DIR/name. The mount point is
 * created exclusively, so a taken name fails with EEXIST. */
static int pin (int fd, const char *name, struct err *e) {
  char path[PATH_MAX], source[64];
  if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST) return err_errno(e);
  run_path(name, path, sizeof path);
  int made = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (made < 0) return err_errno(e);
  close(made);
  snprintf(source, sizeof source, "/proc/self/fd/%d", fd);
  if (mount(source, path, "none", MS_BIND, NULL) < 0) {
    err_errno(e);
    unlink(path);
    return -1;
  }
  return 0;
}

int netns_create (const char *name, struct err *e) {
  if (name && netns_name_ok(name, e) < 0) return -1;
  int fd = ns_pool_take(CLONE_NEWNET, e); /* a new one, maybe made ahead */
  if (fd >= 0 && name && pin(fd, name, e) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int netns_open_path (const char *path, struct err *e) {
  /* O_NONBLOCK: a FIFO given by mistake must not hang the lab. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return err_errno(e);
  if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
    close(fd);
    return err_set(e, EINVAL, "not a network namespace");
  }
  return fd;
}

int netns_open_name (const char *name, struct err *e) {
  char path[PATH_MAX];
  if (netns_name_ok(name, e) < 0) return -1;
  run_path(name, path, sizeof path);
  int fd = netns_open_path(path, e);
  if (fd < 0 && e->code == ENOENT) err_set(e, ENOENT, "no such namespace");
  /* An empty file left by a crashed `ip netns add` is not a namespace. */
  if (fd < 0 && e->code == EINVAL) err_set(e, ENOENT, "no such namespace");
  return fd;
}

int netns_open_pid (long pid, struct err *e) {
  char path[64];
  if (pid <= 0) return err_set(e, ESRCH, "no such process");
  snprintf(path, sizeof path, "/proc/%ld/ns/net", pid);
  int fd = netns_open_path(path, e);
  if (fd < 0 && e->code == ENOENT) err_set(e, ESRCH, "no such process");
  return fd;
}

int netns_delete (const char *name, struct err *e) {
  char path[PATH_MAX];
  if (netns_name_ok(name, e) < 0) return -1;
  run_path(name, path, sizeof path);
  if (access(path, F_OK) < 0) return err_set(e, ENOENT, "no such namespace");
  /* MNT_DETACH: a process still inside keeps the namespace alive, as
     with `ip netns delete`; the name is gone at once. */
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL) return err_errno(e);
  if (unlink(path) < 0) return err_errno(e);
  return 0;
}

/* }====================================================== */

static int by_name (const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int netns_list (char ***names, size_t *count, struct err *e) {
  DIR *dir = opendir(NETNS_RUN_DIR);
  size_t n = 0, cap = 0;
  char **list = NULL;
  *names = NULL;
  *count = 0;
  if (!dir) return errno == ENOENT ? 0 : err_errno(e);
  for (struct dirent *d; (d = readdir(dir));) {
    if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **grown = realloc(list, cap * sizeof *list);
      if (!grown) goto nomem;
      list = grown;
    }
    if (!(list[n] = strdup(d->d_name))) goto nomem;
    n++;
  }
  closedir(dir);
  if (n) qsort(list, n, sizeof *list, by_name);
  *names = list;
  *count = n;
  return 0;
nomem:
  closedir(dir);
  netns_list_free(list, n);
  return err_set(e, ENOMEM, NULL);
}

void netns_list_free (char **names, size_t count) {
  for (size_t i = 0; i < count; i++) free(names[i]);
  free(names);
}

int netns_inode (int fd, uint64_t *inode, struct err *e) {
  struct stat st;
  if (fstat(fd, &st) < 0) return err_errno(e);
  *inode = (uint64_t)st.st_ino;
  return 0;
}
