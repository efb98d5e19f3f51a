// A container's stdio: its stdout and stderr are FIFOs that the agent reads and turns into the CRI
// log file (and hands to attached clients); stdin, when the container asks for one, is a FIFO the
// agent writes. FIFOs survive an agent restart: the next agent opens them again and carries on.

import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { CriLineEncoder, type LogStream } from '../cri-log.js';
import { run } from '../../network/pod-network/host-command.js';

export interface StdioPaths {
  stdout: string;
  stderr: string;
  stdin: string;
}

export function stdioPaths(containerDir: string): StdioPaths {
  return { stdout: join(containerDir, 'stdout'), stderr: join(containerDir, 'stderr'), stdin: join(containerDir, 'stdin') };
}

/**
 * FIFOs made ahead, many in one run of mkfifo (Node cannot make one itself, and each process it
 * starts holds its event loop for a fork), then moved into a container's directory by rename: the
 * directory must be on the same filesystem.
 */
export class FifoPool {
  private readonly spare: string[] = [];
  private making: Promise<void> | undefined;
  private made = 0;
  private readonly prefix = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    private readonly dir: string,
    private readonly batch = 64,
  ) {}

  async create(paths: StdioPaths, withStdin: boolean): Promise<void> {
    for (const path of [paths.stdout, paths.stderr, ...(withStdin ? [paths.stdin] : [])]) {
      while (this.spare.length === 0) {
        this.making ??= this.make().finally(() => (this.making = undefined));
        await this.making;
      }
      await rename(this.spare.pop()!, path);
    }
  }

  /** Removes what the pools of agents no longer running left behind. */
  async removeStale(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(names.filter((name) => !processExists(Number(name.split('-')[0]))).map((name) => rm(join(this.dir, name), { force: true })));
  }

  /** Removes the FIFOs not handed out. */
  async close(): Promise<void> {
    await Promise.all(this.spare.splice(0).map((fifo) => rm(fifo, { force: true })));
  }

  private async make(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const fifos = Array.from({ length: this.batch }, () => join(this.dir, `${this.prefix}-${++this.made}`));
    await run('mkfifo', ['-m', '0600', ...fifos]);
    this.spare.push(...fifos);
  }
}

function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type OutputListener = (stream: LogStream, chunk: Buffer) => void;

/** Reads a container's stdout and stderr FIFOs into its CRI log file until every writer closed them. */
export class ContainerOutput {
  /** Resolves when both streams ended and the log file is flushed. */
  readonly done: Promise<void>;
  private readonly listeners = new Set<OutputListener>();
  private readonly sources: Readable[] = [];

  /** For a container about to start: also returns the write ends to hand to it. */
  static forNewContainer(paths: StdioPaths, logPath: string): { output: ContainerOutput; writers: { stdout: number; stderr: number } } {
    // The read ends come first (opening a write end needs a reader), the sockets last (a FIFO
    // without writers reads as end-of-file).
    const readers = { stdout: openReader(paths.stdout), stderr: openReader(paths.stderr) };
    // Blocking descriptors: the container must never see EAGAIN.
    const writers = { stdout: openSync(paths.stdout, constants.O_WRONLY), stderr: openSync(paths.stderr, constants.O_WRONLY) };
    return { output: new ContainerOutput(fifoSources(readers), logPath), writers };
  }

  /** For a container started by an earlier agent. */
  static forRunningContainer(paths: StdioPaths, logPath: string): ContainerOutput {
    return new ContainerOutput(fifoSources({ stdout: openReader(paths.stdout), stderr: openReader(paths.stderr) }), logPath);
  }

  /** For a container on a terminal: one stream, logged as stdout (as containerd logs a tty). */
  static forTerminal(output: Readable, logPath: string): ContainerOutput {
    return new ContainerOutput([['stdout', output]], logPath);
  }

  private constructor(sources: [LogStream, Readable][], logPath: string) {
    const log = createWriteStream(logPath, { flags: 'a' });
    log.on('error', () => undefined);
    const ended: Promise<void>[] = [];
    let waitingForDrain = false;
    // The lines of one chunk are written at once; a slow disk pauses the container's pipes.
    const write = (lines: Buffer[]) => {
      if (lines.length === 0) return;
      const flushed = log.write(lines.length === 1 ? lines[0] : Buffer.concat(lines));
      lines.length = 0;
      if (flushed || waitingForDrain) return;
      waitingForDrain = true;
      for (const s of this.sources) s.pause();
      log.once('drain', () => {
        waitingForDrain = false;
        for (const s of this.sources) s.resume();
      });
    };
    for (const [stream, socket] of sources) {
      this.sources.push(socket);
      const lines: Buffer[] = [];
      const encoder = new CriLineEncoder(stream, (line) => lines.push(line));
      socket.on('data', (chunk: Buffer) => {
        encoder.push(chunk);
        write(lines);
        for (const listener of this.listeners) listener(stream, chunk);
      });
      ended.push(
        new Promise<void>((resolve) => {
          let ended = false;
          const end = () => {
            if (ended) return;
            ended = true;
            encoder.end();
            write(lines);
            resolve();
          };
          socket.once('close', end);
          socket.once('end', end);
          socket.on('error', () => undefined);
        }),
      );
    }
    this.done = Promise.all(ended).then(() => new Promise<void>((resolve) => log.end(resolve)));
  }

  subscribe(listener: OutputListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops reading (the agent is closing); the container keeps running and writing. */
  close(): void {
    for (const source of this.sources) source.destroy();
  }
}

function fifoSources(readers: { stdout: number; stderr: number }): [LogStream, Readable][] {
  return (['stdout', 'stderr'] as const).map((stream) => [stream, new Socket({ fd: readers[stream], readable: true, writable: false })]);
}

function openReader(path: string): number {
  return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
}

/** Where attached clients' input goes: a FIFO, or the container's terminal. */
export interface ContainerStdin {
  write(chunk: Buffer): void;
  /** The container sees end-of-file (on a terminal: input just stops being passed on). */
  end(): void;
  close(): void;
}

/** The agent's end of a container's stdin FIFO, and the container's. */
export class ContainerInput implements ContainerStdin {
  readonly socket: Socket;
  /** The descriptor to give the container (a separate, blocking read end). */
  readonly containerFd: number;

  constructor(path: string) {
    // Read-write keeps a writer on the FIFO, so the container does not see end-of-file before a client comes.
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    this.containerFd = openSync(path, constants.O_RDONLY);
    this.socket = new Socket({ fd, readable: false, writable: true });
    this.socket.on('error', () => undefined);
  }

  releaseContainerFd(): void {
    closeSync(this.containerFd);
  }

  write(chunk: Buffer): void {
    this.socket.write(chunk);
  }

  /** The container sees end-of-file once what was written reached it. */
  end(): void {
    this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }
}
