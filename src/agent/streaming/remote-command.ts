// exec and attach, independent of the transport: which streams the request asks for, checking the
// target container, running the command or attaching, and the resulting status.

import type { Readable, Writable } from 'node:stream';
import type { Runtime, TerminalSize } from '../../runtime/types.js';
import { exitCodeStatus, internalErrorStatus, successStatus, type CommandStatus } from './status.js';
import { UpgradeError } from './upgrade.js';

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The API server forwards kubectl's `true`; the kubelet's own URLs say `1`. */
function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === '1' || v === 'true';
}

export function remoteCommandOptions(query: URLSearchParams): RemoteCommandOptions {
  const tty = flag(query, 'tty');
  const options = { stdin: flag(query, 'input') || flag(query, 'stdin'), stdout: flag(query, 'output') || flag(query, 'stdout'), stderr: !tty && (flag(query, 'error') || flag(query, 'stderr')), tty };
  if (!options.stdin && !options.stdout && !options.stderr) throw new UpgradeError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  return options;
}

export interface RemoteCommandTarget {
  kind: 'exec' | 'attach';
  containerId: string;
  command: string[];
}

export interface RemoteCommandStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: AsyncIterable<TerminalSize>;
  tty: boolean;
}

/** Finds the running container, or fails the way the kubelet does before upgrading. */
export async function runningContainer(runtime: Runtime, id: string | undefined, name: string): Promise<string> {
  const state = id ? await runtime.containerStatus(id).then((c) => c.state, () => undefined) : undefined;
  if (!id || state !== 'RUNNING') throw new UpgradeError(500, `container not found ("${name}")`);
  return id;
}

export async function runRemoteCommand(runtime: Runtime, target: RemoteCommandTarget, streams: RemoteCommandStreams): Promise<CommandStatus> {
  const io = {
    tty: streams.tty,
    ...(streams.stdin ? { stdin: streams.stdin } : {}),
    ...(streams.stdout ? { stdout: streams.stdout } : {}),
    ...(streams.stderr ? { stderr: streams.stderr } : {}),
    ...(streams.resize ? { resize: streams.resize } : {}),
  };
  if (target.kind === 'attach') {
    try {
      await runtime.attach(target.containerId, io);
      return successStatus();
    } catch (err) {
      return internalErrorStatus(`error attaching to container: ${(err as Error).message}`);
    }
  }
  try {
    const exitCode = await runtime.exec(target.containerId, target.command, io);
    return exitCode === 0 ? successStatus() : exitCodeStatus(exitCode);
  } catch (err) {
    return internalErrorStatus(`error executing command in container: ${(err as Error).message}`);
  }
}

/** Terminal sizes from a stream of concatenated JSON objects `{"Width":W,"Height":H}`. */
export async function* terminalSizes(source: Readable): AsyncGenerator<TerminalSize> {
  let text = '';
  for await (const chunk of source) {
    text += (chunk as Buffer).toString('utf8');
    for (;;) {
      const end = objectEnd(text);
      if (end < 0) break;
      const raw = text.slice(0, end);
      text = text.slice(end);
      try {
        const size = JSON.parse(raw) as { Width?: unknown; Height?: unknown };
        if (typeof size.Width === 'number' && typeof size.Height === 'number') yield { width: size.Width, height: size.Height };
      } catch {
        // A malformed size is skipped, as the kubelet's decoder would stop on it.
      }
    }
  }
}

/** The index just past the first complete top-level JSON object of `text`, or -1. */
function objectEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}
