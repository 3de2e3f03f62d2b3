/*
 * world_registry.c - the running worlds as abstract unix sockets (see
 * world_registry.h).
 */
#include "world_registry.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/*
** The address of world id: a leading NUL makes it abstract; its length
** ends the name (no trailing NUL).
*/
static socklen_t world_addr (unsigned id, struct sockaddr_un *a) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1,
                   WORLD_REGISTRY_PREFIX "%u", id);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

int world_register (void) {
  struct sockaddr_un a;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  for (unsigned id = 1; id <= WORLD_ID_MAX; id++) {
    if (bind(fd, (struct sockaddr *)&a, world_addr(id, &a)) == 0) {
      if (listen(fd, 64) == 0) return fd;
      break;
    }
    if (errno != EADDRINUSE) break;
  }
  close(fd);
  return -1;
}

static volatile sig_atomic_t served = -1;

/*
** SIGIO: a listing connected. accept4 and close are async-signal-safe.
*/
static void drain (int sig) {
  int saved = errno, c;
  (void)sig;
  while ((c = accept4((int)served, NULL, NULL, SOCK_CLOEXEC)) >= 0) close(c);
  errno = saved;
}

void world_registry_serve (int fd) {
  struct sigaction sa;
  if (fd < 0) return;
  served = fd;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = drain;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGIO, &sa, NULL);
  fcntl(fd, F_SETOWN, getpid());
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC | O_NONBLOCK);
  drain(SIGIO); /* whoever came before O_ASYNC */
}

pid_t world_registry_pid (unsigned id, struct err *e) {
  struct sockaddr_un a;
  struct ucred cred;
  socklen_t len = sizeof cred;
  /* non-blocking: a holder that stopped accepting cannot hang a listing */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return err_errno(e);
  if (connect(fd, (struct sockaddr *)&a, world_addr(id, &a)) < 0) {
    int code = errno == ECONNREFUSED ? ENOENT : errno;
    close(fd);
    return err_set(e, code, "%s",
                   code == ENOENT ? "no such world" : strerror(code));
  }
  int rc = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
  int saved = errno;
  close(fd);
  if (rc < 0) return err_set(e, saved, "SO_PEERCRED: %s", strerror(saved));
  if (cred.pid <= 0)
    return err_set(e, ESRCH,
                   "its process is outside this PID "
                   "namespace");
  return cred.pid;
}

static int by_number (const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  return x < y ? -1 : x > y;
}

/*
** /proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path", an
** abstract name as "@name"; a listener has St 01 (unconnected) and the
** __SO_ACCEPTCON flag 00010000.
*/
int world_registry_ids (unsigned *ids, int max, struct err *e) {
  char line[512];
  int n = 0;
  FILE *f = fopen("/proc/net/unix", "re");
  if (f == NULL)
    return err_set(e, errno, "open /proc/net/unix: %s", strerror(errno));
  while (n < max && fgets(line, sizeof line, f) != NULL) {
    char path[128];
    unsigned long flags;
    unsigned id;
    char end;
    if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %127s", &flags, path) != 2)
      continue;
    if (!(flags & 0x10000) || path[0] != '@') continue;
    if (sscanf(path + 1, WORLD_REGISTRY_PREFIX "%u%c", &id, &end) != 1)
      continue;
    if (id >= 1 && id <= WORLD_ID_MAX) ids[n++] = id;
  }
  fclose(f);
  qsort(ids, (size_t)n, sizeof *ids, by_number);
  return n;
}
