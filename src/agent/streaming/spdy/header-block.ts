// SPDY/3 header blocks: a count, then length-prefixed names and values (several values of one name
// joined by NUL), compressed with zlib against the SPDY dictionary. Each direction of a session is
// one zlib stream, sync-flushed after every block, so blocks must be (de)compressed in frame order.

import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frames.js';

/** Header names are lower case on the wire; a name may carry several values. */
export type SpdyHeaders = Record<string, string[]>;

export function serializeHeaders(headers: Record<string, string | string[]>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(Array.isArray(value) ? value.join('\0') : value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function parseHeaders(block: Buffer): SpdyHeaders {
  let offset = 0;
  const take = (bytes: number): Buffer => {
    if (offset + bytes > block.length) throw new SpdyProtocolError('truncated header block');
    const out = block.subarray(offset, offset + bytes);
    offset += bytes;
    return out;
  };
  const count = take(4).readUInt32BE(0);
  const headers: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    const name = take(take(4).readUInt32BE(0)).toString('utf8').toLowerCase();
    const value = take(take(4).readUInt32BE(0)).toString('utf8');
    if (!name) throw new SpdyProtocolError('empty header name');
    if (headers[name]) throw new SpdyProtocolError(`duplicate header ${name}`);
    headers[name] = value.split('\0');
  }
  return headers;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/**
 * One direction's zlib stream. Each operation writes its input, sync-flushes, and collects what the
 * flush produced from the paused readable side: output is buffered before the flush callback runs.
 */
class ZlibChannel {
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private abandon: ((err: Error) => void) | undefined;

  constructor(private readonly engine: zlib.Deflate | zlib.Inflate) {
    // A zlib error ends the stream for good: the flush in progress never calls back.
    engine.on('error', (err) => {
      this.failure = err;
      this.abandon?.(err);
    });
  }

  process(input: Buffer): Promise<Buffer> {
    const result = this.tail.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failure) return reject(this.failure);
          this.abandon = reject;
          this.engine.write(input);
          this.engine.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            if (this.failure) return reject(this.failure);
            const parts: Buffer[] = [];
            for (let chunk: Buffer | null; (chunk = this.engine.read() as Buffer | null) !== null; ) parts.push(chunk);
            resolve(Buffer.concat(parts));
          });
        }),
    );
    this.tail = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.engine.destroy();
  }
}

// Header blocks are small; a generous buffer keeps a block's output from waiting on a reader.
const BUFFER = { highWaterMark: 1 << 20 };

export class HeaderCompressor {
  private readonly channel = new ZlibChannel(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: zlib.constants.Z_BEST_COMPRESSION, ...BUFFER }));

  compress(headers: Record<string, string | string[]>): Promise<Buffer> {
    return this.channel.process(serializeHeaders(headers));
  }

  close(): void {
    this.channel.close();
  }
}

export class HeaderDecompressor {
  private readonly channel = new ZlibChannel(zlib.createInflate({ dictionary: SPDY3_DICTIONARY, ...BUFFER }));

  async decompress(block: Buffer): Promise<SpdyHeaders> {
    if (block.length === 0) return {};
    let raw: Buffer;
    try {
      raw = await this.channel.process(block);
    } catch (err) {
      throw new SpdyProtocolError(`header block does not decompress: ${(err as Error).message}`);
    }
    return parseHeaders(raw);
  }

  close(): void {
    this.channel.close();
  }
}
