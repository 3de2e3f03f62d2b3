/*
 * idle.c - the program a container process runs: it names itself and
 * waits until a signal ends it (SIGTERM, SIGKILL, or its parent-death
 * signal). No libc: a static image of a few hundred bytes, so that exec
 * costs next to nothing and a thousand of them share one page of text.
 */
#if defined(__x86_64__)
#define SYS_PRCTL 157
#define SYS_PPOLL 271
static long sys5 (long nr, long a, long b, long c, long d) {
  register long r10 __asm__("r10") = d;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
#define SYS_PRCTL 167
#define SYS_PPOLL 73
static long sys5 (long nr, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3)
                   : "memory");
  return x0;
}
#else
#error "core/idle/idle.c: no system call stub for this architecture"
#endif

#define PR_SET_NAME 15

void _start (void) __attribute__((noreturn));

void _start (void) {
  static const char name[16] = "nslab-idle";
  sys5(SYS_PRCTL, PR_SET_NAME, (long)name, 0, 0);
  for (;;) /* no descriptors, no timeout: returns only if a handler ran */
    sys5(SYS_PPOLL, 0, 0, 0, 0);
}
