// Pseudo-terminals for containers and exec sessions with `tty`: the agent holds the master side, the
// process gets the slave as its stdin, stdout and stderr and makes it its controlling terminal
// (`setsid --ctty`, see TERMINAL_PREFIX). node-pty's native part is loaded on first use only.

import { closeSync, constants, openSync, write } from 'node:fs';
import { createRequire } from 'node:module';
import type { StdioOptions } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { ReadStream } from 'node:tty';
import type { TerminalSize } from '../types.js';

interface NativePty {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
  resize(fd: number, cols: number, rows: number): void;
}

let native: NativePty | undefined;

function nativePty(): NativePty {
  if (!native) {
    const require = createRequire(import.meta.url);
    const utils = require('node-pty/lib/utils.js') as { loadNativeModule(name: string): { module: NativePty } };
    native = utils.loadNativeModule('pty').module;
  }
  return native;
}

/** Words put before a command so that it runs in a session of its own, with the terminal on fd 0 as its controlling terminal. */
export const TERMINAL_PREFIX = ['/usr/bin/setsid', '--wait', '--ctty', '--'];

/** The size of a terminal before the client sends its own (what the kubelet's runtimes use too). */
export const DEFAULT_TERMINAL_SIZE: TerminalSize = { width: 80, height: 24 };

/**
 * node-pty opens masters without close-on-exec, so every process spawned while one is open would
 * inherit it (keeping the terminal from hanging up, and a descriptor per terminal in long-lived
 * supervisors). The spawns of the runtime cover each open master with /dev/null instead.
 */
const openMasters = new Set<number>();
let devNull: number | undefined;

export function withoutTerminalMasters(stdio: StdioOptions): StdioOptions {
  if (openMasters.size === 0 || !Array.isArray(stdio)) return stdio;
  devNull ??= openSync('/dev/null', constants.O_RDWR);
  const covered = [...stdio];
  for (const fd of openMasters) {
    if (fd < covered.length) continue;
    while (covered.length < fd) covered.push('ignore');
    covered.push(devNull);
  }
  return covered;
}

/** One pseudo-terminal: write to it, read what the process prints, resize it, close it. */
export class Terminal {
  /** What the process prints; ends once no process holds the terminal any more. */
  readonly output: Readable;
  private readonly master: number;
  private slaveFd: number | undefined;
  private readonly reader: ReadStream;
  private readonly pending: Buffer[] = [];
  private writing = false;
  private closed = false;

  constructor(size: TerminalSize = DEFAULT_TERMINAL_SIZE) {
    const { width, height } = validSize(size) ? size : DEFAULT_TERMINAL_SIZE;
    const { master, slave, pty } = nativePty().open(width, height);
    try {
      // A descriptor of our own opening is close-on-exec: no spawn inherits the slave by accident.
      this.slaveFd = openSync(pty, constants.O_RDWR | constants.O_NOCTTY);
    } catch (err) {
      closeSync(master);
      throw err;
    } finally {
      closeSync(slave);
    }
    this.master = master;
    openMasters.add(master);
    const output = new PassThrough();
    this.output = output;
    this.reader = new ReadStream(master);
    this.reader.pipe(output);
    // Reading the master fails with EIO once every slave descriptor is closed: the end of output.
    this.reader.on('error', () => output.end());
  }

  /** The slave descriptor to hand to the process being spawned. */
  get slave(): number {
    if (this.slaveFd === undefined) throw new Error('the terminal was already handed to its process');
    return this.slaveFd;
  }

  /** Closes this process's slave descriptor once the process holds its own. */
  releaseSlave(): void {
    if (this.slaveFd === undefined) return;
    closeSync(this.slaveFd);
    this.slaveFd = undefined;
  }

  write(chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    this.pending.push(chunk);
    this.flush();
  }

  resize(size: TerminalSize): void {
    // As the kubelet's runtimes do, a size without rows or columns is ignored.
    if (this.closed || !validSize(size)) return;
    try {
      nativePty().resize(this.master, size.width, size.height);
    } catch {
      // A terminal whose process is gone cannot be resized: nothing to do.
    }
  }

  /** Hangs the terminal up (its processes get SIGHUP) and releases it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseSlave();
    this.pending.length = 0;
    this.reader.destroy();
    openMasters.delete(this.master);
    (this.output as PassThrough).end();
  }

  private flush(): void {
    if (this.writing || this.closed) return;
    const chunk = this.pending.shift();
    if (!chunk) return;
    this.writing = true;
    write(this.master, chunk, 0, chunk.length, null, (err, written) => {
      this.writing = false;
      if (this.closed) return;
      if (err && (err as NodeJS.ErrnoException).code !== 'EAGAIN') {
        this.pending.length = 0; // the terminal is gone: input has nowhere to go
        return;
      }
      const rest = err ? chunk : chunk.subarray(written);
      if (rest.length > 0) {
        this.pending.unshift(rest);
        // The process reads slower than its client types: try again shortly.
        setTimeout(() => this.flush(), 5).unref();
        return;
      }
      this.flush();
    });
  }
}

function validSize(size: TerminalSize): boolean {
  return [size.width, size.height].every((n) => Number.isInteger(n) && n > 0 && n <= 0xffff);
}
