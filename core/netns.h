/*
 * netns.h - network namespaces as file descriptors.
 *
 * Named namespaces are bind mounts of an nsfs inode on RUN_DIR/NAME, the
 * same layout `ip netns` uses, so ip, nsenter and nslab see the same world.
 */
#ifndef NSLAB_NETNS_H
#define NSLAB_NETNS_H

#include <stdint.h>
#include <stddef.h>

#include "err.h"

#define NETNS_RUN_DIR "/run/netns"
#define NETNS_ETC_DIR "/etc/netns"

/* The longest namespace name: a file name (NAME_MAX, as `ip netns add`). */
#define NETNS_NAME_MAX 255

/* Is name usable as a namespace name (1..NETNS_NAME_MAX bytes, no '/',
 * not . or ..)? */
int netns_name_ok (const char *name, struct err *e);

/* Create a new namespace; with a name, also bind-mount it at
 * RUN_DIR/name (EEXIST if taken). Returns an O_CLOEXEC fd. The calling
 * thread's namespace is unchanged on return. */
int netns_create (const char *name, struct err *e);

int netns_open_name (const char *name, struct err *e); /* ENOENT: unknown */
int netns_open_pid (long pid, struct err *e);          /* /proc/PID/ns/net */
int netns_open_path (const char *path, struct err *e); /* must be a netns */
int netns_open_current (struct err *e);

/* Unmount and remove RUN_DIR/name. */
int netns_delete (const char *name, struct err *e);

/* Names under RUN_DIR, sorted; *names is malloc'd, each entry too. */
int netns_list (char ***names, size_t *count, struct err *e);
void netns_list_free (char **names, size_t count);

/* Is fd the namespace the calling thread is in? */
int netns_is_current (int fd);

/* The namespace's inode number (what `ls -l /proc/PID/ns/net` shows). */
int netns_inode (int fd, uint64_t *inode, struct err *e);

/* Switch the calling thread into fd's namespace, remembering where it was
 * in *saved (NETNS_NOT_LEFT when it was there already); netns_leave goes
 * back and closes *saved, and aborts the process if it cannot (a thread
 * left in the wrong namespace would act on the wrong network). Used only
 * around socket creation and user callbacks, never left entered. */
#define NETNS_NOT_LEFT (-2)
/* Is the calling thread inside a namespace it entered (netns_enter, not
 * left yet: a callback of netns run)? */
int netns_away (void);
int netns_enter (int fd, int *saved, struct err *e);
int netns_leave (int saved, struct err *e);

/* Go back into home, a namespace of type nstype (CLONE_NEWNET, CLONE_NEWUTS,
 * CLONE_NEWIPC) the calling thread left, or abort the process: a thread
 * left in the wrong namespace would make every later primitive act on the
 * wrong network (STYLE.md: CORE once flushed the host's eth0 that way),
 * so nothing after a failed return is safe. */
void netns_return (int home, int nstype);

/* Run fn(arg, e) with the calling thread inside netns_fd (-1: where it
 * is) and return what fn returns, the thread back where it was. For what
 * belongs to the namespace it is created or opened in: sockets, files of
 * /proc/sys/net, tun devices. fn must return (no Lua error, no longjmp);
 * when the namespace cannot be entered, fn does not run and e says why. */
typedef int netns_fn (void *arg, struct err *e);
int netns_call (int netns_fd, netns_fn *fn, void *arg, struct err *e);

/* socket(2) inside netns_fd (-1: the current namespace); e: its errno. */
int netns_socket (int netns_fd, int domain, int type, int protocol,
                  struct err *e);

#endif
