// A container's stdio: its stdout and stderr are FIFOs that the agent reads and turns into the CRI
// log file (and hands to attached clients); stdin, when the container asks for one, is a FIFO the
// agent writes. FIFOs survive an agent restart: the next agent opens them again and carries on.

import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
import { Socket } from 'node:net';
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

export async function createFifos(paths: StdioPaths, withStdin: boolean): Promise<void> {
  await run('mkfifo', ['-m', '0600', paths.stdout, paths.stderr, ...(withStdin ? [paths.stdin] : [])]);
}

export type OutputListener = (stream: LogStream, chunk: Buffer) => void;

/** Reads a container's stdout and stderr FIFOs into its CRI log file until every writer closed them. */
export class ContainerOutput {
  /** Resolves when both streams ended and the log file is flushed. */
  readonly done: Promise<void>;
  private readonly listeners = new Set<OutputListener>();
  private readonly sockets: Socket[] = [];

  /** For a container about to start: also returns the write ends to hand to it. */
  static forNewContainer(paths: StdioPaths, logPath: string): { output: ContainerOutput; writers: { stdout: number; stderr: number } } {
    // The read ends come first (opening a write end needs a reader), the sockets last (a FIFO
    // without writers reads as end-of-file).
    const readers = { stdout: openReader(paths.stdout), stderr: openReader(paths.stderr) };
    // Blocking descriptors: the container must never see EAGAIN.
    const writers = { stdout: openSync(paths.stdout, constants.O_WRONLY), stderr: openSync(paths.stderr, constants.O_WRONLY) };
    return { output: new ContainerOutput(readers, logPath), writers };
  }

  /** For a container started by an earlier agent. */
  static forRunningContainer(paths: StdioPaths, logPath: string): ContainerOutput {
    return new ContainerOutput({ stdout: openReader(paths.stdout), stderr: openReader(paths.stderr) }, logPath);
  }

  private constructor(readers: { stdout: number; stderr: number }, logPath: string) {
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
      for (const s of this.sockets) s.pause();
      log.once('drain', () => {
        waitingForDrain = false;
        for (const s of this.sockets) s.resume();
      });
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const socket = new Socket({ fd: readers[stream], readable: true, writable: false });
      this.sockets.push(socket);
      const lines: Buffer[] = [];
      const encoder = new CriLineEncoder(stream, (line) => lines.push(line));
      socket.on('data', (chunk: Buffer) => {
        encoder.push(chunk);
        write(lines);
        for (const listener of this.listeners) listener(stream, chunk);
      });
      ended.push(
        new Promise<void>((resolve) => {
          socket.once('close', () => {
            encoder.end();
            write(lines);
            resolve();
          });
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
    for (const socket of this.sockets) socket.destroy();
  }
}

function openReader(path: string): number {
  return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
}

/** The agent's end of a container's stdin FIFO, and the container's. */
export class ContainerInput {
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

  /** The container sees end-of-file once what was written reached it. */
  end(): void {
    this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }
}
