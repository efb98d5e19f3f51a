// A SPDY/3.1 session over one byte stream (an upgraded HTTP connection, or a WebSocket tunnel):
// streams as Node Duplexes, replies, resets, pings, GOAWAY, idle timeout and flow control.
//
// Flow control engages only once the peer shows it takes part, with a SETTINGS initial window or a
// WINDOW_UPDATE: the SPDY peers of Kubernetes (spdystream, in kubectl and the API server) never
// send WINDOW_UPDATE and ignore the ones they get, so a strict sender would stall after 64 KiB.
// Window updates are still sent as data is consumed, which is what a strict peer needs.

import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { encodeFrame, Flags, FrameParser, GoAwayStatus, RstStatus, Setting, type Frame } from './frames.js';
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from './header-block.js';
import { SpdyStream } from './stream.js';
import { ACK_THRESHOLD, DEFAULT_WINDOW } from './windows.js';

export { SpdyStream } from './stream.js';
export { DEFAULT_WINDOW } from './windows.js';

const MAX_DATA_FRAME = 64 * 1024;

export interface SpdySessionOptions {
  /** Servers open even stream ids and answer odd ones; clients the reverse. */
  role: 'server' | 'client';
  /** Closes the session when no frame went either way for this long (0 or absent: never). */
  idleTimeoutMs?: number;
  /** Bytes already read from the transport (the rest of an upgrade request's buffer). */
  head?: Buffer;
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  goaway: [lastGoodStreamId: number, status: number];
  close: [Error | undefined];
}

