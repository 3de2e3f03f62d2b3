/*
 * sys.h - a system call without libc: no errno (a CLONE_VM child that
 * set errno would set its parent's), no sanitizer hooks. Returns the
 * kernel's value: -errno on failure. For the idle program (idle.c) and
 * for the clone child that execs it (container.c).
 */
#ifndef NSLAB_IDLE_SYS_H
#define NSLAB_IDLE_SYS_H

#if defined(__x86_64__)
static inline __attribute__((always_inline)) long
nslab_sys (long nr, long a, long b, long c, long d, long e) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
static inline __attribute__((always_inline)) long
nslab_sys (long nr, long a, long b, long c, long d, long e) {
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
                   : "memory");
  return x0;
}
#else
#error "core/idle/sys.h: no system call stub for this architecture"
#endif

#endif
