// The channel protocols of Kubernetes over WebSocket (channel.k8s.io and its versions): every
// message starts with a channel number, a byte in binary framing or an ASCII digit in the base64
// framing, and v5 adds the close message [255, channel] that ends one channel's input.

import { PassThrough, Writable, type Readable } from 'node:stream';
import type { WebSocket } from 'ws';

const CLOSE_CHANNEL = 255;

export interface ChannelOptions {
  base64: boolean;
  /** The client may close a channel's input with [255, channel] (v5.channel.k8s.io). */
  closeSignal: boolean;
  /** Closes the socket when no message went either way for this long (0 or absent: never). */
  idleTimeoutMs?: number;
}

export class ChannelConnection {
  private readonly inputs = new Map<number, PassThrough>();
  private idleTimer: NodeJS.Timeout | undefined;
  readonly closed: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: ChannelOptions,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('close', () => {
      clearTimeout(this.idleTimer);
      for (const input of this.inputs.values()) input.end();
    });
    ws.on('error', () => ws.terminate());
    this.touch();
  }

  /** What the client sends on `channel`; ends when it closes the channel or the connection. */
  input(channel: number): Readable {
    let input = this.inputs.get(channel);
    if (!input) {
      input = new PassThrough();
      this.inputs.set(channel, input);
      if (this.ws.readyState !== this.ws.OPEN) input.end();
    }
    return input;
  }

  /** Sends each write as one message on `channel`. */
  output(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => this.send(channel, chunk, cb),
    });
  }

  send(channel: number, data: Buffer, cb?: (err?: Error) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      cb?.();
      return;
    }
    this.touch();
    const message = this.options.base64 ? String.fromCharCode(48 + channel) + data.toString('base64') : Buffer.concat([Buffer.from([channel]), data]);
    this.ws.send(message, { binary: !this.options.base64 }, () => cb?.());
  }

  close(code = 1000): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code);
  }

  private receive(data: Buffer, isBinary: boolean): void {
    this.touch();
    if (data.length === 0) return;
    let channel: number;
    let payload: Buffer;
    if (this.options.base64 && !isBinary) {
      channel = data[0]! - 48;
      payload = Buffer.from(data.subarray(1).toString('latin1'), 'base64');
    } else {
      channel = data[0]!;
      payload = data.subarray(1);
    }
    if (this.options.closeSignal && channel === CLOSE_CHANNEL) {
      if (payload.length === 1) this.inputs.get(payload[0]!)?.end();
      return;
    }
    const input = this.inputs.get(channel);
    if (input && !input.writableEnded && payload.length) input.write(payload);
  }

  private touch(): void {
    const ms = this.options.idleTimeoutMs;
    if (!ms) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => this.ws.terminate(), ms);
      this.idleTimer.unref();
    }
  }
}
