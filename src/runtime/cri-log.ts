// Container logs in the CRI format (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`), as containerd writes
// them and the kubelet reads them: an encoder that turns a stream's bytes into log lines (long lines
// split at 16 KiB into partial `P` entries), a parser, and a reader with `kubectl logs` semantics
// (tail, since, timestamps, byte limit, follow across rotation until the container stops).

import { open, stat, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Writable } from 'node:stream';

export type LogStream = 'stdout' | 'stderr';

/** containerd's default `max_container_log_line_size`. */
export const MAX_LOG_LINE_BYTES = 16 * 1024;

export interface CriLogEntry {
  /** The timestamp as written. */
  time: string;
  /** The timestamp in (fractional) milliseconds since the epoch. */
  timestampMs: number;
  stream: LogStream;
  /** `P`: the text continues in the next entry of the same stream. */
  partial: boolean;
  /** Without the line's end. */
  content: Buffer;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** A clock reading in nanoseconds: wall time at startup plus the monotonic offset since. */
export const nowNanos: () => bigint = (() => {
  const baseWall = BigInt(Date.now()) * 1_000_000n;
  const baseMono = process.hrtime.bigint();
  return () => baseWall + (process.hrtime.bigint() - baseMono);
})();

/** Formats like Go's `time.RFC3339Nano` in UTC: fractional seconds without trailing zeros. */
export function rfc3339Nano(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const seconds = new Date(ms).toISOString().slice(0, 19);
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${seconds}${fraction ? '.' + fraction : ''}Z`;
}

export function formatCriLine(time: string, stream: LogStream, partial: boolean, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${time} ${stream} ${partial ? 'P' : 'F'} `), content, Buffer.from('\n')]);
}

/** Parses one line of a CRI log file (with or without its newline); undefined when malformed. */
export function parseCriLine(line: Buffer | string): CriLogEntry | undefined {
  let buf = typeof line === 'string' ? Buffer.from(line) : line;
  if (buf.length > 0 && buf[buf.length - 1] === NEWLINE) buf = buf.subarray(0, buf.length - 1);
  const first = buf.indexOf(0x20);
  if (first <= 0) return undefined;
  const second = buf.indexOf(0x20, first + 1);
  if (second < 0) return undefined;
  const time = buf.subarray(0, first).toString();
  const stream = buf.subarray(first + 1, second).toString();
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const timestampMs = parseRfc3339Nano(time);
  if (timestampMs === undefined) return undefined;
  // The tag may carry more fields separated by ':'; only the first is defined (F or P).
  const third = buf.indexOf(0x20, second + 1);
  const tag = buf.subarray(second + 1, third < 0 ? buf.length : third).toString().split(':')[0];
  if (tag !== 'F' && tag !== 'P') return undefined;
  const content = third < 0 ? Buffer.alloc(0) : buf.subarray(third + 1);
  return { time, timestampMs, stream, partial: tag === 'P', content };
}

/** Milliseconds (with the sub-millisecond fraction) of an RFC 3339 timestamp, or undefined. */
export function parseRfc3339Nano(time: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(time);
  if (!m) return undefined;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(whole)) return undefined;
  return whole + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

/**
 * Turns the bytes of one output stream into CRI log lines, as containerd does: one `F` entry per
 * line, a line longer than `maxLineBytes` cut into `P` entries, and what is left without a newline at
 * the end of the stream written as a `P` entry.
 */
export class CriLineEncoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private time: string | undefined;

  constructor(
    private readonly stream: LogStream,
    private readonly emit: (line: Buffer) => void,
    private readonly now: () => string = () => rfc3339Nano(nowNanos()),
    private readonly maxLineBytes = MAX_LOG_LINE_BYTES,
  ) {}

  /** Bytes that arrived together share one timestamp. */
  push(chunk: Buffer): void {
    this.time = undefined;
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl < 0 ? chunk.length : nl;
      this.append(chunk.subarray(start, end));
      if (nl < 0) break;
      this.writeLine(false, true);
      start = nl + 1;
    }
  }

  /** The stream ended: a trailing line without newline is written as partial. */
  end(): void {
    this.time = undefined;
    if (this.pendingBytes > 0) this.writeLine(true, false);
  }

  private append(piece: Buffer): void {
    while (piece.length > 0) {
      const room = this.maxLineBytes - this.pendingBytes;
      if (piece.length <= room) {
        this.pending.push(piece);
        this.pendingBytes += piece.length;
        return;
      }
      this.pending.push(piece.subarray(0, room));
      this.pendingBytes += room;
      piece = piece.subarray(room);
      this.writeLine(true, false);
    }
  }

  private writeLine(partial: boolean, endOfLine: boolean): void {
    let content = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    // Like Go's bufio.ReadLine, a complete line loses its "\r\n" as well as its "\n".
    if (endOfLine && content.length > 0 && content[content.length - 1] === CARRIAGE_RETURN) {
      content = content.subarray(0, content.length - 1);
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.time ??= this.now();
    this.emit(formatCriLine(this.time, this.stream, partial, content));
  }
}

export interface ReadLogOptions {
  /** Only the last n lines of the file (every CRI line counts, as in the kubelet); absent or < 0: all. */
  tailLines?: number;
  /** Skip entries older than this (ms since the epoch). */
  sinceTime?: number;
  /** Stop after writing this many bytes. */
  limitBytes?: number;
  /** Prefix each line with its RFC3339Nano timestamp and a space. */
  timestamps?: boolean;
  /** Only this stream (default both). */
  stream?: LogStream;
  /** Keep reading as the file grows, until the container stops or `signal` aborts. */
  follow?: boolean;
  /** Whether the container still runs (asked before each wait when following). */
  isRunning?: () => boolean | Promise<boolean>;
  signal?: AbortSignal;
}

