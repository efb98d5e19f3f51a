/*
 * k8ts-shim: the process runtime's small native helper, one program with three modes.
 *
 *   pause     holds a sandbox's new namespaces (network, UTS, IPC, PID), sets its hostname and, as
 *             PID 1 of a shared PID namespace, reaps orphans. Optionally mounts the sandbox's layer
 *             tmpfs first (in the runtime's mount namespace: that is where the runtime reads it),
 *             and connects the new network namespace to the pod network over rtnetlink (veth pair,
 *             bridge port, eth0's address, the default route).
 *   supervise a container's monitor: joins the sandbox's namespaces, starts the container in a new
 *             mount (and PID) namespace with its root filesystem pivoted into, waits for it and
 *             records its exit code in a file written whole by rename.
 *   exec      runs a command inside a running container (probes, kubectl exec).
 *
 * Once set up, pause and supervise become k8ts-reaper (beside this program) to wait in a few KiB.
 *
 * The protocol is the one of the runtime's shell helpers: a pid or `started <pid> <starttime>` /
 * `failed <message>` line on fd 3, the container's stdout and stderr on fds 4 and 5. A container's
 * process spec (argv, environment, user, session) is a file of NUL-terminated tokens: `a<word>`,
 * `e<NAME=VALUE>`, `u<uid>`, `g<gid>`, `s` (a session of its own), `t` (a session with the
 * terminal on fd 0 as its controlling terminal). C11, libc only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sys/socket.h>

#define REPORT_FD 3
#define STDOUT_FD 4
#define STDERR_FD 5

/* ---- small utilities ------------------------------------------------------------------------ */

static void write_all(int fd, const char *text, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text += n;
    len -= (size_t)n;
  }
}

/* Writes `prefix`, the formatted text and a newline to fd in one write, cut to fit. */
static void write_line(int fd, const char *prefix, const char *fmt, va_list ap) {
  char line[8192];
  int n = snprintf(line, sizeof line, "%s", prefix);
  n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  write_all(fd, line, (size_t)n);
}

/* Reports a failed start on fd 3 and ends with 128, as runc's start errors do. */
static _Noreturn void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  write_line(REPORT_FD, "failed ", fmt, ap);
  va_end(ap);
  _exit(128);
}

/* A complaint of the helper itself, on stderr (the runtime's shim log, never the container's log). */
static void complain(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  write_line(2, "k8ts-shim: ", fmt, ap);
  va_end(ap);
}

/* The value of `--name=value` among the arguments, or NULL; `--name` alone gives "". */
static const char *option(int argc, char **argv, const char *name) {
  size_t len = strlen(name);
  for (int i = 2; i < argc; i++) {
    if (strncmp(argv[i], "--", 2) != 0 || strncmp(argv[i] + 2, name, len) != 0) continue;
    const char *rest = argv[i] + 2 + len;
    if (*rest == '=') return rest + 1;
    if (*rest == '\0') return "";
  }
  return NULL;
}

static char *read_fd(int fd, size_t *size) {
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  for (;;) {
    if (len == cap) {
      char *bigger = realloc(buf, cap *= 2);
      if (!bigger) { free(buf); return NULL; }
      buf = bigger;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { free(buf); return NULL; }
    if (n == 0) break;
    len += (size_t)n;
  }
  *size = len;
  return buf;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* This process's host pid and start time (fields 1 and 22 of /proc/self/stat, the host's /proc). */
static int identity(long *pid, char *start_time, size_t size) {
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  *pid = strtol(buf, NULL, 10);
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  p += 2; /* fields after the command name start with the state, field 3 */
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return -1;
    p++;
  }
  size_t len = strcspn(p, " ");
  if (len == 0 || len >= size) return -1;
  memcpy(start_time, p, len);
  start_time[len] = '\0';
  return 0;
}

/* Writes 0 to each cgroup's cgroup.procs (':'-separated directories): moves this process there. */
static const char *join_cgroups(const char *dirs) {
  static char failed[PATH_MAX];
  const char *p = dirs;
  while (p && *p) {
    size_t len = strcspn(p, ":");
    char path[PATH_MAX];
    if (len > 0 && snprintf(path, sizeof path, "%.*s/cgroup.procs", (int)len, p) < (int)sizeof path) {
      if (write_file(path, "0") != 0) {
        snprintf(failed, sizeof failed, "%.*s", (int)len, p);
        return failed;
      }
    }
    p += len;
    if (*p == ':') p++;
  }
  return NULL;
}

