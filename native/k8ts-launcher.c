/*
 * k8ts-launcher: a small long-lived process that starts the node agent's exec commands (probes,
 * exec hooks) so that the agent, a large process, need not fork for each one.
 *
 * Requests arrive on stdin, answers leave on stdout, both as frames: a little-endian u32 length of
 * what follows, a type byte, a u32 request id, then the body.
 *
 *   'r' run:  u32 argc, u32 envc, u32 setup length, then NUL-terminated strings (working directory,
 *             argv, NAME=VALUE environment) and the setup bytes, which the command reads on fd 3.
 *   'k' kill: SIGKILL to the command's process group.
 *
 *   'o' / 'e' a chunk of the command's stdout / stderr.
 *   'x'       the end: i32 exit code (128 + signal when killed), sent once the command was reaped
 *             and both its output pipes reached end of file.
 *   'f'       the command could not be started: the error text.
 *
 * Each command gets a session (and process group) of its own, stdin from /dev/null and its setup
 * on fd 3. The launcher ends, killing the process groups it still runs, when stdin reaches end of
 * file or on SIGTERM; it is killed with its parent (PR_SET_PDEATHSIG). C11, Linux, libc only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct job {
  uint32_t id;
  pid_t pid;
  int out, err;
  int reaped, code;
};

static struct job *jobs;
static size_t njobs, capjobs;
static int devnull;
static sigset_t parent_mask;

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(1); /* the agent is gone */
    p += n;
    len -= (size_t)n;
  }
}

static void send_frame(char type, uint32_t id, const void *body, size_t len) {
  unsigned char head[9];
  put_u32(head, (uint32_t)(len + 5));
  head[4] = (unsigned char)type;
  put_u32(head + 5, id);
  write_all(1, head, sizeof head);
  if (len) write_all(1, body, len);
}

static void send_exit(uint32_t id, int code) {
  unsigned char body[4];
  put_u32(body, (uint32_t)code);
  send_frame('x', id, body, sizeof body);
}

static void send_failure(uint32_t id, const char *what, int err) {
  char text[512];
  int n = snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  send_frame('f', id, text, n < (int)sizeof text ? (size_t)n : sizeof text - 1);
}

static void kill_all(void) {
  for (size_t i = 0; i < njobs; i++) kill(-jobs[i].pid, SIGKILL);
}

/* Starts one command; its output pipes join the poll set, its exit comes by SIGCHLD. */
static void run(uint32_t id, const unsigned char *body, size_t len) {
  if (len < 12) { send_failure(id, "launcher: short request", EINVAL); return; }
  uint32_t argc = get_u32(body), envc = get_u32(body + 4), setup_len = get_u32(body + 8);
  const char *p = (const char *)body + 12, *end = (const char *)body + len - setup_len;
  if (setup_len > len - 12 || argc == 0) { send_failure(id, "launcher: bad request", EINVAL); return; }
  size_t nstrings = 1 + argc + envc;
  char **strings = calloc(nstrings + 2, sizeof *strings);
  if (!strings) { send_failure(id, "launcher", ENOMEM); return; }
  for (size_t i = 0; i < nstrings; i++) {
    const char *nul = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
    if (!nul) { free(strings); send_failure(id, "launcher: bad request", EINVAL); return; }
    strings[i + (i > argc ? 1 : 0)] = (char *)p; /* argv and envp each end with a NULL */
    p = nul + 1;
  }
  const char *cwd = strings[0];
  char **argv = strings + 1, **envp = strings + 2 + argc;

  int out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
  int setup = memfd_create("k8ts-exec-setup", MFD_CLOEXEC);
  if (setup < 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
    send_failure(id, "launcher: cannot create pipes", errno);
    goto cleanup;
  }
  {
    const char *s = end;
    size_t left = setup_len;
    while (left > 0) {
      ssize_t n = write(setup, s, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) { send_failure(id, "launcher: cannot write the setup", errno); goto cleanup; }
      s += n;
      left -= (size_t)n;
    }
    lseek(setup, 0, SEEK_SET);
  }
  if (njobs == capjobs) {
    size_t cap = capjobs ? capjobs * 2 : 64;
    struct job *bigger = realloc(jobs, cap * sizeof *jobs);
    if (!bigger) { send_failure(id, "launcher", ENOMEM); goto cleanup; }
    jobs = bigger;
    capjobs = cap;
  }
  pid_t pid = fork();
  if (pid < 0) { send_failure(id, "launcher: fork", errno); goto cleanup; }
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &parent_mask, NULL);
    signal(SIGPIPE, SIG_DFL); /* ignored here for the pipes to the agent, not for the commands */
    setsid();
    int step = 0, fds[4] = {devnull, out[1], err[1], setup};
    for (int fd = 0; fd < 4; fd++) {
      if (fds[fd] == fd) fcntl(fd, F_SETFD, 0);
      else if (dup2(fds[fd], fd) < 0) goto failed;
    }
    step = 1;
    if (chdir(cwd) == 0) {
      step = 2;
      environ = envp;
      execvp(argv[0], argv);
    }
  failed:;
    int e[2] = {step, errno};
    write_all(report[1], e, sizeof e);
    _exit(127);
  }
  close(report[1]);
  report[1] = -1;
  int failure[2];
  ssize_t n;
  while ((n = read(report[0], failure, sizeof failure)) < 0 && errno == EINTR) {}
  if (n == (ssize_t)sizeof failure) {
    /* The command never ran: reaped with the others, but answered as a start failure. */
    char what[600];
    if (failure[0] == 2) snprintf(what, sizeof what, "exec %s", argv[0]);
    else if (failure[0] == 1) snprintf(what, sizeof what, "chdir %s", cwd);
    else snprintf(what, sizeof what, "launcher: cannot set up the command's file descriptors");
    send_failure(id, what, failure[1]);
    jobs[njobs++] = (struct job){.id = UINT32_MAX, .pid = pid, .out = -1, .err = -1};
    goto cleanup;
  }
  jobs[njobs++] = (struct job){.id = id, .pid = pid, .out = out[0], .err = err[0]};
  out[0] = err[0] = -1;
