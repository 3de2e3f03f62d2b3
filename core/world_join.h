/*
 * world_join.h - `nslab enter`: list the running worlds, or run a shell
 * (or a command) inside one, from another terminal.
 */
#ifndef NSLAB_WORLD_JOIN_H
#define NSLAB_WORLD_JOIN_H

/* nslab enter [--json] | ID [NETNS] [-- CMD [ARGS...]]: argv holds the
 * arguments after "enter". Returns the exit status; once it has entered
 * a world it exits with it instead (see world_join.c). */
int world_join_main (int argc, char **argv);

#endif
