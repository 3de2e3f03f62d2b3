/*
 * proc.h - run a program inside a network namespace, as `ip netns exec`
 * does: a private mount namespace, /sys remounted for the target network
 * namespace, and for a named namespace every file in /etc/netns/NAME
 * bind-mounted over its twin in /etc.
 */
#ifndef NSLAB_PROC_H
#define NSLAB_PROC_H

#include <stddef.h>

#include "err.h"

/* What is kept of each of a program's stdout and stderr: past it the
 * program is stopped (a `yes` would fill the machine's memory). */
#define PROC_OUTPUT_MAX (64 << 20)

struct proc_result {
  int exit_code;      /* exit status, or -1 when killed */
  int signal;         /* the signal that killed it, 0 if none */
  char *out, *errout; /* malloc'd, NUL-terminated captured stdout/stderr */
  size_t out_len, err_len;
};

/* The namespaces a program joins before it runs; -1: stay in the
 * caller's. A process's namespaces, opened from /proc/PID/ns/, give what
 * `nsenter -t PID -n -u -i` does. */
struct proc_ns {
  int net, uts, ipc;
};

/* Open the namespaces of process pid that differ from the caller's (the
 * others stay -1: joining one's own would only need more privilege).
 * ESRCH "no such process". */
int proc_ns_open_pid (long pid, struct proc_ns *ns, struct err *e);
void proc_ns_close (struct proc_ns *ns);

/* As proc_run, in the namespaces of ns (UTS and IPC joined first). */
int proc_run_ns (const struct proc_ns *ns, const char *netns_name,
                 char *const argv[], const char *input, size_t input_len,
                 int timeout_ms, struct proc_result *r, struct err *e);

/* Run argv (argv[0] searched in PATH) in netns_fd (-1: current) with
 * netns_name (NULL for anonymous: no /etc/netns binds), feed it input
 * (may be NULL), capture its output. timeout_ms > 0 kills it (SIGKILL)
 * after that long. Returns -1 if it could not be started (e.g. ENOENT for
 * an unknown program, reported by the child through a pipe). */
int proc_run (int netns_fd, const char *netns_name, char *const argv[],
              const char *input, size_t input_len, int timeout_ms,
              struct proc_result *r, struct err *e);
void proc_result_free (struct proc_result *r);

#endif