/* ---- process specs -------------------------------------------------------------------------- */

struct spec {
  char **argv;
  char **env;
  long uid, gid;
  int session, ctty;
};

static int parse_spec(char *buf, size_t size, struct spec *s) {
  size_t tokens = 0;
  for (size_t i = 0; i < size; i++) if (buf[i] == '\0') tokens++;
  s->argv = calloc(tokens + 1, sizeof *s->argv);
  s->env = calloc(tokens + 1, sizeof *s->env);
  if (!s->argv || !s->env) return -1;
  s->uid = s->gid = -1;
  s->session = s->ctty = 0;
  size_t argc = 0, envc = 0;
  for (size_t i = 0; i < size;) {
    char *token = buf + i;
    size_t len = strnlen(token, size - i);
    if (i + len >= size) return -1; /* a token without its NUL */
    i += len + 1;
    switch (token[0]) {
      case 'a': s->argv[argc++] = token + 1; break;
      case 'e': s->env[envc++] = token + 1; break;
      case 'u': s->uid = strtol(token + 1, NULL, 10); break;
      case 'g': s->gid = strtol(token + 1, NULL, 10); break;
      case 's': s->session = 1; break;
      case 't': s->session = s->ctty = 1; break;
      default: return -1;
    }
  }
  return argc > 0 ? 0 : -1;
}

static const char *env_value(struct spec *s, const char *name) {
  size_t len = strlen(name);
  for (char **e = s->env; *e; e++) if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') return *e + len + 1;
  return NULL;
}

static int executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/*
 * Where the command is, as runc finds it: a path as given (relative to the working directory), a
 * bare name through the container's PATH. NULL with the error in runc's words otherwise.
 */
static const char *resolve_command(struct spec *s, char *target, size_t size, char *error, size_t esize) {
  const char *cmd = s->argv[0];
  if (strchr(cmd, '/')) {
    snprintf(target, size, "%s", cmd);
  } else {
    const char *path = env_value(s, "PATH");
    int found = 0;
    while (path && *path && !found) {
      size_t len = strcspn(path, ":");
      if (len > 0 && snprintf(target, size, "%.*s/%s", (int)len, path, cmd) < (int)size && executable_file(target)) found = 1;
      path += len;
      if (*path == ':') path++;
    }
    if (!found) {
      snprintf(error, esize, "exec: \"%s\": executable file not found in $PATH", cmd);
      return NULL;
    }
  }
  struct stat st;
  if (stat(target, &st) != 0) {
    snprintf(error, esize, "exec: \"%s\": stat %s: no such file or directory", cmd, cmd);
    return NULL;
  }
  if (!executable_file(target)) {
    snprintf(error, esize, "exec: \"%s\": permission denied", cmd);
    return NULL;
  }
  return target;
}

/* The spec's session, user and environment, then the command itself. Returns only on failure. */
static void exec_spec(struct spec *s, const char *target) {
  if (s->session) {
    if (setsid() < 0) { complain("setsid: %s", strerror(errno)); return; }
    if (s->ctty && ioctl(0, TIOCSCTTY, 0) < 0) { complain("cannot make the terminal the controlling terminal: %s", strerror(errno)); return; }
  }
  if (s->uid >= 0 || s->gid >= 0) {
    if (setgroups(0, NULL) < 0 || setgid((gid_t)(s->gid >= 0 ? s->gid : 0)) < 0 || setuid((uid_t)(s->uid >= 0 ? s->uid : 0)) < 0) {
      complain("cannot switch to user %ld, group %ld: %s", s->uid, s->gid, strerror(errno));
      return;
    }
  }
  execve(target, s->argv, s->env);
  if (errno == ENOEXEC) {
    /* A script without an interpreter line runs under the shell, as execvp does it. */
    size_t argc = 0;
    while (s->argv[argc]) argc++;
    char **argv = calloc(argc + 2, sizeof *argv);
    if (argv) {
      argv[0] = "/bin/sh";
      argv[1] = (char *)target;
      for (size_t i = 1; i < argc; i++) argv[i + 1] = s->argv[i];
      execve("/bin/sh", argv, s->env);
    }
  }
}

/* ---- mounts --------------------------------------------------------------------------------- */

/* fstab fields escape space, tab, newline and backslash as \ooo. */
static void unescape(char *field) {
  char *out = field;
  for (char *p = field; *p; p++) {
    if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
      *out++ = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
      p += 3;
    } else {
      *out++ = *p;
    }
  }
  *out = '\0';
}

