// One SPDY stream as a Node Duplex: what the peer sends is readable, what is written goes out as
// DATA frames (FIN on end), within the session's flow control.

import { Duplex } from 'node:stream';
import { Flags, RstStatus } from './frames.js';
import type { SpdyHeaders } from './header-block.js';
import type { SpdySession } from './session.js';
import { ACK_THRESHOLD } from './windows.js';

export class SpdyStream extends Duplex {
  /** Replied with SYN_REPLY (by us, for a peer's stream; by the peer, for ours). */
  replied = false;
  remoteClosed = false;
  sendWindow: number;
  private localClosed = false;
  private reset = false;
  private unacked = 0;
  private windowWaiters: (() => void)[] = [];
  private replyWaiters: ((err?: Error) => void)[] = [];
  private readonly local: boolean;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
    opts: { local: boolean },
  ) {
    super({ allowHalfOpen: true });
    this.local = opts.local;
    this.sendWindow = session.initialSendWindow;
  }

  /** The first value of a header (names are case-insensitive). */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  /** Accepts a peer's stream with SYN_REPLY. Writing to an unreplied stream replies first. */
  accept(headers: Record<string, string | string[]> = {}): void {
    if (this.replied || this.local || this.reset) return;
    this.replied = true;
    this.session.sendReply(this, headers, false);
  }

  /** Refuses or abandons the stream with RST_STREAM. */
  refuse(status: number = RstStatus.Cancel): void {
    if (this.reset) return;
    this.reset = true;
    void this.session.send({ type: 'rstStream', streamId: this.id, status });
    this.destroy();
  }

  /** Resolves when the peer replied to a stream we opened; rejects if it reset it. */
  waitForReply(): Promise<void> {
    if (this.replied) return Promise.resolve();
    if (this.reset || this.destroyed) return Promise.reject(new Error('the SPDY stream was reset'));
    return new Promise((resolve, reject) => this.replyWaiters.push((err) => (err ? reject(err) : resolve())));
  }

  /** The reader wants more: what it consumed goes back to the peer's window. */
  override _read(): void {
    this.returnWindow();
  }

  private returnWindow(): void {
    if (this.unacked < ACK_THRESHOLD) return;
    this.session.acknowledge(this, this.unacked);
    this.unacked = 0;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.local) this.accept();
    this.session.sendData(this, chunk).then(() => cb(), (err: Error) => cb(err));
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.local) this.accept();
    if (!this.reset) void this.session.send({ type: 'data', streamId: this.id, flags: Flags.Fin, data: Buffer.alloc(0) });
    this.localClosed = true;
    this.forgetIfDone();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.reset && !(this.localClosed && this.remoteClosed) && !this.session.closed) {
      this.reset = true;
      void this.session.send({ type: 'rstStream', streamId: this.id, status: RstStatus.Cancel });
    }
    this.session.forget(this);
    this.wakeWindow();
    for (const w of this.replyWaiters) w(new Error('the SPDY stream was closed'));
    this.replyWaiters = [];
    cb(err);
  }

  /** @internal */
  receiveData(data: Buffer, fin: boolean): void {
    if (this.remoteClosed) return;
    if (data.length) {
      this.unacked += data.length;
      // Below the high-water mark the reader keeps up; above it, _read returns the window later.
      if (this.push(data)) this.returnWindow();
    }
    if (fin) {
      this.remoteClosed = true;
      this.push(null);
      this.forgetIfDone();
    }
  }

  /** @internal */
  receiveReply(_headers: SpdyHeaders, fin: boolean): void {
    if (this.replied) return;
    this.replied = true;
    for (const w of this.replyWaiters) w();
    this.replyWaiters = [];
    if (fin) this.receiveData(Buffer.alloc(0), true);
  }

  /** Reset by the peer, or its session ended: nothing more is sent or received. */
  get abandoned(): boolean {
    return this.reset;
  }

  /**
   * @internal The peer reset the stream or the session ended. The reader still drains what was
   * delivered and then sees the end; writes are dropped.
   */
  abandon(): void {
    if (this.reset) return;
    this.reset = true;
    if (!this.remoteClosed) {
      this.remoteClosed = true;
      this.push(null);
    }
    this.session.forget(this);
    this.wakeWindow();
    for (const w of this.replyWaiters) w(new Error('the SPDY stream was reset'));
    this.replyWaiters = [];
  }

  /** @internal */
  growWindow(delta: number): void {
    this.sendWindow += delta;
    this.wakeWindow();
  }

  /** @internal */
  windowOpened(): Promise<void> {
    return new Promise((resolve) => this.windowWaiters.push(resolve));
  }

  private wakeWindow(): void {
    const waiters = this.windowWaiters;
    this.windowWaiters = [];
    for (const w of waiters) w();
  }

  private forgetIfDone(): void {
    if (this.localClosed && this.remoteClosed) this.session.forget(this);
  }
}
