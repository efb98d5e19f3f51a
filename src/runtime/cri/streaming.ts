// The client half of a CRI streaming server (the URLs Exec, Attach and PortForward return): an HTTP
// upgrade to SPDY/3.1, then one SPDY stream per standard stream or per forwarded connection, as the
// kubelet's proxy to the runtime does. SPDY keeps stdin's end (a FIN), which WebSocket v4 cannot.

import { request } from 'node:http';
import { Duplex, type Readable, type Writable } from 'node:stream';
import type { Socket } from 'node:net';
import { SpdySession, type SpdyStream } from '../../agent/streaming/spdy/session.js';
import { RuntimeError, type StreamOptions } from '../types.js';

const SPDY_UPGRADE = 'SPDY/3.1';
const REMOTE_COMMAND_PROTOCOLS = ['v4.channel.k8s.io'];
const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/** Upgrades a POST to the streaming URL into a SPDY client session. */
export function connectSpdy(url: string, protocols: string[], timeoutMs = 10_000): Promise<SpdySession> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: SPDY_UPGRADE, 'X-Stream-Protocol-Version': protocols },
      timeout: timeoutMs,
    });
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      socket.setNoDelay(true);
      if (res.statusCode !== 101) {
        socket.destroy();
        reject(new RuntimeError('Unknown', `streaming server answered ${res.statusCode}`));
        return;
      }
      resolve(new SpdySession(socket, { role: 'client', head }));
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(new RuntimeError('Unknown', `streaming server refused the upgrade (${res.statusCode}): ${body.trim()}`)));
    });
    req.on('timeout', () => req.destroy(new Error('timed out connecting to the streaming server')));
    req.on('error', (err) => reject(new RuntimeError('Unavailable', `streaming server ${new URL(url).host}: ${err.message}`)));
    req.end();
  });
}

function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('close', () => resolve(Buffer.concat(chunks)));
    stream.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

/** Copies a stream's data into `target` without ending it; resolves when the source is done. */
function copyInto(source: Readable, target: Writable | undefined): Promise<void> {
  return new Promise((resolve) => {
    source.on('data', (c: Buffer) => {
      if (!target) return;
      if (!target.write(c)) {
        source.pause();
        target.once('drain', () => source.resume());
      }
    });
    source.on('end', resolve);
    source.on('close', resolve);
    source.on('error', () => resolve());
  });
}

/** The exit code a v4 status carries: 0 on Success, the ExitCode cause on NonZeroExitCode. */
export function exitCodeOfStatus(text: string): number {
  if (!text.trim()) return 0;
  let status: { status?: string; reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } };
  try {
    status = JSON.parse(text);
  } catch {
    throw new RuntimeError('Unknown', text.trim());
  }
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return code;
  }
  throw new RuntimeError('Unknown', status.message ?? text.trim());
}

/**
 * Runs an exec or attach session at `url`: streams exactly those the request asked for (the
 * server waits for that set), resolves with the exit code from the error stream.
 */
export async function runRemoteCommand(url: string, streams: StreamOptions, want: { stdin: boolean; stdout: boolean; stderr: boolean }): Promise<number> {
  const session = await connectSpdy(url, REMOTE_COMMAND_PROTOCOLS);
  try {
    const open = (type: string) => session.openStream({ streamType: type });
    const error = open('error');
    const stdin = want.stdin ? open('stdin') : undefined;
    const stdout = want.stdout ? open('stdout') : undefined;
    const stderr = want.stderr ? open('stderr') : undefined;
    // With a terminal the server waits for a resize stream too, sizes or not.
    const resize = streams.tty ? open('resize') : undefined;
    for (const s of [error, stdin, stdout, stderr, resize]) s?.on('error', () => s.destroy());
    const errorText = readAll(error);
    const outputs = Promise.all([stdout ? copyInto(stdout, streams.stdout) : undefined, stderr ? copyInto(stderr, streams.stderr) : undefined]);
    if (stdin && streams.stdin) pipeStdin(streams.stdin, stdin);
    if (resize && streams.resize) void forwardSizes(streams.resize, resize);
    const text = (await errorText).toString();
    await outputs;
    return exitCodeOfStatus(text);
  } finally {
    session.close();
  }
}

function pipeStdin(source: Readable, target: SpdyStream): void {
  source.on('data', (c: Buffer) => {
    if (target.destroyed || target.writableEnded) return;
    if (!target.write(c)) {
      source.pause();
      target.once('drain', () => source.resume());
    }
  });
  source.on('end', () => {
    if (!target.destroyed && !target.writableEnded) target.end();
  });
}

async function forwardSizes(sizes: AsyncIterable<{ width: number; height: number }>, target: SpdyStream): Promise<void> {
  try {
    for await (const size of sizes) {
      if (target.destroyed || target.writableEnded) return;
      target.write(JSON.stringify({ Width: size.width, Height: size.height }));
    }
  } catch {
    // The session ended while sizes were still coming.
  }
}

let nextRequestId = 0;

/**
 * One forwarded connection to `port` through the streaming URL: a Duplex whose readable side ends
 * only after the server's error stream did, so a refused connection surfaces as an error.
 */
export async function openPortForward(url: string, port: number): Promise<Duplex> {
  const session = await connectSpdy(url, [PORT_FORWARD_PROTOCOL]);
  const requestID = String(nextRequestId++);
  const error = session.openStream({ streamType: 'error', port: String(port), requestID }, { fin: true });
  const data = session.openStream({ streamType: 'data', port: String(port), requestID });
  const errorText = readAll(error);
  let dataEnded = false;
  let finished = false;
  const socket = new Duplex({
    allowHalfOpen: true,
    read() {
      data.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (data.destroyed) return cb(new Error('the forwarded connection is closed'));
      data.write(chunk, (err) => cb(err ?? null));
    },
    final(cb) {
      if (!data.destroyed && !data.writableEnded) data.end();
      cb();
    },
    destroy(err, cb) {
      data.destroy();
      session.close();
      cb(err);
    },
  });
  const finish = async () => {
    if (finished) return;
    finished = true;
    const text = (await errorText).toString().trim();
    if (text) socket.destroy(new RuntimeError('Unknown', text));
    else {
      socket.push(null);
      session.close();
    }
  };
  data.on('data', (c: Buffer) => {
    if (!socket.push(c)) data.pause();
  });
  data.on('end', () => {
    dataEnded = true;
    void finish();
  });
  data.on('error', () => void finish());
  data.on('close', () => void (dataEnded || finish()));
  session.on('close', () => void finish());
  return socket;
}
