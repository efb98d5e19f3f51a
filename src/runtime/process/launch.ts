// Starting the long-lived processes of the runtime: a sandbox's infra process and a container's
// supervisor. Both are detached (their own session, not children the agent must stay alive for)
// and report on fd 3 once they are set up.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { HOST_PATH, run } from '../../network/pod-network/host-command.js';
import { identify, type ProcessIdentity } from './procfs.js';
import type { PidNamespaceMode, SandboxNamespaces } from './records.js';
import { PAUSE_SCRIPT, PLAIN_SETUP_SCRIPT, SETUP_SCRIPT, SUPERVISOR_SCRIPT } from './scripts.js';
import { shimBinary } from './shim.js';
import { withoutTerminalMasters } from './terminal.js';

/** The first line a process writes on its report pipe, or undefined when the pipe closed first. */
export function firstLine(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const finish = (line: string | undefined) => {
      stream.removeAllListeners('data');
      stream.destroy();
      resolve(line);
    };
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) finish(text.slice(0, nl));
    });
    stream.on('end', () => finish(undefined));
    stream.on('close', () => finish(undefined));
    stream.on('error', () => finish(undefined));
  });
}

export interface LaunchedInfra {
  infra: ProcessIdentity;
  launcher?: ProcessIdentity;
}

/**
 * Starts the process holding a sandbox's new namespaces (with its hostname set in its UTS namespace).
 * `layers` gets a tmpfs for the containers' writable layers: memory that is charged to them and
 * vanishes with the sandbox (mounted by the native helper itself, before it unshares). `link`: the
 * pod network link the native helper sets up in the new network namespace before it reports.
 */
