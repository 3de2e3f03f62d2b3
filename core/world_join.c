/*
 * world_join.c - `nslab enter` (see world_join.h, world_registry.h).
 *
 * Entering a world is what nsenter does, aimed by the registry: the
 * namespaces of the process that holds the world's name, opened from
 * /proc/PID/ns, entered user namespace first (the others belong to it),
 * mount namespace last (after it /proc is the world's); its PID namespace
 * is the one its children get (pid_for_children), so the shell is forked
 * into it. Nothing is made or changed anywhere but inside the world (a
 * named namespace gets its own /sys, in a mount namespace of the shell's
 * own, as `ip netns exec` does), and a namespace that is this process's
 * own network namespace is never entered: enter reaches worlds only.
 */
#include "world_join.h"

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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "world.h"
#include "world_registry.h"

#define EXIT_USAGE 2
#define MAX_WORLDS 1024

static int usage (const char *fmt, const char *arg) {
  fputs("nslab: enter: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\ntry 'nslab enter --help'\n", stderr);
  return EXIT_USAGE;
}

/*
** {==================================================================
** The list
** ===================================================================
*/

/*
** The command line of pid as a shell would show it: argv[0] without its
** directory, words with spaces or quotes in single quotes.
*/
static void command_of (pid_t pid, char *out, size_t size) {
  char path[64], buf[4096];
  size_t used = 0;
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
  out[0] = '\0';
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  for (char *w = buf; w < buf + n; w += strlen(w) + 1) {
    const char *word = w;
    if (w == buf && strrchr(w, '/')) word = strrchr(w, '/') + 1;
    int quote = *word == '\0' || strpbrk(word, " \t'\"\\$") != NULL;
    int k = snprintf(out + used, size - used, "%s%s%s%s", used ? " " : "",
                     quote ? "'" : "", word, quote ? "'" : "");
    if (k < 0 || (size_t)k >= size - used) break;
    used += (size_t)k;
  }
}

/*
** When pid started, as local time "YYYY-MM-DD HH:MM:SS": its start in
** clock ticks after boot (/proc/PID/stat, field 22) plus the boot time.
*/
static void started_of (pid_t pid, char *out, size_t size) {
  char path[64], buf[1024];
  unsigned long long ticks = 0, btime = 0;
  snprintf(out, size, "?");
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "re");
  if (f == NULL) return;
  char *got = fgets(buf, sizeof buf, f);
  fclose(f);
  char *p = got ? strrchr(buf, ')') : NULL; /* the name may hold spaces */
  if (p == NULL) return;
  /* after ")": state is field 3, starttime field 22 */
  if (sscanf(p + 1,
             " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
             "%*d %*d %*d %*d %*d %*d %llu",
             &ticks) != 1)
    return;
  f = fopen("/proc/stat", "re");
  if (f == NULL) return;
  while (fgets(buf, sizeof buf, f) != NULL)
    if (sscanf(buf, "btime %llu", &btime) == 1) break;
  fclose(f);
  long hz = sysconf(_SC_CLK_TCK);
  time_t t = (time_t)(btime + ticks / (unsigned long long)(hz > 0 ? hz : 100));
  struct tm tm;
  if (localtime_r(&t, &tm) != NULL)
    strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}

