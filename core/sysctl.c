/*
 * sysctl.c - network sysctls of one namespace (see sysctl.h).
 */
#include "sysctl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"

/*
** {==================================================================
** Keys
** ===================================================================
*/

/*
** sysctl(8)'s rule: when the first separator is a '.', dots and slashes
** swap roles, so "a.b/c.d" is the path "a/b.c/d"; when it is a '/', the
** key is a path already.
*/
static void key_to_path (const char *key, char *out) {
  const char *first = strpbrk(key, "./");
  int swap = first && *first == '.';
  for (; *key; key++, out++) {
    *out = *key;
    if (swap && *key == '.')
      *out = '/';
    else if (swap && *key == '/')
      *out = '.';
  }
  *out = '\0';
}

/*
** Every component of rel must be a plain name: an empty one, "." or ".."
** could step out of the net tree.
*/
static int components_ok (const char *rel) {
  for (const char *p = rel;;) {
    size_t len = strcspn(p, "/");
    if (len == 0 || (len == 1 && p[0] == '.') ||
        (len == 2 && p[0] == '.' && p[1] == '.'))
      return 0;
    if (p[len] == '\0') return 1;
    p += len + 1;
  }
}

int sysctl_path (const char *key, char *path, size_t size, struct err *e) {
  size_t len = strlen(key), dir = sizeof SYSCTL_DIR; /* with its '/' */
  if (len == 0) return err_set(e, EINVAL, "empty key");
  if (key[0] == '/' || key[0] == '.')
    return err_set(e, EINVAL, "a key cannot start with '/' or '.'");
  if (dir + len >= size) return err_set(e, ENAMETOOLONG, "key too long");
  memcpy(path, SYSCTL_DIR "/", dir);
  key_to_path(key, path + dir);
  if (!components_ok(path + dir))
    return err_set(e, EINVAL, "a key cannot have an empty, . or .. part");
  if (strncmp(path + dir, "net/", 4) != 0 || path[dir + 4] == '\0')
    return err_set(e, EPERM, "only net.* keys belong to a network namespace");
  return 0;
}

/* }================================================================== */

/*
** {==================================================================
** Opening inside the namespace, using outside
** ===================================================================
*/

struct key_file {
  const char *path;
  int flags;
};

/*
** The open(2) of a key's file, run inside the namespace (netns_call).
*/
static int open_here (void *arg, struct err *e) {
  const struct key_file *k = arg;
  int fd = open(k->path, k->flags | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0) return fd;
  if (errno == ENOENT || errno == ENOTDIR)
    return err_set(e, ENOENT, "unknown key");
  if (errno == EISDIR) return err_set(e, EISDIR, "not a key but a directory");
  return err_errno(e);
}

/*
** Open the file of key inside netns_fd; the thread is back in its own
** namespace before anything else happens.
*/
static int open_key (int netns_fd, const char *key, int flags, struct err *e) {
  char path[4096];
  struct key_file k = {path, flags};
  struct stat st;
  if (sysctl_path(key, path, sizeof path, e) < 0) return -1;
  int fd = netns_call(netns_fd, open_here, &k, e);
  if (fd < 0) return -1;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    return err_set(e, EISDIR, "not a key but a directory");
  }
  return fd;
}

/*
** All of fd, NUL-terminated, in a malloc'd buffer.
*/
static char *read_all (int fd, struct err *e) {
  size_t len = 0, cap = 256;
  char *buf = malloc(cap);
  if (buf == NULL) return err_set(e, ENOMEM, NULL), NULL;
  for (;;) {
    if (cap - len < 2) {
      char *grown = cap >= SYSCTL_VALUE_MAX ? NULL : realloc(buf, cap * 2);
      if (grown == NULL) {
        free(buf);
        return err_set(e, EFBIG, "value too large"), NULL;
      }
      buf = grown;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err_errno(e);
      free(buf);
      return NULL;
    }
    len += (size_t)n;
  }
  buf[len] = '\0';
  return buf;
}

/* Strip leading and trailing whitespace in place. */
static void trim (char *s) {
  size_t start = 0, end = strlen(s);
  while (start < end && isspace((unsigned char)s[start])) start++;
  while (end > start && isspace((unsigned char)s[end - 1])) end--;
  memmove(s, s + start, end - start);
  s[end - start] = '\0';
}

int sysctl_get (int netns_fd, const char *key, char **value, struct err *e) {
  *value = NULL;
  int fd = open_key(netns_fd, key, O_RDONLY, e);
  if (fd < 0) return -1;
  *value = read_all(fd, e);
  close(fd);
  if (*value == NULL) return -1;
  trim(*value);
  return 0;
}

/*
** One write of "value\n", as sysctl -w makes it: the kernel parses a
** write as a whole, so it is never split.
*/
int sysctl_set (int netns_fd, const char *key, const char *value,
                struct err *e) {
  size_t len = strlen(value);
  if (len >= SYSCTL_VALUE_MAX) return err_set(e, EFBIG, "value too large");
  char *line = malloc(len + 2);
  if (line == NULL) return err_set(e, ENOMEM, NULL);
  memcpy(line, value, len);
  memcpy(line + len, "\n", 2);
  int rc = -1, fd = open_key(netns_fd, key, O_WRONLY, e);
  if (fd >= 0) {
    ssize_t n;
    while ((n = write(fd, line, len + 1)) < 0 && errno == EINTR) {}
    if (n < 0)
      err_errno(e);
    else if ((size_t)n != len + 1)
      err_set(e, EIO, "short write");
    else
      rc = 0;
    close(fd);
  }
  free(line);
  return rc;
}

/* }================================================================== */
