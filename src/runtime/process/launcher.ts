// The exec launcher (native/k8ts-launcher.c, built at install into native/build/k8ts-launcher): one
// small long-lived process per agent that forks the exec commands of probes and hooks, so that the
// agent (a large process, whose forks cost with its memory mappings) forks none itself. Started on
// the first exec, it exits after a while without any, or when this process goes (end of file on its
// stdin, or its parent-death signal). K8TS_LAUNCHER names another binary, or `none` to spawn each
// command from Node.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'native', 'build', 'k8ts-launcher');
/** Without any exec for this long, the launcher is let go (it is started again on the next). */
const IDLE_MS = 30_000;

export interface LaunchRequest {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** What the command reads on fd 3. */
  setup: Buffer;
}

export interface LaunchResult {
  /** The exit status, or 128 + the signal that ended the command. */
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface Launched {
  result: Promise<LaunchResult>;
  /** SIGKILL to the command's process group (a no-op once it ended). */
  kill(): void;
}

interface Job {
  stdout: Buffer[];
  stderr: Buffer[];
  resolve(result: LaunchResult): void;
  reject(err: Error): void;
}

function frame(type: string, id: number, body: Buffer[]): Buffer {
  const length = body.reduce((n, b) => n + b.length, 0);
  const head = Buffer.alloc(9);
  head.writeUInt32LE(length + 5, 0);
  head.write(type, 4, 'latin1');
  head.writeUInt32LE(id, 5);
  return Buffer.concat([head, ...body], 9 + length);
}

/** One launcher process and the commands it runs, answered by request id. */
export class Launcher {
  private child: ChildProcess | undefined;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private pending: Buffer = Buffer.alloc(0);
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly binary: string) {}

  /** The launcher process while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  launch(request: LaunchRequest): Launched {
    const child = this.running();
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffffe ? 1 : this.nextId + 1;
    const strings = [request.cwd, request.file, ...request.args, ...Object.entries(request.env).map(([k, v]) => `${k}=${v}`)];
    const counts = Buffer.alloc(12);
    counts.writeUInt32LE(1 + request.args.length, 0);
    counts.writeUInt32LE(strings.length - 2 - request.args.length, 4);
    counts.writeUInt32LE(request.setup.length, 8);
    const result = new Promise<LaunchResult>((resolve, reject) => this.jobs.set(id, { stdout: [], stderr: [], resolve, reject }));
    this.busy(child);
    child.stdin!.write(frame('r', id, [counts, Buffer.from(strings.map((s) => `${s}\0`).join('')), request.setup]));
    return {
      result,
      kill: () => {
        if (this.jobs.has(id) && this.child === child) child.stdin!.write(frame('k', id, []));
      },
    };
  }

  /** Ends the launcher (which kills what it still runs); in-flight commands fail. */
  stop(): void {
    const child = this.child;
    if (!child) return;
    this.gone(child, new Error('the exec launcher was stopped'));
    child.stdin!.end();
  }

  private running(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    this.pending = Buffer.alloc(0);
    child.stdout!.on('data', (chunk: Buffer) => this.read(chunk));
    child.stdin!.on('error', () => undefined);
    child.on('error', (err) => this.gone(child, new Error(`the exec launcher failed: ${err.message}`)));
    child.on('exit', (code, signal) => this.gone(child, new Error(`the exec launcher exited (${code ?? signal})`)));
    return child;
  }

  /** While commands run, the launcher holds this process's event loop open; idle, it does not. */
  private busy(child: ChildProcess): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    child.ref();
    (child.stdout as unknown as { ref(): void }).ref();
    (child.stdin as unknown as { ref(): void }).ref();
  }

  private idle(child: ChildProcess): void {
    child.unref();
    (child.stdout as unknown as { unref(): void }).unref();
    (child.stdin as unknown as { unref(): void }).unref();
    this.idleTimer = setTimeout(() => this.stop(), IDLE_MS);
    this.idleTimer.unref();
  }

  private gone(child: ChildProcess, err: Error): void {
    if (this.child !== child) return;
    this.child = undefined;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    child.unref();
    (child.stdout as unknown as { unref(): void }).unref();
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    for (const job of jobs) job.reject(err);
  }

  private read(chunk: Buffer): void {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (data.length >= 4) {
      const length = data.readUInt32LE(0);
      if (data.length < 4 + length) break;
      this.answer(data.subarray(4, 4 + length));
      data = data.subarray(4 + length);
    }
    this.pending = data.length ? Buffer.from(data) : Buffer.alloc(0);
  }

  private answer(message: Buffer): void {
    const type = String.fromCharCode(message[0]!);
    const id = message.readUInt32LE(1);
    const job = this.jobs.get(id);
    if (!job) return;
    const body = message.subarray(5);
    if (type === 'o') job.stdout.push(Buffer.from(body));
    else if (type === 'e') job.stderr.push(Buffer.from(body));
    else if (type === 'x' || type === 'f') {
      this.jobs.delete(id);
      if (type === 'x') job.resolve({ exitCode: body.readInt32LE(0), stdout: Buffer.concat(job.stdout), stderr: Buffer.concat(job.stderr) });
      else job.reject(Object.assign(new Error(body.toString('utf8')), { code: 'ELAUNCH' }));
      if (this.jobs.size === 0 && this.child) this.idle(this.child);
    }
  }
}

let chosen: { launcher: Launcher | undefined } | undefined;

/** The process's launcher, or undefined when it is turned off or not built (then Node spawns each command). */
export function execLauncher(): Launcher | undefined {
  if (chosen) return chosen.launcher;
  const named = process.env.K8TS_LAUNCHER;
  if (named === 'none') return (chosen = { launcher: undefined }).launcher;
  const path = named ? resolve(named) : BUILT;
  try {
    accessSync(path, constants.X_OK);
    chosen = { launcher: new Launcher(path) };
  } catch {
    chosen = { launcher: undefined };
  }
  return chosen.launcher;
}