static int mount_entry(const char *source, const char *target, const char *type, char *options, char *error, size_t esize) {
  unsigned long flags = 0;
  char data[4096] = "";
  size_t used = 0;
  for (char *opt = strtok(options, ","); opt; opt = strtok(NULL, ",")) {
    if (strcmp(opt, "ro") == 0) flags |= MS_RDONLY;
    else if (strcmp(opt, "rw") == 0 || strcmp(opt, "defaults") == 0) continue;
    else if (strcmp(opt, "nosuid") == 0) flags |= MS_NOSUID;
    else if (strcmp(opt, "nodev") == 0) flags |= MS_NODEV;
    else if (strcmp(opt, "noexec") == 0) flags |= MS_NOEXEC;
    else if (strcmp(opt, "bind") == 0) flags |= MS_BIND;
    else if (strcmp(opt, "rbind") == 0) flags |= MS_BIND | MS_REC;
    else {
      int n = snprintf(data + used, sizeof data - used, "%s%s", used ? "," : "", opt);
      if (n < 0 || (size_t)n >= sizeof data - used) { snprintf(error, esize, "mount: %s: options too long", target); return -1; }
      used += (size_t)n;
    }
  }
  int bind = (flags & MS_BIND) != 0;
  if (mount(source, target, bind || strcmp(type, "none") == 0 ? NULL : type, bind ? flags & (MS_BIND | MS_REC) : flags, used ? data : NULL) != 0) {
    snprintf(error, esize, "mount: %s: %s", target, strerror(errno));
    return -1;
  }
  /* A bind mount takes its flags (read-only, ...) from a remount of the new mount point only. */
  unsigned long extra = flags & ~(MS_BIND | MS_REC);
  if (bind && extra && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | extra, NULL) != 0) {
    snprintf(error, esize, "mount: %s: cannot remount %s: %s", target, (extra & MS_RDONLY) ? "read-only" : "with its options", strerror(errno));
    return -1;
  }
  return 0;
}

/* Mounts every entry of an fstab, in order (as `mount --all` does). */
static int mount_all(const char *fstab, char *error, size_t esize) {
  FILE *f = fopen(fstab, "re");
  if (!f) { snprintf(error, esize, "mount: %s: %s", fstab, strerror(errno)); return -1; }
  char *line = NULL;
  size_t cap = 0;
  int rc = 0;
  while (rc == 0 && getline(&line, &cap, f) >= 0) {
    char *fields[4];
    int n = 0;
    for (char *tok = strtok(line, " \t\n"); tok && n < 4; tok = strtok(NULL, " \t\n")) fields[n++] = tok;
    if (n == 0 || fields[0][0] == '#') continue;
    if (n < 4) { snprintf(error, esize, "mount: %s: parse error", fstab); rc = -1; break; }
    for (int i = 0; i < 4; i++) unescape(fields[i]);
    char options[4096];
    snprintf(options, sizeof options, "%s", fields[3]);
    rc = mount_entry(fields[0], fields[1], fields[2], options, error, esize);
  }
  free(line);
  fclose(f);
  return rc;
}

static int mkdir_parents(const char *path) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int is_directory(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- connect -------------------------------------------------------------------------------- */

/* One rtnetlink request being built: a header, its fixed part, then attributes (nested ones too). */
struct nl_request {
  char buf[1024];
  size_t len;
};

static void nl_begin(struct nl_request *r, int type, int flags, const void *fixed, size_t size) {
  memset(r->buf, 0, sizeof r->buf);
  struct nlmsghdr *h = (struct nlmsghdr *)r->buf;
  h->nlmsg_type = (unsigned short)type;
  h->nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
  memcpy(NLMSG_DATA(h), fixed, size);
  r->len = NLMSG_SPACE(size);
}

static struct rtattr *nl_attr(struct nl_request *r, int type, const void *data, size_t size) {
  struct rtattr *a = (struct rtattr *)(r->buf + r->len);
  a->rta_type = (unsigned short)type;
  a->rta_len = (unsigned short)RTA_LENGTH(size);
  if (size) memcpy(RTA_DATA(a), data, size);
  r->len += RTA_SPACE(size);
  return a;
}

static void nl_attr_string(struct nl_request *r, int type, const char *text) { nl_attr(r, type, text, strlen(text) + 1); }

static void nl_end(struct nl_request *r, struct rtattr *nest) { nest->rta_len = (unsigned short)(r->buf + r->len - (char *)nest); }

/* Sends the request and waits for its acknowledgement: 0, or the kernel's errno. */
static int nl_talk(int fd, struct nl_request *r) {
  static unsigned seq;
  struct nlmsghdr *h = (struct nlmsghdr *)r->buf;
  h->nlmsg_len = (unsigned)r->len;
  h->nlmsg_seq = ++seq;
  if (send(fd, r->buf, r->len, 0) < 0) return errno;
  char reply[4096];
  for (;;) {
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    for (struct nlmsghdr *m = (struct nlmsghdr *)reply; NLMSG_OK(m, (size_t)n); m = NLMSG_NEXT(m, n)) {
      if (m->nlmsg_seq != seq || m->nlmsg_type != NLMSG_ERROR) continue;
      return -((struct nlmsgerr *)NLMSG_DATA(m))->error;
    }
  }
}

static int nl_socket(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    complain("connect: cannot open a netlink socket: %s", strerror(errno));
    exit(1);
  }
  return fd;
}