/** How long a follower sleeps at most without a file event before reading again (the kubelet's 1 s). */
const FORCE_CHECK_MS = 1000;
const READ_CHUNK = 64 * 1024;

/**
 * Writes the log of a container to `out` with `kubectl logs` semantics. Resolves when everything
 * asked for was written: at the end of the file, at the byte limit, or (following) once the
 * container has stopped and its last lines were read.
 */
export async function readCriLog(path: string, out: Writable, opts: ReadLogOptions = {}): Promise<void> {
  let file = await open(path, 'r');
  try {
    const tail = opts.tailLines ?? -1;
    let position = tail >= 0 ? await findTailStart(file, tail) : 0;
    const limited = tail >= 0 && !opts.follow;
    let remainingLines = tail;
    let remainingBytes = opts.limitBytes ?? Infinity;
    let atLineStart = true;
    let carry = Buffer.alloc(0);
    let stillRunning = true;
    let follower: Follower | undefined;

    const writeEntry = async (entry: CriLogEntry): Promise<boolean> => {
      const newLine = atLineStart;
      atLineStart = !entry.partial;
      if (opts.sinceTime !== undefined && entry.timestampMs < opts.sinceTime) return true;
      if (opts.stream && entry.stream !== opts.stream) return true;
      let text = entry.partial ? entry.content : Buffer.concat([entry.content, Buffer.from('\n')]);
      if (opts.timestamps && newLine) text = Buffer.concat([Buffer.from(entry.time + ' '), text]);
      if (text.length > remainingBytes) text = text.subarray(0, remainingBytes);
      remainingBytes -= text.length;
      await writeOut(out, text);
      return remainingBytes > 0;
    };

    try {
      for (;;) {
        if (limited && remainingLines === 0) return;
        if (opts.signal?.aborted) return;
        const chunk = Buffer.alloc(READ_CHUNK);
        const { bytesRead } = await file.read(chunk, 0, READ_CHUNK, position);
        position += bytesRead;
        if (bytesRead > 0) {
          carry = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
          let start = 0;
          for (;;) {
            const nl = carry.indexOf(NEWLINE, start);
            if (nl < 0) break;
            const entry = parseCriLine(carry.subarray(start, nl));
            start = nl + 1;
            if (!entry) continue;
            if (!(await writeEntry(entry))) return;
            if (limited && --remainingLines === 0) return;
          }
          carry = carry.subarray(start);
          continue;
        }
        // End of the file.
        if (!opts.follow) {
          const last = carry.length ? parseCriLine(carry) : undefined;
          if (last) await writeEntry(last);
          return;
        }
        if (!stillRunning) return;
        if (!follower) {
          // Read once more after starting to watch, so that a write just before is not missed.
          follower = new Follower(path);
          continue;
        }
        stillRunning = opts.isRunning ? await opts.isRunning() : true;
        if (!stillRunning) continue; // read what was written before it stopped, then end
        if (await follower.wait(opts.signal)) {
          // The file was rotated: continue with the new one from its beginning.
          const next = await open(path, 'r').catch(() => undefined);
          if (next) {
            await file.close();
            file = next;
            position = 0;
            carry = Buffer.alloc(0);
          }
        }
      }
    } finally {
      follower?.close();
    }
  } finally {
    await file.close();
  }
}

function writeOut(out: Writable, data: Buffer): Promise<void> {
  if (data.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    out.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Offset of the start of the last `n` lines, like the kubelet's FindTailLineStartIndex: the position
 * just after the (n+1)-th newline from the end (an unterminated last line does not count).
 */
async function findTailStart(file: FileHandle, n: number): Promise<number> {
  const { size } = await file.stat();
  const block = Buffer.alloc(READ_CHUNK);
  let count = 0;
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - READ_CHUNK);
    const { bytesRead } = await file.read(block, 0, end - start, start);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (block[i] === NEWLINE && ++count === n + 1) return start + i + 1;
    }
    end = start;
  }
  return 0;
}

/** Waits for changes of one file (write, rotation) with a periodic forced re-check. */
class Follower {
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  private rotated = false;
  private inode: number | undefined;

  constructor(private readonly path: string) {
    const name = basename(path);
    try {
      this.watcher = watch(dirname(path), { persistent: false }, (event, filename) => {
        if (filename !== null && filename !== name) return;
        if (event === 'rename') this.rotated = true;
        this.wake?.();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = undefined;
    }
  }

  /** Resolves after a change or the forced re-check; true when the path now names another file. */
  async wait(signal?: AbortSignal): Promise<boolean> {
    this.inode ??= await inodeOf(this.path);
    if (!this.rotated) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, FORCE_CHECK_MS);
        const onAbort = () => done();
        signal?.addEventListener('abort', onAbort, { once: true });
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
    if (!this.rotated) return false;
    this.rotated = false;
    const inode = await inodeOf(this.path);
    if (inode === undefined || inode === this.inode) return false;
    this.inode = inode;
    return true;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.wake?.();
  }
}

async function inodeOf(path: string): Promise<number | undefined> {
  return stat(path).then((s) => s.ino, () => undefined);
}