/*
** Is pid in this process's network namespace (so not in a world)?
*/
static int shares_our_net (pid_t pid) {
  char path[64];
  struct stat a, b;
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
  return stat(path, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void json_string (const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static int list_worlds (int json) {
  static unsigned ids[MAX_WORLDS];
  struct err e;
  int n = world_registry_ids(ids, MAX_WORLDS, &e);
  if (n < 0) return fprintf(stderr, "nslab: enter: %s\n", err_text(&e)), 1;
  int shown = 0;
  if (json) putchar('[');
  for (int i = 0; i < n; i++) {
    char command[1024], started[32];
    pid_t pid = world_registry_pid(ids[i], &e);
    if (pid < 0) continue; /* ended since, or beyond this PID namespace */
    if (shares_our_net(pid)) continue; /* not a world: someone took a name */
    command_of(pid, command, sizeof command);
    started_of(pid, started, sizeof started);
    if (json) {
      printf("%s{\"id\":%u,\"pid\":%d,\"started\":", shown ? "," : "", ids[i],
             (int)pid);
      json_string(started);
      fputs(",\"command\":", stdout);
      json_string(command);
      putchar('}');
    } else {
      if (!shown)
        printf("%-5s %-8s %-19s  %s\n", "ID", "PID", "STARTED", "COMMAND");
      printf("%-5u %-8d %-19s  %s\n", ids[i], (int)pid, started, command);
    }
    shown++;
  }
  if (json)
    puts("]");
  else if (!shown && isatty(STDOUT_FILENO))
    fputs("no running worlds (started from this network namespace)\n", stdout);
  return 0;
}

/* }================================================================== */

/*
** {==================================================================
** Entering
** ===================================================================
*/

/* The namespaces entered, in order: user first, mount last. */
static const struct {
  const char *file;
  int type;
} kinds[] = {{"user", CLONE_NEWUSER},
             {"ipc", CLONE_NEWIPC},
             {"uts", CLONE_NEWUTS},
             {"net", CLONE_NEWNET},
             {"pid_for_children", CLONE_NEWPID},
             {"mnt", CLONE_NEWNS}};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static int same_file (int fd, const char *path) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

/*
** Has the process behind pidfd ended (so that its PID may name another)?
*/
static int ended (int pidfd) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  return pidfd >= 0 && poll(&p, 1, 0) > 0;
}

/*
** Open the world's namespaces into fds[] and say which differ from ours
** (those are entered). The PID is checked twice against the registry and
** held by a pidfd, so a PID reused meanwhile cannot lead elsewhere.
*/
static int open_world (unsigned id, int fds[NKINDS], int enter[NKINDS],
                       struct stat *net) {
  struct err e;
  char path[96], self[96];
  pid_t pid = world_registry_pid(id, &e);
  if (pid < 0) {
    fprintf(stderr, "nslab: enter: world %u: %s (nslab enter lists them)\n", id,
            err_text(&e));
    return -1;
  }
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  for (size_t i = 0; i < NKINDS; i++) {
    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, kinds[i].file);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) {
      fprintf(stderr, "nslab: enter: world %u: open %s: %s\n", id, path,
              strerror(errno));
      return -1;
    }
    snprintf(self, sizeof self, "/proc/self/ns/%s", kinds[i].file);
    enter[i] = !same_file(fds[i], self);
    if (kinds[i].type == CLONE_NEWNET) fstat(fds[i], net);
  }
  if (world_registry_pid(id, &e) != pid || ended(pidfd)) {
    fprintf(stderr, "nslab: enter: world %u ended\n", id);
    return -1;
  }
  if (pidfd >= 0) close(pidfd);
  for (size_t i = 0; i < NKINDS; i++)
    if (kinds[i].type == CLONE_NEWNET && !enter[i]) {
      fprintf(stderr,
              "nslab: enter: world %u has this network namespace: "
              "not a world; refusing\n",
              id);
      return -1;
    }
  return 0;
}

/*
** A named namespace of the world, with a /sys of its own (in a mount
** namespace of our own, made a slave so nothing goes back), as `ip netns
** exec` does.
*/
static int enter_named (unsigned id, const char *name, const struct stat *own) {
  struct err e;
  struct stat st;
  if (netns_name_ok(name, &e) < 0) {
    fprintf(stderr, "nslab: enter: netns \"%s\": %s\n", name, err_text(&e));
    return -1;
  }
  int fd = netns_open_name(name, &e);
  if (fd < 0) {
    fprintf(stderr, "nslab: enter: world %u: netns \"%s\": %s\n", id, name,
            e.code == ENOENT ? "no such namespace (ip netns list there)"
                             : err_text(&e));
    return -1;
  }
  if (fstat(fd, &st) == 0 && st.st_dev == own->st_dev &&
      st.st_ino == own->st_ino) {
    fprintf(stderr,
            "nslab: enter: world %u: netns \"%s\" is the network namespace "
            "nslab enter started in; refusing\n",
            id, name);
    close(fd);
    return -1;
  }
  int rc = setns(fd, CLONE_NEWNET);
  int saved = errno;
  close(fd);
  if (rc < 0) {
    fprintf(stderr, "nslab: enter: netns \"%s\": setns: %s\n", name,
            strerror(saved));
    return -1;
  }
  if (unshare(CLONE_NEWNS) < 0 ||
      mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
    fprintf(stderr, "nslab: enter: netns \"%s\": a mount namespace: %s\n", name,
            strerror(errno));
    return -1;
  }
  umount2("/sys", MNT_DETACH);
  if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
      0)
    fprintf(stderr, "nslab: enter: netns \"%s\": mount /sys: %s\n", name,
            strerror(errno));
  return 0;
}