static unsigned interface_index(const char *name, const char *where) {
  unsigned index = if_nametoindex(name);
  if (index == 0) {
    complain("connect: no interface %s %s: %s", name, where, strerror(errno));
    exit(1);
  }
  return index;
}

static void nl_check(int error, const char *what, const char *name) {
  if (error == 0) return;
  complain("connect: cannot %s %s: %s", what, name, strerror(error));
  exit(1);
}

/* RTM_NEWLINK on an existing interface: `up` sets IFF_UP; `master` > 0 enslaves it to that bridge. */
static int set_link(int fd, unsigned index, int up, unsigned master) {
  struct nl_request r;
  struct ifinfomsg info = {.ifi_family = AF_UNSPEC, .ifi_index = (int)index, .ifi_flags = up ? IFF_UP : 0, .ifi_change = up ? IFF_UP : 0};
  nl_begin(&r, RTM_NEWLINK, 0, &info, sizeof info);
  if (master) nl_attr(&r, IFLA_MASTER, &master, sizeof master);
  return nl_talk(fd, &r);
}

/* A sandbox's link to the pod network: the veth's host name, the bridge, the pod's address and gateway. */
struct pod_link {
  const char *veth, *bridge, *address, *gateway_text;
  struct in_addr ip, gateway;
  long prefix;
};

/* The link named by --host-veth, --bridge, --address (ip/prefix) and --gateway: 1, 0 when not asked for, -1 when wrong. */
static int parse_link(int argc, char **argv, struct pod_link *l) {
  l->veth = option(argc, argv, "host-veth");
  if (!l->veth) return 0;
  l->bridge = option(argc, argv, "bridge");
  l->address = option(argc, argv, "address");
  l->gateway_text = option(argc, argv, "gateway");
  const char *slash = l->address ? strchr(l->address, '/') : NULL;
  char ip_text[INET_ADDRSTRLEN];
  if (!l->bridge || !slash || !l->gateway_text || (size_t)(slash - l->address) >= sizeof ip_text) {
    complain("connect: missing arguments");
    return -1;
  }
  memcpy(ip_text, l->address, (size_t)(slash - l->address));
  ip_text[slash - l->address] = '\0';
  l->prefix = strtol(slash + 1, NULL, 10);
  if (inet_pton(AF_INET, ip_text, &l->ip) != 1 || inet_pton(AF_INET, l->gateway_text, &l->gateway) != 1 || l->prefix < 1 || l->prefix > 32) {
    complain("connect: not an IPv4 address: %s or %s", l->address, l->gateway_text);
    return -1;
  }
  return 1;
}

/*
 * Connects a network namespace (`pod_ns`, an open descriptor; `whose` names it in errors) to the pod
 * network, what `ip` did in two runs: a veth pair whose host end joins the bridge (hairpin on, up)
 * and whose other end is the pod's eth0 with its address and default route, loopback up. Starts in
 * the host's namespace, ends in the pod's. Idempotent for a sandbox (the address and route replace).
 * Exits 1, having said why, when an operation fails.
 */
