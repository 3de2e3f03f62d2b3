/*
 * world.h - the private world every lab runs in.
 *
 * A world is a new network namespace (its "host"), a new mount namespace
 * with a private tmpfs on /run/netns and /sys and /proc remounted, and a
 * new PID namespace whose init is the nslab process: when it dies, for
 * any reason, the kernel kills everything in the world and frees it.
 * Without privilege the world is made inside a user namespace that maps
 * the caller to root.
 */
#ifndef NSLAB_WORLD_H
#define NSLAB_WORLD_H

#include "err.h"

/* Make the world. Returns 0 in the process that does the work, PID 2 of
 * the new PID namespace: PID 1 is a small init that reaps orphans and ends
 * the world with PID 2's status; the original process waits for the world
 * and exits with that status, so world_enter never returns there. -1:
 * could not make it, with a message that says what is missing
 * (CAP_NET_ADMIN, user namespaces).
 * The world keeps the caller's descriptors 0-2 (refused if one is a
 * namespace, pidfd, directory, netlink or packet socket: a way back to
 * the machine; /dev/null where one is closed) and closes every other;
 * its working directory is the same path as the world sees it (its own
 * /proc and /run/netns). */
int world_enter (struct err *e);

/* Replace the calling process's network and mount namespaces with fresh
 * ones (tmpfs on /run/netns, /sys for the new namespace, lo up), without a
 * new PID namespace: a clean slate for each spec, inside a world. */
int world_fresh (struct err *e);

/* Close every descriptor from first up: close_range(2), or each one that
 * /proc/self/fd lists when the kernel lacks it (or when listed is set). */
void world_close_from (unsigned first, int listed);

#endif
