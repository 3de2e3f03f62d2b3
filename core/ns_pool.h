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
