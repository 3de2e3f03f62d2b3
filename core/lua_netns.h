/*
 * lua_netns.h - the "nslab.netns" userdata: a namespace fd and the
 * namespace's netlink sockets (opened on first use, inside it), which
 * every binding takes as its first argument or in an option.
 */
#ifndef NSLAB_LUA_NETNS_H
#define NSLAB_LUA_NETNS_H

#include "lua_aux.h"
#include "nl.h"

#define LNETNS "nslab.netns"

struct lnetns {
  int fd;       /* -1 once closed */
  int deleted;  /* its name was deleted: every use says so */
  char *name;   /* malloc'd; NULL for an anonymous namespace */
  uint64_t ino; /* its nsfs inode and device (0 if fstat failed) */
  uint64_t dev;
  struct nl rt;  /* rt.sock == NULL until first used */
  struct nl nft; /* NETLINK_NETFILTER, the same way (lua_nft.c) */
};

/* The open namespace at idx. A closed one raises "OP: attempt to use a
 * closed netns", a deleted one "OP: netns "a": deleted"; op may be NULL
 * (the message then starts with the reason). */
struct lnetns *lnetns_check (lua_State *L, int idx, const char *op);
/* Push a new userdata owning fd (and a copy of name). */
struct lnetns *lnetns_push (lua_State *L, int fd, const char *name);
/* The namespace's socket nl (of protocol), opened on first use; raises,
 * naming op, when it cannot be opened or the namespace has been closed. */
struct nl *lnetns_socket (lua_State *L, struct lnetns *ns, struct nl *nl,
                          int protocol, const char *op);
/* The namespace's rtnetlink socket, the same way. */
struct nl *lnetns_rtnl (lua_State *L, struct lnetns *ns);

/* The ifindex of a device argument (name or number) in the namespace;
 * raises "op NAME: No such device" and the like, naming object instead of
 * the device when object is not NULL. */
int lnslab_ifindex (lua_State *L, struct nl *nl, int idx, const char *op);
int lnslab_ifindex_of (lua_State *L, struct nl *nl, int idx, const char *op,
                       const char *object);

/* Outside an nslab world, make every function of the module and every
 * netns method refuse unless it is read-only, until core.allow_host()
 * (lua_guard.c); adds allow_host and guarded to the module. */
void lnetns_guard (lua_State *L, int module, int methods);

#endif