export async function launchInfra(namespaces: SandboxNamespaces, hostname: string, layers?: string, link?: string[]): Promise<LaunchedInfra> {
  const shim = shimBinary();
  if (layers && !shim) await run('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'k8ts-layers', layers]);
  if (link && !shim) throw new Error('a sandbox connects itself to the pod network only with the native helper');
  const [command, ...args] = shim ? [...shimPause(shim, namespaces, hostname, layers), ...(link ?? [])] : shellPause(namespaces, hostname);
  const child = spawn(
    command!,
    args,
    { detached: true, stdio: withoutTerminalMasters(['ignore', 'ignore', 'pipe', 'pipe']), env: { PATH: HOST_PATH }, cwd: '/' },
  );
  let spawnError = '';
  child.once('error', (err) => (spawnError = err.message));
  const stderr = collect(child.stderr!);
  const line = await firstLine(child.stdio[3] as Readable);
  const pid = Number(line);
  let infra;
  try {
    infra = line && Number.isInteger(pid) ? identify(pid) : undefined;
  } catch (err) {
    // Reported a moment ago, so the pid is still the infra process's.
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    child.kill('SIGKILL');
    throw err;
  }
  if (!infra) {
    child.kill('SIGKILL');
    throw new Error(`failed to start the sandbox's infra process: ${spawnError || (await stderr()).trim() || 'it exited'}`);
  }
  child.stderr!.destroy();
  child.unref();
  // The helper's first process leaves once PID 1 of the new PID namespace runs; unshare stays as its parent.
  const launcher = namespaces.pid && !shim && child.pid !== undefined ? identify(child.pid) : undefined;
  return { infra, launcher };
}

function shellPause(namespaces: SandboxNamespaces, hostname: string): string[] {
  const flags = [
    ...(namespaces.net ? ['--net'] : []),
    ...(namespaces.uts ? ['--uts'] : []),
    ...(namespaces.ipc ? ['--ipc'] : []),
    ...(namespaces.pid ? ['--pid', '--fork'] : []),
  ];
  const pause = ['/bin/sh', '-c', PAUSE_SCRIPT, 'k8ts-pause', hostname, namespaces.uts ? '1' : '0', namespaces.pid ? '1' : '0'];
  return flags.length > 0 ? ['unshare', ...flags, '--', ...pause] : pause;
}

function shimPause(shim: string, namespaces: SandboxNamespaces, hostname: string, layers: string | undefined): string[] {
  return [
    shim, 'pause', `--hostname=${hostname}`,
    ...(['net', 'uts', 'ipc', 'pid'] as const).filter((ns) => namespaces[ns]).map((ns) => `--${ns}`),
    ...(layers ? [`--layers=${layers}`] : []),
  ];
}

export interface ContainerLaunch {
  /** A plain host process: no namespaces to join or create, no root filesystem (a runtime without root). */
  plain: boolean;
  infraPid: number;
  /** Namespaces of the infra process to join. */
  join: { net: boolean; uts: boolean; ipc: boolean };
  pidNamespace: PidNamespaceMode;
  newRoot: string;
  fstab: string;
  workingDir: string;
  cgroupDirs: string[];
  /** The container's PATH and command, for checking that the command can be executed. */
  containerPath: string;
  command: string;
  /** Sets the final argv when sourced (see execScript): the shell helpers' spec. */
  execFile: string;
  /** The process spec as the native helper reads it (see specTokens). */
  specFile: string;
  exitFile: string;
  /** Where the runtime's helpers write their own complaints (never the container's log). */
  shimLog: string;
  shimLogFd: number;
  /** The log FIFOs the supervisor holds open (`/dev/null` for a container on a terminal). */
  fifos: { stdout: string; stderr: string };
  stdio: { stdin: number | 'ignore'; stdout: number; stderr: number };
}

export type LaunchReport = { started: ProcessIdentity } | { failed: string };

export interface LaunchedContainer {
  child: ChildProcess;
  supervisor: ProcessIdentity | undefined;
  /** Resolves once the container's command was executed, or its start failed. */
  report: Promise<LaunchReport>;
}

/** Starts a container's supervisor, which starts the container in the sandbox's namespaces. */
export function launchContainer(l: ContainerLaunch): LaunchedContainer {
  const shim = shimBinary();
  const [command, ...args] = shim ? shimSupervisor(shim, l) : shellSupervisor(l);
  const stdio: StdioOptions = [l.stdio.stdin, l.shimLogFd, l.shimLogFd, 'pipe', l.stdio.stdout, l.stdio.stderr];
  const child = spawn(command!, args, { detached: true, stdio: withoutTerminalMasters(stdio), env: { PATH: HOST_PATH }, cwd: '/' });
  child.once('error', () => undefined); // seen as a launch that never reported
  child.unref();
  let supervisor;
  try {
    supervisor = child.pid !== undefined ? identify(child.pid) : undefined;
  } catch (err) {
    // Not identified (out of descriptors): ended rather than left running unrecorded.
    child.kill('SIGKILL');
    throw err;
  }
  const report = firstLine(child.stdio[3] as Readable).then((line): LaunchReport => {
    const started = /^started (\d+) (\d+)$/.exec(line ?? '');
    if (started) return { started: { pid: Number(started[1]), startTime: started[2] } };
    if (line?.startsWith('failed ')) return { failed: line.slice('failed '.length) };
    return { failed: 'the container exited before it started' };
  });
  return { child, supervisor, report };
}

function shellSupervisor(l: ContainerLaunch): string[] {
  const enter = [
    ...(l.join.net ? ['--net'] : []),
    ...(l.join.uts ? ['--uts'] : []),
    ...(l.join.ipc ? ['--ipc'] : []),
    ...(l.pidNamespace === 'pod' ? ['--pid'] : []),
  ];
  const nsenter = enter.length > 0 && !l.plain ? ['nsenter', `--target=${l.infraPid}`, ...enter, '--'] : [];
  const unshare = l.plain ? [] : ['unshare', '--mount', '--propagation', 'private', ...(l.pidNamespace === 'container' ? ['--pid', '--fork'] : []), '--'];
  const setup = l.plain
    ? ['/bin/sh', '-c', PLAIN_SETUP_SCRIPT, 'k8ts-setup', l.workingDir, l.containerPath, l.command, l.execFile]
    : ['/bin/sh', '-c', SETUP_SCRIPT, 'k8ts-setup', l.newRoot, l.fstab, l.workingDir, l.cgroupDirs.join(':'), l.containerPath, l.command, l.execFile, ownMountNamespace()];
  return ['/bin/sh', '-c', SUPERVISOR_SCRIPT, 'k8ts-supervisor', l.exitFile, l.shimLog, l.fifos.stdout, l.fifos.stderr, ...nsenter, ...unshare, ...setup];
}

function shimSupervisor(shim: string, l: ContainerLaunch): string[] {
  const join = [
    ...(l.join.net ? ['net'] : []),
    ...(l.join.uts ? ['uts'] : []),
    ...(l.join.ipc ? ['ipc'] : []),
    ...(l.pidNamespace === 'pod' ? ['pid'] : []),
  ];
  return [
    shim, 'supervise',
    `--exit-file=${l.exitFile}`,
    `--stdout-fifo=${l.fifos.stdout}`,
    `--stderr-fifo=${l.fifos.stderr}`,
    `--spec=${l.specFile}`,
    `--workdir=${l.workingDir}`,
    ...(l.plain
      ? ['--plain']
      : [
          `--root=${l.newRoot}`,
          `--fstab=${l.fstab}`,
          `--cgroups=${l.cgroupDirs.join(':')}`,
          `--runtime-mnt=${ownMountNamespace()}`,
          ...(join.length > 0 ? [`--infra=${l.infraPid}`, `--join=${join.join(',')}`] : []),
          ...(l.pidNamespace === 'container' ? ['--new-pid-namespace'] : []),
        ]),
  ];
}

/** This process's mount namespace (`mnt:[4026531840]`), which a container's setup must not mount in. */
export function ownMountNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/mnt');
  } catch {
    return '';
  }
}

function collect(stream: Readable): () => Promise<string> {
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return () => new Promise((resolve) => setImmediate(() => resolve(text)));
}
