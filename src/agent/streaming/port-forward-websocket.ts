// Port forwarding over the WebSocket channel protocol (what @kubernetes/client-node speaks): the
// ports come in the query, port i gets data channel 2i and error channel 2i+1, and the first
// message on each channel is the port, two bytes little-endian.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Duplex as DuplexStream } from 'node:stream';
import { ChannelConnection } from './channels.js';
import { forwardConnection, parsePort, type ForwardTarget } from './port-forward.js';
import { acceptWebSocket } from './websocket.js';
import { UpgradeError } from './upgrade.js';

const V4 = 'v4.channel.k8s.io';
const V4_BASE64 = 'v4.base64.channel.k8s.io';

export const PORT_FORWARD_WEBSOCKET_PROTOCOLS = [V4, V4_BASE64] as const;

/** `port` is the kubelet's parameter; the API server's `ports` arrives here unchanged. */
export function forwardedPorts(query: URLSearchParams): number[] {
  const values = [...query.getAll('port'), ...query.getAll('ports')];
  if (!values.length) throw new UpgradeError(400, 'query parameter "port" is required');
  const ports: number[] = [];
  for (const value of values) {
    if (!value) throw new UpgradeError(400, 'query parameter "port" cannot be empty');
    for (const p of value.split(',')) {
      try {
        ports.push(parsePort(p));
      } catch (err) {
        throw new UpgradeError(400, (err as Error).message);
      }
    }
  }
  return ports;
}

export async function servePortForwardWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, ports: number[], target: ForwardTarget, idleTimeoutMs: number): Promise<void> {
  const { ws, protocol } = await acceptWebSocket(req, socket, head, PORT_FORWARD_WEBSOCKET_PROTOCOLS);
  const channels = new ChannelConnection(ws, { base64: protocol === V4_BASE64, closeSignal: false, idleTimeoutMs });
  await Promise.all(
    ports.map(async (port, i) => {
      const input = channels.input(2 * i);
      const output = channels.output(2 * i);
      const errors = channels.output(2 * i + 1);
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16LE(port);
      channels.send(2 * i, portBytes);
      channels.send(2 * i + 1, portBytes);
      const data = DuplexStream.from({ readable: input, writable: output });
      await forwardConnection(target, port, data, errors);
    }),
  );
  channels.close();
  await channels.closed;
}
