/*
 * container.h - a long-lived process in namespaces of its own: what a
 * container is, as far as the network can tell.
 *
 * The process is a clone of the caller that shares its memory until it
 * execs (no copy of it, and its descriptor table never copied: starting
 * one costs the same however many descriptors the caller holds), in a
 * new or joined network namespace and UTS and IPC namespaces of its own
 * (and a hostname), keeping none of the caller's descriptors but stdin,
 * stdout and stderr; it execs a tiny idle program ("nslab-idle HOSTNAME",
 * a few pages of memory whatever the caller weighs) that resets every
 * signal to its default and waits until it is killed. It
 * leaves the caller's session, so Ctrl-C at a prompt does not reach it,
 * and it dies with its parent. Its namespaces live as long as it does (or as
 * anything else holds them): stopping it frees a network namespace nobody else
 * uses, and the veth ends inside go with it.
 */
#ifndef NSLAB_CONTAINER_H
#define NSLAB_CONTAINER_H

#include <sys/types.h>

#include "err.h"

#define CONTAINER_HOSTNAME_MAX 64 /* HOST_NAME_MAX */

struct container_spec {
  int netns_fd;         /* the network namespace to join; -1: a new one */
  int new_uts, new_ipc; /* unshare those too */
  const char *hostname; /* NULL: keep the inherited one; needs new_uts */
};

struct container {
  pid_t pid;
  int pidfd;  /* -1 if the kernel has no pidfd_open */
  int reaped; /* waited for: pid may name another process now */
  int status; /* wait status once reaped */
};

/* Start the process. When it returns, the namespaces exist and are the
 * process's, its hostname is set, and signals sent to it act as on the
 * idle program; the process leaves the caller's descriptor table, its
 * session and memory a moment later, on its own (the first start waits
 * for that). On failure nothing is left and e says which step failed
 * ("set the hostname: ..."). */
int container_start (const struct container_spec *s, struct container *c,
                     struct err *e);

/* Is it alive? Reaps it if it has ended on its own. */
int container_running (struct container *c);

/* Send sig, wait up to timeout_ms for it to end, then SIGKILL; reap it.
 * Stopping a stopped container does nothing. */
int container_stop (struct container *c, int sig, int timeout_ms,
                    struct err *e);

/* Kill (SIGKILL) and reap if needed, close the pidfd. */
void container_release (struct container *c);

#endif