static void connect_link(const struct pod_link *l, int pod_ns, const char *whose) {
  int fd = nl_socket();
  unsigned master = interface_index(l->bridge, "(the pod network's bridge)");
  if (if_nametoindex(l->veth) == 0) {
    struct nl_request r;
    struct ifinfomsg none = {.ifi_family = AF_UNSPEC};
    nl_begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &none, sizeof none);
    nl_attr_string(&r, IFLA_IFNAME, l->veth);
    struct rtattr *linkinfo = nl_attr(&r, IFLA_LINKINFO, NULL, 0);
    nl_attr_string(&r, IFLA_INFO_KIND, "veth");
    struct rtattr *data = nl_attr(&r, IFLA_INFO_DATA, NULL, 0);
    struct rtattr *peer = nl_attr(&r, VETH_INFO_PEER, &none, sizeof none);
    nl_attr_string(&r, IFLA_IFNAME, "eth0");
    unsigned ns = (unsigned)pod_ns;
    nl_attr(&r, IFLA_NET_NS_FD, &ns, sizeof ns);
    nl_end(&r, peer);
    nl_end(&r, data);
    nl_end(&r, linkinfo);
    int error = nl_talk(fd, &r);
    if (error) {
      complain("connect: cannot create the veth pair %s (eth0 in the network namespace of %s): %s", l->veth, whose, strerror(error));
      exit(1);
    }
  }
  unsigned index = interface_index(l->veth, "on the host");
  nl_check(set_link(fd, index, 0, master), "attach to the bridge the interface", l->veth);
  {
    struct nl_request r;
    struct ifinfomsg info = {.ifi_family = AF_UNSPEC, .ifi_index = (int)index};
    nl_begin(&r, RTM_NEWLINK, 0, &info, sizeof info);
    struct rtattr *linkinfo = nl_attr(&r, IFLA_LINKINFO, NULL, 0);
    nl_attr_string(&r, IFLA_INFO_SLAVE_KIND, "bridge");
    struct rtattr *data = nl_attr(&r, IFLA_INFO_SLAVE_DATA, NULL, 0);
    unsigned char on = 1;
    nl_attr(&r, IFLA_BRPORT_MODE, &on, sizeof on);
    nl_end(&r, data);
    nl_end(&r, linkinfo);
    nl_check(nl_talk(fd, &r), "turn hairpin mode on for", l->veth);
  }
  nl_check(set_link(fd, index, 1, 0), "bring up", l->veth);
  close(fd);

  if (setns(pod_ns, CLONE_NEWNET) != 0) {
    complain("connect: cannot join the network namespace of %s: %s", whose, strerror(errno));
    exit(1);
  }
  fd = nl_socket();
  nl_check(set_link(fd, interface_index("lo", "in the pod"), 1, 0), "bring up", "lo in the pod");
  unsigned eth0 = interface_index("eth0", "in the pod");
  {
    struct nl_request r;
    struct ifaddrmsg addr = {.ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)l->prefix, .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = eth0};
    nl_begin(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &addr, sizeof addr);
    nl_attr(&r, IFA_LOCAL, &l->ip, sizeof l->ip);
    nl_attr(&r, IFA_ADDRESS, &l->ip, sizeof l->ip);
    nl_check(nl_talk(fd, &r), "set the address of eth0 in the pod to", l->address);
  }
  nl_check(set_link(fd, eth0, 1, 0), "bring up", "eth0 in the pod");
  {
    struct nl_request r;
    struct rtmsg route = {.rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST};
    nl_begin(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &route, sizeof route);
    nl_attr(&r, RTA_GATEWAY, &l->gateway, sizeof l->gateway);
    nl_attr(&r, RTA_OIF, &eth0, sizeof eth0);
    nl_check(nl_talk(fd, &r), "add the pod's default route via", l->gateway_text);
  }
  close(fd);
}

/* ---- pause ---------------------------------------------------------------------------------- */

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) { (void)sig; }

static void detach_stdio(void) {
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2) close(null);
  }
  if (chdir("/") != 0) { /* "/" always exists */ }
}

/*
 * The small freestanding k8ts-reaper beside this program, which a pod's long-lived helpers become
 * once set up (a few KiB each instead of this program's statically linked C library); NULL when it
 * is not there, and then this program does the same itself.
 */
static const char *reaper_path(void) {
  static char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - sizeof "k8ts-reaper");
  if (n <= 0) return NULL;
  path[n] = '\0';
  char *slash = strrchr(path, '/');
  if (!slash) return NULL;
  strcpy(slash + 1, "k8ts-reaper");
  return access(path, X_OK) == 0 ? path : NULL;
}

