/*
 * world_test.c - closing inherited descriptors (world_close_from), both
 * ways: close_range(2), and the /proc/self/fd walk used where the kernel
 * lacks it. No namespaces: only this process's own descriptors.
 */
#include <fcntl.h>
#include <unistd.h>

#include "../../core/world.h"
#include "unit.h"

static int is_open (int fd) {
  return fcntl(fd, F_GETFD) != -1;
}

/* Open some descriptors, with gaps, up to a high number. */
static void open_some (int *fds, int n) {
  for (int i = 0; i < n; i++) {
    int fd = open("/dev/null", O_RDONLY);
    fds[i] = fd;
  }
  fds[n - 1] = dup2(fds[0], 200);
  close(fds[1]); /* a gap */
}

static void check_closed (const char *how, int listed) {
  int fds[6];
  open_some(fds, 6);
  world_close_from(3, listed);
  int left = 0;
  for (int fd = 3; fd < 256; fd++) left += is_open(fd);
  UNIT_CHECK(left == 0, "%s: nothing open above 2 (%d left)", how, left);
  UNIT_CHECK(is_open(0) && is_open(1) && is_open(2), "%s: 0, 1 and 2 stay open",
             how);
}

int main (void) {
  check_closed("close_range", 0);
  check_closed("/proc/self/fd", 1);
  int keep = open("/dev/null", O_RDONLY), above = dup2(keep, 40);
  world_close_from(10, 1);
  UNIT_CHECK(is_open(keep) && !is_open(above), "from 10: %d stays, 40 goes",
             keep);
  close(keep);
  return UNIT_END();
}
