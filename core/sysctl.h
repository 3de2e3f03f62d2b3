/*
 * sysctl.h - per-namespace network sysctls, named as sysctl(8) names them.
 *
 * /proc/sys/net shows the network namespace of the thread that looks a file
 * up, and an open file stays bound to that namespace. So the file is opened
 * while the thread is briefly inside the target namespace, and read or
 * written once the thread is back: nothing is ever written from the wrong
 * namespace, and no process is started.
 *
 * Only keys under net. are accepted: they are the only ones that follow the
 * network namespace (kernel.hostname follows UTS, kernel.shm* IPC, and a
 * world shares both with the machine), so any other key would reach past
 * the namespace the caller named.
 */
#ifndef NSLAB_SYSCTL_H
#define NSLAB_SYSCTL_H

#include <stddef.h>

#include "err.h"

#define SYSCTL_DIR "/proc/sys"
#define SYSCTL_VALUE_MAX 65536 /* no net sysctl prints more */

/* The file for key below SYSCTL_DIR, in path (size bytes). The key is
 * "net.ipv4.ip_forward" or "net/ipv4/conf/lxcbr0.1/forwarding": as in
 * sysctl(8), the first separator decides; after a '.' dots and slashes
 * swap roles ("net.ipv4.conf.lxcbr0/1.forwarding" is the same key). A
 * component that is empty, "." or ".." is refused. */
int sysctl_path (const char *key, char *path, size_t size, struct err *e);

/* Read key in the namespace netns_fd (-1: the thread's own). *value is
 * malloc'd, without leading or trailing whitespace ("1\t0" stays). Errors:
 * ENOENT "unknown key", EISDIR "not a key but a directory", the kernel's
 * own (EACCES for a write-only key). */
int sysctl_get (int netns_fd, const char *key, char **value, struct err *e);

/* Write value (a newline is added, as sysctl -w does) to key. A value the
 * kernel refuses fails with its errno (EINVAL: "Invalid argument"). */
int sysctl_set (int netns_fd, const char *key, const char *value,
                struct err *e);

#endif