/*
** Run argv (a shell when NULL) in the world's PID namespace, wait for
** it, exit as it exits. Ctrl-C and Ctrl-\ are the child's.
*/
static int run_inside (char **argv) {
  int status;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "nslab: enter: fork into the world: %s%s\n",
            strerror(errno), errno == ENOMEM ? " (the world is ending)" : "");
    return 1;
  }
  if (pid == 0) {
    if (argv != NULL) {
      execvp(argv[0], argv);
      fprintf(stderr, "nslab: enter: %s: %s\n", argv[0], strerror(errno));
      _exit(errno == ENOENT ? 127 : 126);
    }
    execlp("bash", "bash", (char *)NULL);
    execlp("sh", "sh", (char *)NULL);
    fprintf(stderr, "nslab: enter: sh: %s\n", strerror(errno));
    _exit(127);
  }
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

static int enter_world (unsigned id, const char *name, char **cmd) {
  int fds[NKINDS], enter[NKINDS];
  struct stat net, own;
  char cwd[PATH_MAX], inode[32];
  world_close_from(3, 0); /* nothing of ours goes in */
  if (getcwd(cwd, sizeof cwd) == NULL) strcpy(cwd, "/");
  if (stat("/proc/self/ns/net", &own) < 0) {
    fprintf(stderr, "nslab: enter: /proc/self/ns/net: %s\n", strerror(errno));
    return 1;
  }
  if (open_world(id, fds, enter, &net) < 0) return 1;
  for (size_t i = 0; i < NKINDS; i++) {
    if (enter[i] && setns(fds[i], kinds[i].type) < 0) {
      fprintf(stderr, "nslab: enter: world %u: setns %s: %s\n", id,
              kinds[i].file, strerror(errno));
      return 1;
    }
    close(fds[i]);
  }
  if (name != NULL && enter_named(id, name, &own) < 0) return 1;
  if (chdir(cwd) < 0 && chdir("/") < 0) return 1;
  snprintf(inode, sizeof inode, "%llu", (unsigned long long)net.st_ino);
  setenv("NSLAB_WORLD", inode, 1);
  if (cmd == NULL && isatty(STDIN_FILENO))
    fprintf(stderr, "nslab: in world %u%s%s; exit to leave\n", id,
            name ? ", netns " : "", name ? name : "");
  return run_inside(cmd);
}

/* }================================================================== */

static int parse_id (const char *s, unsigned *id) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (*s < '0' || *s > '9' || *end != '\0' || errno || v < 1 ||
      v > WORLD_ID_MAX)
    return -1;
  *id = (unsigned)v;
  return 0;
}

int world_join_main (int argc, char **argv) {
  unsigned id;
  if (argc == 0) return list_worlds(0);
  if (!strcmp(argv[0], "--json") || !strcmp(argv[0], "-j")) {
    if (argc > 1) return usage("--json takes no other argument%s", "");
    return list_worlds(1);
  }
  if (parse_id(argv[0], &id) < 0)
    return usage("'%s' is not a world ID (nslab enter lists them)", argv[0]);
  const char *name = NULL;
  int i = 1;
  if (i < argc && strcmp(argv[i], "--")) name = argv[i++];
  if (i < argc && strcmp(argv[i], "--"))
    return usage("unexpected '%s' (a command goes after --)", argv[i]);
  if (i < argc && i + 1 >= argc) return usage("no command after --%s", "");
  int rc = enter_world(id, name, i < argc ? argv + i + 1 : NULL);
  /* _exit: after setns into another PID namespace, a sanitizer's exit
   * handler (LeakSanitizer stops the process with a clone of itself, which
   * would be born in the world) hangs; nothing is left to do but flush. */
  fflush(NULL);
  _exit(rc);
}
