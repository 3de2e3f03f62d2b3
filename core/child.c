/* child.c - see child.h */
#include "child.h"

#include <signal.h>
#include <stddef.h>

void child_reset_signals (void) {
  sigset_t none;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}
