// Running a command inside a running container: it joins the container's cgroups, then nsenter
// takes it into the container's namespaces, root and working directory (those of its main process),
// and `env -i` gives it the container's environment. Its own process group lets a timeout kill it
// together with what it started.

import { spawn, type ChildProcess } from 'node:child_process';
import { HOST_PATH } from '../../network/pod-network/host-command.js';
import type { Writable } from 'node:stream';
import type { ExecResult, StreamOptions } from '../types.js';
import type { PidNamespaceMode } from './records.js';
import { DEFINE_NL, execScript, type ProcessSpec } from './spec.js';

// Inside the container: the container's environment and user arrive on fd 3 (never on a command line).
const ENTER = `${DEFINE_NL}; IFS= read -r line <&3 && exec 3<&- && eval "$line" && exec "$@"`;

const JOIN_CGROUPS = `
IFS=:
for dir in $1; do echo 0 > "$dir/cgroup.procs"; done
unset IFS
shift
exec "$@"
`;

export interface ExecTarget {
  mainPid: number;
  pidNamespace: PidNamespaceMode;
  spec: ProcessSpec;
  cgroupDirs: string[];
}

function spawnInContainer(target: ExecTarget, command: string[]): ChildProcess {
  const nsenter = [
    'nsenter',
    `--target=${target.mainPid}`,
    '--mount', '--uts', '--ipc', '--net',
    ...(target.pidNamespace === 'host' ? [] : ['--pid']),
    '--root', '--wd', '--',
  ];
  const child = spawn('/bin/sh', ['-c', JOIN_CGROUPS, 'k8ts-exec', target.cgroupDirs.join(':'), ...nsenter, '/bin/sh', '-c', ENTER, 'k8ts-exec', ...command], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: { PATH: HOST_PATH },
    cwd: '/',
  });
  const setup = child.stdio[3] as Writable;
  setup.on('error', () => undefined);
  setup.end(execScript(target.spec, [], '"$@"'));
  return child;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signals: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1, SIGQUIT: 3, SIGABRT: 6, SIGSEGV: 11, SIGPIPE: 13 };
  return 128 + (signal ? signals[signal] ?? 0 : 0);
}

export function execSync(target: ExecTarget, command: string[], timeoutSeconds: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawnInContainer(target, command);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = timeoutSeconds > 0 ? setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutSeconds * 1000) : undefined;
    child.stdin!.end();
    child.stdout!.on('data', (c: Buffer) => stdout.push(c));
    child.stderr!.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: exitCodeOf(code, signal), stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), timedOut });
    });
  });
}

export function execStreaming(target: ExecTarget, command: string[], streams: StreamOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawnInContainer(target, command);
    if (streams.stdin) streams.stdin.pipe(child.stdin!);
    else child.stdin!.end();
    child.stdin!.on('error', () => undefined);
    child.stdout!.on('data', (c: Buffer) => streams.stdout?.write(c));
    child.stderr!.on('data', (c: Buffer) => streams.stderr?.write(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      streams.stdin?.unpipe(child.stdin!);
      resolve(exitCodeOf(code, signal));
    });
  });
}
