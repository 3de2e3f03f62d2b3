/*
 * ns_pool.c - new namespaces made ahead by a second thread (see
 * ns_pool.h).
 *
 * The thread is started by the second take (of either type) and keeps up
 * to DEPTH spares of each type that has been taken at least once; it
 * sleeps when they are full. It makes a namespace as the caller would:
 * unshare(type) moves the thread into a new one, it opens that, and
 * setns takes it back home, so a spare is held by its descriptor alone.
 * The thread only ever unshares, opens and setns's (no Lua, no netlink,
 * no state of the caller's), with every signal blocked; a type it cannot
 * make (a world without the privilege, the namespace limit) it stops
 * making, and the caller's own attempt then reports why.
 */
#include "ns_pool.h"

#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { NET, IPC, TYPES };
#define DEPTH 4 /* spares per type: enough to cover a burst of links */

static const int type_flag[TYPES] = {CLONE_NEWNET, CLONE_NEWIPC};
static const char *const type_path[TYPES] = {"/proc/thread-self/ns/net",
                                             "/proc/thread-self/ns/ipc"};

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_t thread;
  int running, stopping, start_failed;
  pid_t owner; /* the process the thread runs in (a forked child has none) */
  int busy;    /* the thread has work: not all wanted types are full */
  int homes;   /* descriptors the thread holds on its own namespaces */
  int spare[TYPES][DEPTH], count[TYPES];
  int wanted[TYPES]; /* taken once: keep it filled */
  int failed[TYPES]; /* the thread could not make one: it stops trying */
  int takes;
  long ahead, here;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* A new namespace of type t made by the calling thread, which goes back
 * to home (a descriptor on where it was). */
static int make (int t, int home, struct err *e) {
  if (unshare(type_flag[t]) < 0) return err_errno(e);
  int fd = open(type_path[t], O_RDONLY | O_CLOEXEC);
  if (fd < 0) err_errno(e);
  /* back, or it would make its next one from there */
  netns_return(home, type_flag[t]);
  return fd;
}

static int make_here (int t, struct err *e) {
  int home = open(type_path[t], O_RDONLY | O_CLOEXEC);
  if (home < 0) return err_errno(e);
  int fd = make(t, home, e);
  close(home);
  return fd;
}

/* The type the thread should make next, or -1 (all full). Locked. */
static int next_wanted (void) {
  for (int t = 0; t < TYPES; t++)
    if (pool.wanted[t] && !pool.failed[t] && pool.count[t] < DEPTH) return t;
  return -1;
}

static void *fill (void *arg) {
  (void)arg;
  int home[TYPES];
  pthread_mutex_lock(&pool.lock);
  for (int t = 0; t < TYPES; t++) {
    home[t] = open(type_path[t], O_RDONLY | O_CLOEXEC);
    pool.homes += home[t] >= 0;
  }
  for (;;) {
    int t;
    while (!pool.stopping && (t = next_wanted()) < 0) {
      pool.busy = 0; /* idle: every wanted type is full */
      pthread_cond_wait(&pool.wake, &pool.lock);
    }
    if (pool.stopping) break;
    pool.busy = 1;
    pthread_mutex_unlock(&pool.lock);
    struct err e;
    int fd = home[t] < 0 ? -1 : make(t, home[t], &e);
    pthread_mutex_lock(&pool.lock);
    if (fd < 0)
      pool.failed[t] = 1;
    else if (pool.stopping)
      close(fd);
    else
      pool.spare[t][pool.count[t]++] = fd;
  }
  for (int t = 0; t < TYPES; t++)
    if (home[t] >= 0) close(home[t]);
  pool.homes = 0;
  pthread_mutex_unlock(&pool.lock);
  return NULL;
}

static int enabled (void) {
  const char *v = getenv("NSLAB_NS_POOL");
  return !v || strcmp(v, "0") != 0;
}

/* Start the thread (locked); on failure the caller makes every one. */
static void start (void) {
  pthread_attr_t attr;
  sigset_t all, old;
  if (pthread_attr_init(&attr) != 0) return;
  pthread_attr_setstacksize(&attr, 256 * 1024);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread takes no signal */
  pool.running = pthread_create(&pool.thread, &attr, fill, NULL) == 0;
  pool.start_failed = !pool.running;
  pool.owner = getpid();
  pool.busy = pool.running; /* until it has opened its homes and filled up */
  static int registered;
  if (pool.running && !registered) registered = atexit(ns_pool_stop) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
}

/* A spare of type t, or -1; counts the take and wakes the thread. */
static int take_spare (int t) {
  int fd = -1;
  pthread_mutex_lock(&pool.lock);
  if (pool.count[t] > 0) fd = pool.spare[t][--pool.count[t]];
  pool.wanted[t] = 1;
  /* the thread returns to where it starts, and holds that: never start
     it from inside a namespace entered for a moment (netns run) */
  if (++pool.takes >= 2 && !pool.running && !pool.start_failed &&
      !netns_away() && enabled())
    start();
  if (pool.running) {
    pool.busy = 1; /* until it is full again */
    pthread_cond_signal(&pool.wake);
  }
  if (fd >= 0) pool.ahead++;
  pthread_mutex_unlock(&pool.lock);
  return fd;
}

int ns_pool_take (int type, struct err *e) {
  int t = type == CLONE_NEWIPC ? IPC : NET;
  int fd = take_spare(t);
  if (fd >= 0) return fd;
  fd = make_here(t, e);
  if (fd >= 0) {
    pthread_mutex_lock(&pool.lock);
    pool.here++;
    pthread_mutex_unlock(&pool.lock);
  }
  return fd;
}

int ns_pool_take_spare (int type) {
  return take_spare(type == CLONE_NEWIPC ? IPC : NET);
}

void ns_pool_stop (void) {
  if (pool.running && pool.owner != getpid()) return; /* a forked child */
  pthread_mutex_lock(&pool.lock);
  int running = pool.running;
  pool.stopping = 1;
  pthread_cond_signal(&pool.wake);
  pthread_mutex_unlock(&pool.lock);
  if (running) pthread_join(pool.thread, NULL);
  pthread_mutex_lock(&pool.lock);
  for (int t = 0; t < TYPES; t++) {
    while (pool.count[t] > 0) close(pool.spare[t][--pool.count[t]]);
    pool.wanted[t] = pool.failed[t] = 0;
  }
  pool.running = pool.stopping = pool.takes = pool.busy = 0;
  pool.start_failed = 0;
  pthread_mutex_unlock(&pool.lock);
}

void ns_pool_stats (struct ns_pool_stats *s) {
  pthread_mutex_lock(&pool.lock);
  s->ahead = pool.ahead;
  s->here = pool.here;
  s->spares = pool.count[NET] + pool.count[IPC];
  s->running = pool.running;
  s->busy = pool.busy;
  s->held = s->spares + pool.homes;
  pthread_mutex_unlock(&pool.lock);
}
