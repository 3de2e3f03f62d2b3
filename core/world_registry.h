/*
 * world_registry.h - the running worlds, as `nslab enter` lists them.
 *
 * Each world is a listening abstract unix socket "@nslab/world/ID" (ID
 * the lowest free number) bound in the network namespace the world was
 * started from, before the world's own namespaces are made, and held by
 * the process that waits for the world (its PID is the one a user sees).
 * Abstract sockets have no file to leave behind: the kernel removes the
 * name when that process ends, SIGKILL included, so a listing never shows
 * a dead world. They are scoped by network namespace, so a world started
 * inside another world is listed there, not on the machine. Who holds the
 * socket is asked of the kernel (SO_PEERCRED), which gives its PID as the
 * asker's PID namespace sees it.
 */
#ifndef NSLAB_WORLD_REGISTRY_H
#define NSLAB_WORLD_REGISTRY_H

#include <sys/types.h>

#include "err.h"

#define WORLD_REGISTRY_PREFIX "nslab/world/"
#define WORLD_ID_MAX 99999

/* Register the world about to be made: bind and listen on the lowest free
 * name. Returns the socket (O_CLOEXEC), or -1 when none could be had: the
 * world then runs unlisted (registration is best effort). */
int world_register (void);

/* In the process that holds fd until the world ends: accept and close
 * every connection as it comes (SIGIO), so that listings never fill the
 * socket's backlog. Does nothing for fd < 0. */
void world_registry_serve (int fd);

/* The PID of the process holding world id (as this PID namespace numbers
 * it). -1 with ENOENT when there is no such world, ESRCH when its holder
 * is outside this PID namespace. */
pid_t world_registry_pid (unsigned id, struct err *e);

/* The registered world IDs in this network namespace (from
 * /proc/net/unix), ascending; at most max. Returns how many, or -1. */
int world_registry_ids (unsigned *ids, int max, struct err *e);

#endif
