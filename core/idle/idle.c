/*
 * idle.c - the program a container process runs: it names itself, takes
 * default signal dispositions with nothing blocked, and waits until a
 * signal ends it (SIGTERM, SIGKILL, or its parent-death signal). No libc:
 * a static image of a few hundred bytes, so that exec costs next to
 * nothing and a thousand of them share one page of text.
 *
 * It starts with every signal blocked (container.c blocks them around
 * the clone, and a mask survives exec): handlers the caller had are gone
 * after the exec, but ignored signals would stay ignored, so every
 * disposition is reset here, in memory of its own, before unblocking.
 */
#include <asm/unistd.h>

#include "sys.h"

#define PR_SET_NAME 15
#define SIG_SETMASK 2
#define NSIG_MAX 64

void _start (void) __attribute__((noreturn));

void _start (void) {
  static const char name[16] = "nslab-idle";
  static const unsigned long dfl[4]; /* handler SIG_DFL, no flags */
  unsigned long none = 0;
  nslab_sys(__NR_prctl, PR_SET_NAME, (long)name, 0, 0, 0);
  for (long sig = 1; sig <= NSIG_MAX; sig++)
    if (sig != 9 && sig != 19) /* SIGKILL, SIGSTOP */
      nslab_sys(__NR_rt_sigaction, sig, (long)dfl, 0, 8, 0);
  nslab_sys(__NR_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8, 0);
  for (;;) /* no descriptors, no timeout: returns only if a handler ran */
    nslab_sys(__NR_ppoll, 0, 0, 0, 0, 0);
}