/* Becomes `k8ts-reaper <args...>`; returns when it cannot. */
static void become_reaper(const char *reaper, char *const *args) {
  if (!reaper) return;
  char *argv[5] = {"k8ts-reaper"};
  for (int i = 0; args[i] && i < 3; i++) argv[i + 1] = args[i];
  static char *const no_env[] = {NULL};
  execve(reaper, argv, no_env);
}

/* PID 1 of a shared PID namespace: reaps every orphan until SIGTERM or SIGKILL. */
static _Noreturn void reap_forever(const char *reaper) {
  become_reaper(reaper, (char *const[]){"reap", NULL});
  sigset_t blocked, none;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGCHLD);
  sigemptyset(&none);
  signal(SIGTERM, on_term);
  signal(SIGCHLD, on_child);
  sigprocmask(SIG_BLOCK, &blocked, NULL);
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    sigsuspend(&none);
  }
}

static int run_pause(int argc, char **argv) {
  const char *hostname = option(argc, argv, "hostname");
  const char *layers = option(argc, argv, "layers");
  int flags = (option(argc, argv, "net") ? CLONE_NEWNET : 0) | (option(argc, argv, "uts") ? CLONE_NEWUTS : 0) |
              (option(argc, argv, "ipc") ? CLONE_NEWIPC : 0) | (option(argc, argv, "pid") ? CLONE_NEWPID : 0);
  if (layers && mount("k8ts-layers", layers, "tmpfs", 0, "mode=0755") != 0) {
    complain("cannot mount the containers' layer tmpfs on %s: %s", layers, strerror(errno));
    return 1;
  }
  struct pod_link link;
  int connect = parse_link(argc, argv, &link);
  if (connect < 0) return 2;
  if (connect && !(flags & CLONE_NEWNET)) {
    complain("connect: a pod link needs --net");
    return 2;
  }
  /* The pod's link is made from the host's network namespace, into the new one: the host's is kept open. */
  int host_ns = connect ? open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC) : -1;
  if (connect && host_ns < 0) {
    complain("connect: cannot open the host's network namespace: %s", strerror(errno));
    return 1;
  }
  if (flags && unshare(flags) != 0) {
    complain("unshare failed: %s", strerror(errno));
    return 1;
  }
  if (connect) {
    int pod_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (pod_ns < 0 || setns(host_ns, CLONE_NEWNET) != 0) {
      complain("connect: cannot return to the host's network namespace: %s", strerror(errno));
      return 1;
    }
    connect_link(&link, pod_ns, "the new sandbox");
    close(pod_ns);
    close(host_ns);
  }
  if ((flags & CLONE_NEWUTS) && hostname && sethostname(hostname, strlen(hostname)) != 0) {
    complain("sethostname %s failed: %s", hostname, strerror(errno));
    return 1;
  }
  const char *reaper = reaper_path();
  char line[32];
  if (flags & CLONE_NEWPID) {
    /* The first child is PID 1 of the new namespace; this process reports its host pid and leaves. */
    pid_t child = fork();
    if (child < 0) { complain("fork failed: %s", strerror(errno)); return 1; }
    if (child == 0) {
      close(REPORT_FD);
      detach_stdio();
      reap_forever(reaper);
    }
    write_all(REPORT_FD, line, (size_t)snprintf(line, sizeof line, "%ld\n", (long)child));
    return 0;
  }
  write_all(REPORT_FD, line, (size_t)snprintf(line, sizeof line, "%ld\n", (long)getpid()));
  close(REPORT_FD);
  detach_stdio();
  reap_forever(reaper);
}

/* ---- supervise ------------------------------------------------------------------------------ */

struct container {
  const char *root, *fstab, *workdir, *cgroups, *spec_file, *runtime_mnt;
  int plain;
};

static struct spec load_spec(const char *file) {
  struct spec s;
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  size_t size = 0;
  char *buf = fd >= 0 ? read_fd(fd, &size) : NULL;
  if (fd >= 0) close(fd);
  if (!buf || parse_spec(buf, size, &s) != 0) fail("cannot read %s", file);
  return s;
}

