/*
 * ns_pool.h - new network and IPC namespaces made ahead by a second thread.
 *
 * Making a network namespace costs the kernel about 0.7 ms (per-net
 * sysctl tables, /proc entries, loopback), about a third of a container
 * in docker-bridge-1000, and much of it runs outside RTNL. A lab that
 * makes one namespace makes many, so from the second one on a thread of
 * the core keeps a few fresh ones ready: it makes them while the caller's
 * thread does the links, addresses and routes of the last one, on the
 * machine's other CPU (PERFORMANCE.md: a second thread creating
 * namespaces ahead, 0.84x). A namespace taken from the pool is as new as
 * one made on the spot: nothing has used it, nothing else holds it, it
 * only has its loopback, down. Spares are anonymous, held by the core's
 * descriptors only, and go with the process (or with ns_pool_stop).
 *
 * A spare is made when the pool makes it: what a new namespace copies
 * from init_net at birth (its IPv4 devconf defaults, some TCP sysctls;
 * net.core.devconf_inherit_init_net) is what init_net had then. A world
 * never changes init_net, so only a lab run with --host on the machine's
 * own namespace could see a spare made before its own sysctl change.
 * The thread returns to the namespaces it started in and holds them, so
 * it is never started from inside an entered namespace (netns_away);
 * while it runs the process cannot unshare or join a user or mount
 * namespace (a world is entered before, world_fresh stops it first),
 * and it is stopped at exit (atexit), so nothing of it is left to leak
 * checkers.
 *
 * NSLAB_NS_POOL=0 in the environment makes every namespace on the spot
 * (to compare; bench/tools and specs use it).
 */
#ifndef NSLAB_NS_POOL_H
#define NSLAB_NS_POOL_H

#include "err.h"

/* An O_CLOEXEC descriptor on a new namespace of type (CLONE_NEWNET or
 * CLONE_NEWIPC), made ahead when the pool has one, else here; e says why
 * not (the errno of unshare or of opening it). The calling thread's own
 * namespaces are unchanged. */
int ns_pool_take (int type, struct err *e);

/* A spare of type, or -1 when there is none ready (the caller makes its
 * own: a container's clone flags); it counts as a take all the same. */
int ns_pool_take_spare (int type);

/* Stop the thread and close the spares: before the process moves to
 * another world (world_fresh), so no namespace of the old one is held. */
void ns_pool_stop (void);

struct ns_pool_stats {
  long ahead; /* taken from the spares */
  long here;  /* made by the caller (no spare ready, or the pool off) */
  int spares; /* ready now */
  int running;
  int busy; /* its thread is filling up (a descriptor may be in flight) */
  int held; /* descriptors the pool holds: spares and the thread's own */
};
void ns_pool_stats (struct ns_pool_stats *s);

#endif
