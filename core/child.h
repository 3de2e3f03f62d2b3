/*
 * child.h - what a forked child does before anything else.
 *
 * The parent may be a Lua interpreter with handlers installed (Ctrl-C)
 * and signals blocked or ignored; a child that keeps that state would
 * survive SIGTERM, and ignored signals would even survive an exec.
 */
#ifndef NSLAB_CHILD_H
#define NSLAB_CHILD_H

/* Default dispositions for every signal, nothing blocked. */
void child_reset_signals (void);

#endif