/* The container's first process: its mounts and root, its working directory, then the command. */
static _Noreturn void start_container(struct container *c) {
  char error[8192], target[PATH_MAX];
  long pid;
  char start_time[32];
  if (identity(&pid, start_time, sizeof start_time) != 0) fail("cannot read /proc/self/stat");
  if (!c->plain) {
    if (unshare(CLONE_NEWNS) != 0) fail("cannot create a mount namespace: %s", strerror(errno));
    /* Mounts made in the runtime's own namespace would be the host's; pivot_root there would move its root. */
    char own[64] = "";
    ssize_t n = readlink("/proc/self/ns/mnt", own, sizeof own - 1);
    if (n > 0) own[n] = '\0';
    if (n <= 0 || !c->runtime_mnt || !*c->runtime_mnt || strcmp(own, c->runtime_mnt) == 0)
      fail("not in a mount namespace of its own (\"%s\"): nothing mounted", own);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail("cannot make the mounts private: %s", strerror(errno));
    const char *cgroup = join_cgroups(c->cgroups);
    if (cgroup) fail("cannot join cgroup %s", cgroup);
    if (mount_all(c->fstab, error, sizeof error) != 0) fail("error mounting container filesystems: %s", error);
  }
  struct spec s = load_spec(c->spec_file);
  if (!c->plain) {
    if (chdir(c->root) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
      fail("pivot_root %s failed", c->root);
    if (!is_directory(c->workdir) && mkdir_parents(c->workdir) != 0) fail("mkdir %s: cannot create working directory", c->workdir);
    if (chdir(c->workdir) != 0) fail("chdir to cwd (\"%s\") set in config.json failed: permission denied", c->workdir);
  } else if (chdir(c->workdir) != 0) {
    fail("chdir to cwd (\"%s\") set in config.json failed: no such file or directory", c->workdir);
  }
  if (!resolve_command(&s, target, sizeof target, error, sizeof error)) fail("%s", error);
  char line[96];
  write_all(REPORT_FD, line, (size_t)snprintf(line, sizeof line, "started %ld %s\n", pid, start_time));
  close(REPORT_FD);
  dup2(STDOUT_FD, 1);
  dup2(STDERR_FD, 2);
  close(STDOUT_FD);
  close(STDERR_FD);
  exec_spec(&s, target);
  complain("exec %s: %s", target, strerror(errno));
  _exit(errno == ENOENT ? 127 : 126);
}

static const char *const NAMESPACES[] = {"ipc", "uts", "net", "pid", "mnt"};
static const int NAMESPACE_TYPES[] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS};

/* Joins the namespaces of `pid` named in `which` (a comma-separated list). */
static int enter_namespaces(const char *pid, const char *which, char *error, size_t esize) {
  int fds[5];
  for (int i = 0; i < 5; i++) {
    fds[i] = -1;
    char wanted[16];
    snprintf(wanted, sizeof wanted, ",%s,", NAMESPACES[i]);
    char list[64];
    snprintf(list, sizeof list, ",%s,", which);
    if (!strstr(list, wanted)) continue;
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/%s", pid, NAMESPACES[i]);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) { snprintf(error, esize, "cannot open %s: %s", path, strerror(errno)); return -1; }
  }
  for (int i = 0; i < 5; i++) {
    if (fds[i] < 0) continue;
    if (setns(fds[i], NAMESPACE_TYPES[i]) != 0) {
      snprintf(error, esize, "cannot join the %s namespace of process %s: %s", NAMESPACES[i], pid, strerror(errno));
      return -1;
    }
    close(fds[i]);
  }
  return 0;
}

static int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

static void record_exit(const char *file, int code) {
  char tmp[PATH_MAX], text[16];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", file) >= (int)sizeof tmp) return;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) { complain("cannot write %s: %s", tmp, strerror(errno)); return; }
  write_all(fd, text, (size_t)snprintf(text, sizeof text, "%d\n", code));
  close(fd);
  if (rename(tmp, file) != 0) complain("cannot rename %s: %s", tmp, strerror(errno));
}