cleanup:
  for (int i = 0; i < 2; i++) {
    if (out[i] >= 0) close(out[i]);
    if (err[i] >= 0) close(err[i]);
    if (report[i] >= 0) close(report[i]);
  }
  if (setup >= 0) close(setup);
  free(strings);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (size_t i = 0; i < njobs; i++) {
      if (jobs[i].pid != pid) continue;
      jobs[i].reaped = 1;
      jobs[i].code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
      break;
    }
  }
}

/* Answers and forgets the jobs that ended: reaped, and no one left writing to their pipes. */
static void finish(void) {
  size_t kept = 0;
  for (size_t i = 0; i < njobs; i++) {
    struct job *j = &jobs[i];
    if (j->reaped && j->out < 0 && j->err < 0) {
      if (j->id != UINT32_MAX) send_exit(j->id, j->code);
      continue;
    }
    jobs[kept++] = *j;
  }
  njobs = kept;
}

static void drain(struct job *j, int *fd, char type) {
  static char buf[65536];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    close(*fd);
    *fd = -1;
    return;
  }
  send_frame(type, j->id, buf, (size_t)n);
}

static void handle(const unsigned char *frame, size_t len) {
  if (len < 5) return;
  uint32_t id = get_u32(frame + 1);
  if (frame[0] == 'r') run(id, frame + 5, len - 5);
  else if (frame[0] == 'k') {
    for (size_t i = 0; i < njobs; i++) if (jobs[i].id == id) kill(-jobs[i].pid, SIGKILL);
  }
}

int main(void) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 1;
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) return 1;
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, &parent_mask);
  sigdelset(&parent_mask, SIGCHLD);
  sigdelset(&parent_mask, SIGTERM);
  sigdelset(&parent_mask, SIGINT);
  int signals = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signals < 0) return 1;
  signal(SIGPIPE, SIG_IGN);

  unsigned char *in = NULL;
  size_t inlen = 0, incap = 0;
  struct pollfd *fds = NULL;
  size_t capfds = 0;
  for (;;) {
    size_t want = 2 + 2 * njobs;
    if (want > capfds) {
      struct pollfd *bigger = realloc(fds, want * 2 * sizeof *fds);
      if (!bigger) return 1;
      fds = bigger;
      capfds = want * 2;
    }
    fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = signals, .events = POLLIN};
    for (size_t i = 0; i < njobs; i++) {
      fds[2 + 2 * i] = (struct pollfd){.fd = jobs[i].out, .events = POLLIN};
      fds[3 + 2 * i] = (struct pollfd){.fd = jobs[i].err, .events = POLLIN};
    }
    size_t polled = njobs;
    if (poll(fds, want, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    for (size_t i = 0; i < polled; i++) {
      if (fds[2 + 2 * i].revents) drain(&jobs[i], &jobs[i].out, 'o');
      if (fds[3 + 2 * i].revents) drain(&jobs[i], &jobs[i].err, 'e');
    }
    if (fds[1].revents) {
      struct signalfd_siginfo info;
      while (read(signals, &info, sizeof info) == (ssize_t)sizeof info) {
        if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
          kill_all();
          return 0;
        }
      }
      reap();
    }
    if (fds[0].revents) {
      if (incap - inlen < 65536) {
        incap = incap ? incap * 2 : 131072;
        unsigned char *bigger = realloc(in, incap);
        if (!bigger) return 1;
        in = bigger;
      }
      ssize_t n = read(0, in + inlen, incap - inlen);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        kill_all();
        return 0;
      }
      inlen += (size_t)n;
      size_t at = 0;
      while (inlen - at >= 4) {
        uint32_t flen = get_u32(in + at);
        if (inlen - at - 4 < flen) break;
        handle(in + at + 4, flen);
        at += 4 + flen;
      }
      memmove(in, in + at, inlen - at);
      inlen -= at;
    }
    finish();
  }
}
