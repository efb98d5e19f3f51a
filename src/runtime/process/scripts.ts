// The three tiny POSIX shell programs the process runtime leaves behind on the host. They run with a
// minimal environment (PATH only): the container's own environment is applied by `env -i` at the
// very last exec, so that no shell can add or drop variables.

/**
 * The infra ("pause") process of a sandbox, started by `unshare` in the sandbox's new namespaces.
 * Args: hostname, whether to set it (1/0), whether to reap orphans as PID 1 (1/0).
 * Reports its host pid on fd 3.
 */
export const PAUSE_SCRIPT = `
[ "$2" = 1 ] && echo "$1" > /proc/sys/kernel/hostname
read pid rest < /proc/self/stat
echo "$pid" >&3
exec 3>&- </dev/null >/dev/null 2>&1
if [ "$3" = 1 ]; then
  trap 'exit 0' TERM
  while :; do sleep infinity & wait; done
fi
exec sleep infinity
`;

/**
 * The per-container supervisor: outlives the node agent, waits for the container and records its
 * exit code in a file (written whole, by rename), which is how the runtime learns of exits after a
 * restart. It holds read ends of the log FIFOs so that the container's writes neither fail nor get
 * SIGPIPE while no agent reads them.
 * Args: exit file, shim log, stdout FIFO, stderr FIFO, then the command.
 */
export const SUPERVISOR_SCRIPT = `
exec 6<"$3" 7<"$4"
run() { shift 4; "$@" 6<&- 7<&-; }
run "$@"
code=$?
# util-linux unshare cannot re-raise SIGKILL on itself: it says so and exits 1 instead of 137.
if [ "$code" = 1 ] && grep -q 'sigprocmask unblock failed' "$2" 2>/dev/null; then code=137; fi
echo "$code" > "$1.tmp" && exec mv -f "$1.tmp" "$1"
`;

/** The host pid and start time (fields 1 and 22 of /proc/self/stat; the command name, field 2, is "sh"). */
const READ_IDENTITY = `read pid f2 f3 f4 f5 f6 f7 f8 f9 f10 f11 f12 f13 f14 f15 f16 f17 f18 f19 f20 f21 starttime rest < /proc/self/stat`;

/**
 * Checks that the command can be executed (StartError otherwise, in runc's words), reports the pid
 * and start time on fd 3 and replaces the shell with the command, stdout and stderr from fds 4 and 5.
 */
const COMMAND_CHECK_AND_EXEC = `case $cmd in
  /*) target=$cmd ;;
  */*) target=$wd/$cmd ;;
  *)
    target=
    IFS=:
    for dir in $path; do
      [ -n "$dir" ] && [ -f "$dir/$cmd" ] && [ -x "$dir/$cmd" ] && { target=$dir/$cmd; break; }
    done
    unset IFS
    [ -n "$target" ] || fail "exec: \\"$cmd\\": executable file not found in \\$PATH"
    ;;
esac
[ -e "$target" ] || fail "exec: \\"$cmd\\": stat $cmd: no such file or directory"
[ -f "$target" ] && [ -x "$target" ] || fail "exec: \\"$cmd\\": permission denied"
echo "started $pid $starttime" >&3
exec 3>&- 1>&4 2>&5 4>&- 5>&-
exec "$@"
`;

/**
 * The container's first process, in its new mount namespace (and PID 1 of its PID namespace when it
 * has one): joins the container's cgroups, mounts the root filesystem and the container's mounts from
 * an fstab, pivots into it, checks that the command can be executed (StartError otherwise, in runc's
 * words), reports its host pid and start time on fd 3 and replaces itself with the command via \`env -i\`.
 * Args: new root, fstab, working dir, cgroup dirs (':'-separated), container PATH, argv[0], a
 * file (root's only) that sets the final argv (\`env -i -- NAME=VALUE... [setpriv ...] command args\`),
 * and the runtime's own mount namespace (\`readlink /proc/self/ns/mnt\`): nothing is mounted, nor
 * the root pivoted, unless the script runs in another one (mounts made in the runtime's namespace
 * would be the host's, and pivot_root there would move the host's root).
 * The container's stdout and stderr arrive on fds 4 and 5.
 */
export const SETUP_SCRIPT = `
fail() { echo "failed $1" >&3; exit 128; }
root=$1 fstab=$2 wd=$3 cgroups=$4 path=$5 cmd=$6 exec_file=$7 runtime_mnt=$8
shift 8
own_mnt=$(readlink /proc/self/ns/mnt) && [ -n "$own_mnt" ] && [ -n "$runtime_mnt" ] && [ "$own_mnt" != "$runtime_mnt" ] ||
  fail "not in a mount namespace of its own (\\"$own_mnt\\"): nothing mounted"
${READ_IDENTITY}
IFS=:
for dir in $cgroups; do echo 0 > "$dir/cgroup.procs" || fail "cannot join cgroup $dir"; done
unset IFS
out=$(mount --all --fstab "$fstab" 2>&1) || fail "error mounting container filesystems: $out"
NL='
'
. "$exec_file" || fail "cannot read $exec_file"
cd "$root" && pivot_root . . && umount -l . && cd / || fail "pivot_root $root failed"
[ -d "$wd" ] || mkdir -p "$wd" 2>/dev/null || fail "mkdir $wd: cannot create working directory"
cd "$wd" || fail "chdir to cwd (\\"$wd\\") set in config.json failed: permission denied"
${COMMAND_CHECK_AND_EXEC}`;

/**
 * A container as a plain host process (a runtime without root): no mounts, no pivot. The working
 * directory must exist on the host (it is not created there).
 * Args: working dir, container PATH, argv[0], the file setting the final argv.
 */
export const PLAIN_SETUP_SCRIPT = `
fail() { echo "failed $1" >&3; exit 128; }
wd=$1 path=$2 cmd=$3 exec_file=$4
shift 4
${READ_IDENTITY}
NL='
'
. "$exec_file" || fail "cannot read $exec_file"
cd "$wd" 2>/dev/null || fail "chdir to cwd (\\"$wd\\") set in config.json failed: no such file or directory"
${COMMAND_CHECK_AND_EXEC}`;