static int run_supervise(int argc, char **argv) {
  const char *exit_file = option(argc, argv, "exit-file");
  const char *stdout_fifo = option(argc, argv, "stdout-fifo");
  const char *stderr_fifo = option(argc, argv, "stderr-fifo");
  struct container c = {
    .root = option(argc, argv, "root"),
    .fstab = option(argc, argv, "fstab"),
    .workdir = option(argc, argv, "workdir"),
    .cgroups = option(argc, argv, "cgroups"),
    .spec_file = option(argc, argv, "spec"),
    .runtime_mnt = option(argc, argv, "runtime-mnt"),
    .plain = option(argc, argv, "plain") != NULL,
  };
  const char *infra = option(argc, argv, "infra");
  const char *join = option(argc, argv, "join");
  int new_pid_namespace = option(argc, argv, "new-pid-namespace") != NULL;
  if (!exit_file || !stdout_fifo || !stderr_fifo || !c.workdir || !c.spec_file || (!c.plain && (!c.root || !c.fstab || !c.runtime_mnt))) {
    complain("supervise: missing arguments");
    return 2;
  }
  /* Read ends of the log FIFOs: the container's writes neither fail nor get SIGPIPE while no agent reads. */
  int out = open(stdout_fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  int err = open(stderr_fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (out < 0 || err < 0) {
    complain("cannot open the log FIFOs: %s", strerror(errno));
    return 1;
  }
  char error[1024];
  if (!c.plain && infra && join && *join && enter_namespaces(infra, join, error, sizeof error) != 0) {
    record_exit(exit_file, 128);
    fail("%s", error);
  }
  if (!c.plain && new_pid_namespace && unshare(CLONE_NEWPID) != 0) {
    record_exit(exit_file, 128);
    fail("cannot create a PID namespace: %s", strerror(errno));
  }
  pid_t child = fork();
  if (child < 0) {
    record_exit(exit_file, 128);
    fail("fork failed: %s", strerror(errno));
  }
  if (child == 0) start_container(&c);
  /*
   * The write ends of the container's stdout and stderr stay open here until the exit is recorded:
   * the agent's reading of them ends only after the exit file exists.
   */
  close(REPORT_FD);
  /* The log FIFOs' read ends stay open in the reaper too (they are close-on-exec for the container's sake). */
  if (fcntl(out, F_SETFD, 0) == 0 && fcntl(err, F_SETFD, 0) == 0) {
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long)child);
    become_reaper(reaper_path(), (char *const[]){"wait", pid, (char *)exit_file, NULL});
  }
  int status;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) { status = 1 << 8; break; }
  }
  record_exit(exit_file, exit_code(status));
  return 0;
}

/* ---- exec ----------------------------------------------------------------------------------- */

/* Enters a container (namespaces, root, working directory of its main process) and runs a command there. */
static int run_exec(int argc, char **argv) {
  const char *target_pid = option(argc, argv, "target");
  const char *join = option(argc, argv, "join");
  const char *cgroups = option(argc, argv, "cgroups");
  size_t size = 0;
  char *buf = read_fd(REPORT_FD, &size);
  close(REPORT_FD);
  struct spec s;
  if (!buf || parse_spec(buf, size, &s) != 0) {
    complain("exec: cannot read the process spec");
    return 126;
  }
  if (cgroups) join_cgroups(cgroups); /* as the container's own processes, where it can */
  if (target_pid) {
    char path[64], error[1024];
    snprintf(path, sizeof path, "/proc/%s/root", target_pid);
    int root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%s/cwd", target_pid);
    int cwd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0 || cwd < 0) {
      complain("exec: cannot open the root and working directory of process %s: %s", target_pid, strerror(errno));
      return 126;
    }
    if (enter_namespaces(target_pid, join ? join : "", error, sizeof error) != 0) {
      complain("exec: %s", error);
      return 126;
    }
    if (fchdir(root) != 0 || chroot(".") != 0 || fchdir(cwd) != 0) {
      complain("exec: cannot enter the container's root: %s", strerror(errno));
      return 126;
    }
    close(root);
    close(cwd);
    /* A joined PID namespace holds only the children of this process. */
    if (join && strstr(join, "pid")) {
      pid_t child = fork();
      if (child < 0) { complain("exec: fork failed: %s", strerror(errno)); return 126; }
      if (child > 0) {
        int status;
        while (waitpid(child, &status, 0) < 0) if (errno != EINTR) return 126;
        return exit_code(status);
      }
    }
  }
  char target[PATH_MAX], error[1024];
  if (!resolve_command(&s, target, sizeof target, error, sizeof error)) {
    complain("%s", error);
    _exit(strstr(error, "permission denied") ? 126 : 127);
  }
  exec_spec(&s, target);
  complain("exec %s: %s", target, strerror(errno));
  _exit(errno == ENOENT ? 127 : 126);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "pause") == 0) return run_pause(argc, argv);
  if (strcmp(mode, "supervise") == 0) return run_supervise(argc, argv);
  if (strcmp(mode, "exec") == 0) return run_exec(argc, argv);
  complain("usage: k8ts-shim pause|supervise|exec [--option=value...]");
  return 2;
}
