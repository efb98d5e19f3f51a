/*
 * k8ts-reaper: what a pod's long-lived helper processes become once k8ts-shim has set them up, so
 * that each holds a few KiB instead of a statically linked C library (every page of which a
 * helper's mapping would count). Freestanding: raw system calls, no C library.
 *
 *   k8ts-reaper reap                  holds the sandbox's namespaces; reaps every child (as PID 1 of
 *                                     a shared PID namespace) until SIGTERM, then exits 0.
 *   k8ts-reaper wait <pid> <file>     waits for child <pid> (the container) and records its exit
 *                                     code in <file>, written whole by rename.
 *
 * Complaints go to stderr (the runtime's shim log). x86-64 and AArch64; on other machines the
 * build leaves it out and k8ts-shim does the same itself.
 */
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/signal.h>

#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call start\n hlt\n");
static long sys(long n, long a, long b, long c, long d) {
  long r;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return r;
}
#elif defined(__aarch64__)
__asm__(".globl _start\n_start:\n mov x0, sp\n bl start\n");
static long sys(long n, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c, x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
#else
#error "k8ts-reaper: no system call convention for this machine"
#endif

#define EINTR 4
#define ECHILD 10
#define WNOHANG 1
#define SIGSET_BYTES 8

static _Noreturn void leave(int code) {
  for (;;) sys(__NR_exit_group, code, 0, 0, 0);
}

static unsigned long length(const char *s) {
  unsigned long n = 0;
  while (s[n]) n++;
  return n;
}

static void say(const char *a, const char *b, const char *c, const char *d) {
  const char *parts[] = {"k8ts-reaper: ", a, b, c, d, "\n"};
  for (int i = 0; i < 6; i++) sys(__NR_write, 2, (long)parts[i], (long)length(parts[i]), 0);
}

/* The errno's text for the few a rename of a small file in the runtime's directory can meet. */
static const char *error_text(long err) {
  switch (-err) {
    case 2: return "No such file or directory";
    case 5: return "Input/output error";
    case 13: return "Permission denied";
    case 20: return "Not a directory";
    case 24: return "Too many open files";
    case 28: return "No space left on device";
    case 30: return "Read-only file system";
    case 122: return "Disk quota exceeded";
    default: return "system error";
  }
}

static long to_number(const char *s) {
  long n = 0;
  if (!*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    n = n * 10 + (*s - '0');
  }
  return n;
}

static _Noreturn void reap(void) {
  unsigned long set = (1UL << (SIGCHLD - 1)) | (1UL << (SIGTERM - 1));
  /* Blocked, not ignored: PID 1 of a namespace still receives them from the host, and waits for them here. */
  sys(__NR_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, SIGSET_BYTES);
  for (;;) {
    while (sys(__NR_wait4, -1, 0, WNOHANG, 0) > 0) {}
    long sig = sys(__NR_rt_sigtimedwait, (long)&set, 0, 0, SIGSET_BYTES);
    if (sig == SIGTERM) leave(0);
  }
}

static _Noreturn void wait_and_record(long pid, const char *file) {
  int status = 0;
  long r;
  while ((r = sys(__NR_wait4, pid, (long)&status, 0, 0)) == -EINTR) {}
  int code = r < 0 ? 1 : (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
  char tmp[4096];
  unsigned long n = length(file);
  if (n + 5 > sizeof tmp) leave(1);
  for (unsigned long i = 0; i < n; i++) tmp[i] = file[i];
  tmp[n] = '.'; tmp[n + 1] = 't'; tmp[n + 2] = 'm'; tmp[n + 3] = 'p'; tmp[n + 4] = '\0';
  long fd = sys(__NR_openat, AT_FDCWD, (long)tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) { say("cannot write ", tmp, ": ", error_text(fd)); leave(1); }
  char text[8];
  int len = 0;
  if (code >= 100) text[len++] = (char)('0' + code / 100);
  if (code >= 10) text[len++] = (char)('0' + code / 10 % 10);
  text[len++] = (char)('0' + code % 10);
  text[len++] = '\n';
  sys(__NR_write, fd, (long)text, len, 0);
  sys(__NR_close, fd, 0, 0, 0);
#ifdef __NR_renameat
  long renamed = sys(__NR_renameat, AT_FDCWD, (long)tmp, AT_FDCWD, (long)file);
#else
  long renamed = sys(__NR_renameat2, AT_FDCWD, (long)tmp, AT_FDCWD, (long)file);
#endif
  if (renamed < 0) { say("cannot rename ", tmp, ": ", error_text(renamed)); leave(1); }
  leave(0);
}

__attribute__((used)) _Noreturn void start(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  const char *mode = argc > 1 ? argv[1] : "";
  if (mode[0] == 'r' && mode[1] == 'e' && mode[2] == 'a' && mode[3] == 'p' && !mode[4] && argc == 2) reap();
  if (mode[0] == 'w' && mode[1] == 'a' && mode[2] == 'i' && mode[3] == 't' && !mode[4] && argc == 4) {
    long pid = to_number(argv[2]);
    if (pid > 0) wait_and_record(pid, argv[3]);
  }
  say("usage: k8ts-reaper reap | wait <pid> <exit file>", "", "", "");
  leave(2);
}
