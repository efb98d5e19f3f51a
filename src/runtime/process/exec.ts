// Running a command inside a running container: it joins the container's cgroups, then enters the
// container's namespaces, root and working directory (those of its main process) and gets the
// container's environment alone (the native helper's exec mode; else nsenter and `env -i`). Its own
// process group lets a timeout kill it together with what it started. Commands without streams
// (probes, hooks) are started by the exec launcher when there is one.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { HOST_PATH } from '../../network/pod-network/host-command.js';
import type { Writable } from 'node:stream';
import type { ExecResult, StreamOptions } from '../types.js';
import type { PidNamespaceMode } from './records.js';
import { execLauncher, type Launcher, type LaunchRequest } from './launcher.js';
import { shimBinary, specTokens } from './shim.js';
import { DEFINE_NL, execScript, type ProcessSpec } from './spec.js';
import { DEFAULT_TERMINAL_SIZE, Terminal, TERMINAL_PREFIX, withoutTerminalMasters } from './terminal.js';

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
  /** A plain host process (a runtime without root): run beside it, in its working directory. */
  plain: boolean;
  mainPid: number;
  pidNamespace: PidNamespaceMode;
  spec: ProcessSpec;
  cgroupDirs: string[];
}

/** The helper that enters the container, its working directory, and what it reads on fd 3. */
function execRequest(target: ExecTarget, command: string[], withTerminal: boolean): LaunchRequest {
  const shim = shimBinary();
  const [file, ...args] = shim ? shimExec(shim, target) : shellExec(target, command);
  return {
    file: file!,
    args,
    env: { PATH: HOST_PATH },
    cwd: target.plain ? target.spec.workingDir : '/',
    setup: shim
      ? specTokens(target.spec, command, withTerminal ? 'terminal' : 'inherit')
      : Buffer.from(execScript(target.spec, withTerminal ? TERMINAL_PREFIX : [], '"$@"')),
  };
}

/** With a terminal, the command gets it as stdin, stdout and stderr, and as its controlling terminal. */
function spawnInContainer(target: ExecTarget, command: string[], terminal?: Terminal): ChildProcess {
  const request = execRequest(target, command, terminal !== undefined);
  const child = spawn(request.file, request.args, {
    detached: true,
    stdio: withoutTerminalMasters(terminal ? [terminal.slave, terminal.slave, terminal.slave, 'pipe'] : ['pipe', 'pipe', 'pipe', 'pipe'] satisfies StdioOptions),
    env: request.env,
    cwd: request.cwd,
  });
  terminal?.releaseSlave();
  // A spawn that failed (EMFILE, EAGAIN) may have no pipes: its error event, which callers handle, says why.
  child.on('error', () => undefined);
  const setup = child.stdio?.[3] as Writable | null | undefined;
  setup?.on('error', () => undefined);
  setup?.end(request.setup);
  return child;
}

/** The command's spec (environment, user, argv) arrives on fd 3, never on a command line. */
function shimExec(shim: string, target: ExecTarget): string[] {
  if (target.plain) return [shim, 'exec'];
  const join = ['mnt', 'uts', 'ipc', 'net', ...(target.pidNamespace === 'host' ? [] : ['pid'])];
  return [shim, 'exec', `--target=${target.mainPid}`, `--join=${join.join(',')}`, `--cgroups=${target.cgroupDirs.join(':')}`];
}

function shellExec(target: ExecTarget, command: string[]): string[] {
  const nsenter = [
    'nsenter',
    `--target=${target.mainPid}`,
    '--mount', '--uts', '--ipc', '--net',
    ...(target.pidNamespace === 'host' ? [] : ['--pid']),
    '--root', '--wd', '--',
  ];
  const enter = ['/bin/sh', '-c', ENTER, 'k8ts-exec', ...command];
  return target.plain ? enter : ['/bin/sh', '-c', JOIN_CGROUPS, 'k8ts-exec', target.cgroupDirs.join(':'), ...nsenter, ...enter];
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

/** Through the launcher when there is one (no fork of this process), else spawned from here. */
export function execSync(target: ExecTarget, command: string[], timeoutSeconds: number): Promise<ExecResult> {
  const launcher = execLauncher();
  return launcher ? launchedExec(launcher, target, command, timeoutSeconds) : spawnedExec(target, command, timeoutSeconds);
}

async function launchedExec(launcher: Launcher, target: ExecTarget, command: string[], timeoutSeconds: number): Promise<ExecResult> {
  const launched = launcher.launch(execRequest(target, command, false));
  let timedOut = false;
  const timer = timeoutSeconds > 0 ? setTimeout(() => {
    timedOut = true;
    launched.kill();
  }, timeoutSeconds * 1000) : undefined;
  try {
    const result = await launched.result;
    return { ...result, timedOut };
  } finally {
    clearTimeout(timer);
  }
}

function spawnedExec(target: ExecTarget, command: string[], timeoutSeconds: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawnInContainer(target, command);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = timeoutSeconds > 0 ? setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutSeconds * 1000) : undefined;
    child.stdin?.end();
    child.stdout?.on('data', (c: Buffer) => stdout.push(c));
    child.stderr?.on('data', (c: Buffer) => stderr.push(c));
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
  if (streams.tty) return execInTerminal(target, command, streams);
  return new Promise((resolve, reject) => {
    const child = spawnInContainer(target, command);
    if (streams.stdin && child.stdin) streams.stdin.pipe(child.stdin);
    else child.stdin?.end();
    child.stdin?.on('error', () => undefined);
    child.stdout?.on('data', (c: Buffer) => streams.stdout?.write(c));
    child.stderr?.on('data', (c: Buffer) => streams.stderr?.write(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (child.stdin) streams.stdin?.unpipe(child.stdin);
      resolve(exitCodeOf(code, signal));
    });
  });
}

/** How long output may keep coming after an exec'd command ended (a background child holding the terminal). */
const TERMINAL_DRAIN_MS = 2000;

/** An exec with a terminal: one stream out (stderr is the terminal too), input and sizes in. */
async function execInTerminal(target: ExecTarget, command: string[], streams: StreamOptions): Promise<number> {
  const terminal = new Terminal(DEFAULT_TERMINAL_SIZE);
  terminal.output.on('data', (c: Buffer) => streams.stdout?.write(c));
  const outputEnded = new Promise<void>((resolve) => terminal.output.once('end', resolve));
  const onInput = (chunk: Buffer) => terminal.write(chunk);
  streams.stdin?.on('data', onInput);
  // A terminal's input ends only when its client went away: hang up, as a closed terminal window does.
  const hangUp = () => terminal.close();
  streams.stdin?.once('end', hangUp);
  let resizing = true;
  void (async () => {
    if (!streams.resize) return;
    for await (const size of streams.resize) {
      if (!resizing) break;
      terminal.resize(size);
    }
  })().catch(() => undefined);
  try {
    const child = spawnInContainer(target, command, terminal);
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(exitCodeOf(code, signal)));
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([outputEnded, new Promise<void>((resolve) => (timer = setTimeout(resolve, TERMINAL_DRAIN_MS)))]);
    clearTimeout(timer);
    return exitCode;
  } finally {
    resizing = false;
    streams.stdin?.off('data', onInput);
    streams.stdin?.off('end', hangUp);
    terminal.close();
  }
}
