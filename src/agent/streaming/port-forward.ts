// Port forwarding, independent of the transport: one forwarded connection is a data stream piped
// to a TCP connection inside the pod's network, and an error stream for what went wrong, worded as
// the kubelet words it.

import type { Duplex, Readable, Writable } from 'node:stream';
import type { Runtime } from '../../runtime/types.js';

export interface ForwardTarget {
  runtime: Runtime;
  sandboxId: string;
}

/** Pipes `data` both ways to `port` of the sandbox until either side ends. */
export async function forwardConnection(target: ForwardTarget, port: number, data: Duplex, errors: Writable): Promise<void> {
  const failure = (err: Error) => `error forwarding port ${port} to pod ${target.sandboxId}, uid : ${err.message}`;
  let upstream: Duplex;
  try {
    upstream = await target.runtime.portForward(target.sandboxId, port);
  } catch (err) {
    errors.write(failure(err as Error));
    return;
  }
  await new Promise<void>((resolve) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) errors.write(failure(err));
      upstream.destroy();
      resolve();
    };
    upstream.on('error', finish);
    upstream.on('end', () => finish());
    upstream.on('close', () => finish());
    data.on('error', () => finish());
    data.on('close', () => finish());
    // The client closing its half (the local connection ended) half-closes the pod connection.
    data.on('end', () => upstream.end());
    upstream.on('data', (chunk: Buffer) => {
      if (!data.write(chunk)) {
        upstream.pause();
        data.once('drain', () => upstream.resume());
      }
    });
    pipeInto(data, upstream);
  });
}

function pipeInto(source: Readable, sink: Writable): void {
  source.on('data', (chunk: Buffer) => {
    if (!sink.writable) return;
    if (!sink.write(chunk)) {
      source.pause();
      sink.once('drain', () => source.resume());
    }
  });
}

/** A port from a header or query value, failing with the kubelet's (Go's) messages. */
export function parsePort(value: string): number {
  const digits = /^\d+$/.test(value);
  if (!digits || Number(value) > 65535) {
    throw new Error(`unable to parse "${value}" as a port: strconv.ParseUint: parsing "${value}": ${digits ? 'value out of range' : 'invalid syntax'}`);
  }
  const port = Number(value);
  if (port < 1) throw new Error(`port "${value}" must be > 0`);
  return port;
}