export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly ownParity: number;
  private nextStreamId: number;
  private nextPingId: number;
  private readonly pings = new Map<number, () => void>();
  private lastPeerStreamId = 0;
  private goneAway = false;
  private terminated = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private drainWaiters: (() => void)[] = [];
  // Header blocks (de)compress asynchronously; frames are still handled and written in order.
  private inbound: Promise<void> = Promise.resolve();
  private outbound: Promise<unknown> = Promise.resolve();

  /** True once the peer took part in flow control. */
  flowControlled = false;
  initialSendWindow = DEFAULT_WINDOW;
  sessionSendWindow = DEFAULT_WINDOW;
  private sessionUnacked = 0;

  constructor(
    private readonly transport: Duplex,
    private readonly options: SpdySessionOptions,
  ) {
    super();
    this.ownParity = options.role === 'server' ? 0 : 1;
    this.nextStreamId = options.role === 'server' ? 2 : 1;
    this.nextPingId = options.role === 'server' ? 2 : 1;
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.on('drain', () => {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    });
    // Frames already read are still handled (their header blocks may be decompressing) before the end.
    const inputEnded = () => void this.inbound.then(() => this.terminate());
    transport.on('end', inputEnded);
    transport.on('close', inputEnded);
    transport.on('error', (err) => this.terminate(err));
    this.touch();
    if (options.head?.length) queueMicrotask(() => this.receive(options.head!));
  }

  get closed(): boolean {
    return this.terminated;
  }

  /** Opens a stream from this side (SYN_STREAM); `fin` closes our half at once. */
  openStream(headers: Record<string, string | string[]>, opts: { fin?: boolean; priority?: number } = {}): SpdyStream {
    if (this.terminated || this.goneAway) throw new Error('the SPDY session is closing');
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const lowered: SpdyHeaders = {};
    for (const [k, v] of Object.entries(headers)) lowered[k.toLowerCase()] = Array.isArray(v) ? v : [v];
    const stream = new SpdyStream(this, id, lowered, { local: true });
    this.streams.set(id, stream);
    const flags = opts.fin ? Flags.Fin : 0;
    void this.send(async () => ({ type: 'synStream', streamId: id, associatedStreamId: 0, priority: opts.priority ?? 0, flags, headerBlock: await this.compressor.compress(headers) }));
    if (opts.fin) stream.end();
    return stream;
  }

  ping(): Promise<void> {
    const id = this.nextPingId;
    this.nextPingId = (this.nextPingId + 2) % 0x100000000;
    return new Promise((resolve) => {
      this.pings.set(id, resolve);
      void this.send({ type: 'ping', id });
    });
  }

  /** Sends GOAWAY and ends the transport once what was written is flushed. */
  close(): void {
    if (this.terminated) return;
    this.goAway(GoAwayStatus.Ok);
    void this.outbound.then(() => this.transport.end());
  }

  destroy(err?: Error): void {
    this.terminate(err);
  }

  goAway(status: number): void {
    if (this.goneAway && status === GoAwayStatus.Ok) return;
    this.goneAway = true;
    void this.send({ type: 'goAway', lastGoodStreamId: this.lastPeerStreamId, status });
  }

  /** @internal Queues a frame (or one still to build) behind the others; resolves with write()'s answer. */
  send(frame: Frame | (() => Promise<Frame>)): Promise<boolean> {
    const written = this.outbound.then(async () => {
      if (this.terminated) return false;
      const ready = typeof frame === 'function' ? await frame() : frame;
      if (this.terminated || this.transport.destroyed || this.transport.writableEnded) return false;
      this.touch();
      return this.transport.write(encodeFrame(ready));
    });
    this.outbound = written.catch(() => false);
    return written;
  }

  /** @internal */
  sendReply(stream: SpdyStream, headers: Record<string, string | string[]>, fin: boolean): void {
    void this.send(async () => ({ type: 'synReply', streamId: stream.id, flags: fin ? Flags.Fin : 0, headerBlock: await this.compressor.compress(headers) }));
  }

  /** @internal Sends `data` as DATA frames, within the flow-control windows and transport backpressure. */
  async sendData(stream: SpdyStream, data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      // Like bytes written to a connection the peer has closed, these have nowhere to go.
      if (this.terminated || stream.abandoned || stream.destroyed) return;
      const budget = this.flowControlled ? Math.min(stream.sendWindow, this.sessionSendWindow) : MAX_DATA_FRAME;
      if (budget <= 0) {
        await stream.windowOpened();
        continue;
      }
      const piece = data.subarray(offset, offset + Math.min(budget, MAX_DATA_FRAME));
      offset += piece.length;
      stream.sendWindow -= piece.length;
      this.sessionSendWindow -= piece.length;
      if (!(await this.send({ type: 'data', streamId: stream.id, flags: 0, data: piece })) && !this.terminated) {
        await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
      }
    }
  }

  /** @internal Returns bytes a stream's reader consumed to the peer's window of that stream. */
  acknowledge(stream: SpdyStream, bytes: number): void {
    if (!stream.remoteClosed) void this.send({ type: 'windowUpdate', streamId: stream.id, delta: bytes });
  }

  /** @internal */
  forget(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
  }

  private touch(): void {
    const ms = this.options.idleTimeoutMs;
    if (!ms || this.terminated) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => this.terminate(new Error(`the SPDY session was idle for ${ms} ms`)), ms);
      this.idleTimer.unref();
    }
  }

  private receive(chunk: Buffer): void {
    if (this.terminated) return;
    this.touch();
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const frame of frames) {
      this.inbound = this.inbound.then(() => (this.terminated ? undefined : this.handle(frame))).catch((err) => this.fail(err));
    }
  }

  private fail(err: unknown): void {
    this.goAway(GoAwayStatus.ProtocolError);
    const error = err instanceof Error ? err : new Error(String(err));
    void this.outbound.then(() => this.terminate(error));
  }

  private async handle(frame: Frame): Promise<void> {
    switch (frame.type) {
      case 'data':
        // The session window is returned on receipt, so that one slow reader cannot stall the others.
        this.sessionUnacked += frame.data.length;
        if (this.sessionUnacked >= ACK_THRESHOLD) {
          void this.send({ type: 'windowUpdate', streamId: 0, delta: this.sessionUnacked });
          this.sessionUnacked = 0;
        }
        this.streams.get(frame.streamId)?.receiveData(frame.data, (frame.flags & Flags.Fin) !== 0);
        return;
      case 'synStream': {
        // The block is decompressed even for a refused stream: the zlib state spans all frames.
        const headers = await this.decompressor.decompress(frame.headerBlock);
        const peerParity = 1 - this.ownParity;
        if (frame.streamId % 2 !== peerParity || frame.streamId <= this.lastPeerStreamId) {
          void this.send({ type: 'rstStream', streamId: frame.streamId, status: RstStatus.ProtocolError });
          return;
        }
        this.lastPeerStreamId = frame.streamId;
        if (this.goneAway) {
          void this.send({ type: 'rstStream', streamId: frame.streamId, status: RstStatus.RefusedStream });
          return;
        }
        const stream = new SpdyStream(this, frame.streamId, headers, { local: false });
        this.streams.set(frame.streamId, stream);
        this.emit('stream', stream);
        if (frame.flags & Flags.Fin) stream.receiveData(Buffer.alloc(0), true);
        return;
      }
      case 'synReply': {
        const headers = await this.decompressor.decompress(frame.headerBlock);
        this.streams.get(frame.streamId)?.receiveReply(headers, (frame.flags & Flags.Fin) !== 0);
        return;
      }
      case 'headers': {
        await this.decompressor.decompress(frame.headerBlock);
        if (frame.flags & Flags.Fin) this.streams.get(frame.streamId)?.receiveData(Buffer.alloc(0), true);
        return;
      }
      case 'rstStream':
        this.streams.get(frame.streamId)?.abandon();
        return;
      case 'settings':
        for (const entry of frame.entries) {
          if (entry.id !== Setting.InitialWindowSize) continue;
          const delta = entry.value - this.initialSendWindow;
          this.initialSendWindow = entry.value;
          this.flowControlled = true;
          for (const s of this.streams.values()) s.growWindow(delta);
        }
        return;
      case 'ping':
        if (frame.id % 2 !== this.ownParity) void this.send({ type: 'ping', id: frame.id });
        else {
          this.pings.get(frame.id)?.();
          this.pings.delete(frame.id);
        }
        return;
      case 'goAway':
        this.goneAway = true;
        this.emit('goaway', frame.lastGoodStreamId, frame.status);
        return;
      case 'windowUpdate':
        this.flowControlled = true;
        if (frame.streamId === 0) {
          this.sessionSendWindow += frame.delta;
          for (const s of this.streams.values()) s.growWindow(0);
        } else this.streams.get(frame.streamId)?.growWindow(frame.delta);
        return;
      case 'unknown':
        return;
    }
  }

  private terminate(err?: Error): void {
    if (this.terminated) return;
    this.terminated = true;
    clearTimeout(this.idleTimer);
    for (const stream of [...this.streams.values()]) stream.abandon();
    this.streams.clear();
    for (const w of this.drainWaiters) w();
    this.drainWaiters = [];
    this.compressor.close();
    this.decompressor.close();
    this.transport.destroy();
    this.emit('close', err);
  }
}
