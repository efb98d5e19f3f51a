// Starting the long-lived processes of the runtime: a sandbox's infra process and a container's
// supervisor. Both are detached (their own session, not children the agent must stay alive for)
// and report on fd 3 once they are set up.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import { HOST_PATH } from '../../network/pod-network/host-command.js';
import { identify, type ProcessIdentity } from './procfs.js';
import type { PidNamespaceMode, SandboxNamespaces } from './records.js';
import { PAUSE_SCRIPT, SETUP_SCRIPT, SUPERVISOR_SCRIPT } from './scripts.js';

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

/** Starts the process holding a sandbox's new namespaces (with its hostname set in its UTS namespace). */
export async function launchInfra(namespaces: SandboxNamespaces, hostname: string): Promise<LaunchedInfra> {
  const flags = [
    ...(namespaces.net ? ['--net'] : []),
    ...(namespaces.uts ? ['--uts'] : []),
    ...(namespaces.ipc ? ['--ipc'] : []),
    ...(namespaces.pid ? ['--pid', '--fork'] : []),
  ];
  const child = spawn(
    'unshare',
    [...flags, '--', '/bin/sh', '-c', PAUSE_SCRIPT, 'k8ts-pause', hostname, namespaces.uts ? '1' : '0', namespaces.pid ? '1' : '0'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { PATH: HOST_PATH }, cwd: '/' },
  );
  let spawnError = '';
  child.once('error', (err) => (spawnError = err.message));
  const stderr = collect(child.stderr!);
  const line = await firstLine(child.stdio[3] as Readable);
  const pid = Number(line);
  const infra = line && Number.isInteger(pid) ? identify(pid) : undefined;
  if (!infra) {
    child.kill('SIGKILL');
    throw new Error(`failed to start the sandbox's infra process: ${spawnError || (await stderr()).trim() || 'it exited'}`);
  }
  child.stderr!.destroy();
  child.unref();
  const launcher = namespaces.pid && child.pid !== undefined ? identify(child.pid) : undefined;
  return { infra, launcher };
}

export interface ContainerLaunch {
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
  /** Sets the final argv when sourced (see execScript). */
  execFile: string;
  exitFile: string;
  /** Where the runtime's helpers write their own complaints (never the container's log). */
  shimLog: string;
  shimLogFd: number;
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
  const enter = [
    ...(l.join.net ? ['--net'] : []),
    ...(l.join.uts ? ['--uts'] : []),
    ...(l.join.ipc ? ['--ipc'] : []),
    ...(l.pidNamespace === 'pod' ? ['--pid'] : []),
  ];
  const nsenter = enter.length > 0 ? ['nsenter', `--target=${l.infraPid}`, ...enter, '--'] : [];
  const unshare = ['unshare', '--mount', '--propagation', 'private', ...(l.pidNamespace === 'container' ? ['--pid', '--fork'] : []), '--'];
  const setup = ['/bin/sh', '-c', SETUP_SCRIPT, 'k8ts-setup', l.newRoot, l.fstab, l.workingDir, l.cgroupDirs.join(':'), l.containerPath, l.command, l.execFile];
  const stdio: StdioOptions = [l.stdio.stdin, l.shimLogFd, l.shimLogFd, 'pipe', l.stdio.stdout, l.stdio.stderr];
  const child = spawn(
    '/bin/sh',
    ['-c', SUPERVISOR_SCRIPT, 'k8ts-supervisor', l.exitFile, l.shimLog, l.fifos.stdout, l.fifos.stderr, ...nsenter, ...unshare, ...setup],
    { detached: true, stdio, env: { PATH: HOST_PATH }, cwd: '/' },
  );
  child.once('error', () => undefined); // seen as a launch that never reported
  child.unref();
  const supervisor = child.pid !== undefined ? identify(child.pid) : undefined;
  const report = firstLine(child.stdio[3] as Readable).then((line): LaunchReport => {
    const started = /^started (\d+) (\d+)$/.exec(line ?? '');
    if (started) return { started: { pid: Number(started[1]), startTime: started[2] } };
    if (line?.startsWith('failed ')) return { failed: line.slice('failed '.length) };
    return { failed: 'the container exited before it started' };
  });
  return { child, supervisor, report };
}

function collect(stream: Readable): () => Promise<string> {
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return () => new Promise((resolve) => setImmediate(() => resolve(text)));
}
