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

/**
 * The container's first process, in its new mount namespace (and PID 1 of its PID namespace when it
 * has one): joins the container's cgroups, mounts the root filesystem and the container's mounts from
 * an fstab, pivots into it, checks that the command can be executed (StartError otherwise, in runc's
 * words), reports its host pid and start time on fd 3 and replaces itself with the command via \`env -i\`.
 * Args: new root, fstab, working dir, cgroup dirs (':'-separated), container PATH, argv[0], and a
 * file (root's only) that sets the final argv (\`env -i -- NAME=VALUE... [setpriv ...] command args\`).
 * The container's stdout and stderr arrive on fds 4 and 5.
 */
export const SETUP_SCRIPT = `
fail() { echo "failed $1" >&3; exit 128; }
root=$1 fstab=$2 wd=$3 cgroups=$4 path=$5 cmd=$6 exec_file=$7
shift 7
# The host pid and start time (fields 1 and 22; the command name, field 2, is "sh").
read pid f2 f3 f4 f5 f6 f7 f8 f9 f10 f11 f12 f13 f14 f15 f16 f17 f18 f19 f20 f21 starttime rest < /proc/self/stat
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
case $cmd in
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
