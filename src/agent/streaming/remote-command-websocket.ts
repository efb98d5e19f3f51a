// exec and attach over WebSocket: stdin 0, stdout 1, stderr 2, status 3, resize 4.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Runtime } from '../../runtime/types.js';
import { ChannelConnection } from './channels.js';
import { runRemoteCommand, terminalSizes, type RemoteCommandOptions, type RemoteCommandTarget } from './remote-command.js';
import { encodeStatus } from './status.js';
import { acceptWebSocket } from './websocket.js';

const V5 = 'v5.channel.k8s.io';
const V4 = 'v4.channel.k8s.io';
const V4_BASE64 = 'v4.base64.channel.k8s.io';
const V1 = 'channel.k8s.io';
const V1_BASE64 = 'base64.channel.k8s.io';

export const REMOTE_COMMAND_WEBSOCKET_PROTOCOLS = [V5, V4, V4_BASE64, V1, V1_BASE64] as const;

const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;

export async function serveRemoteCommandWebSocket(
  runtime: Runtime,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: RemoteCommandOptions,
  target: RemoteCommandTarget,
  idleTimeoutMs: number,
): Promise<void> {
  const { ws, protocol } = await acceptWebSocket(req, socket, head, REMOTE_COMMAND_WEBSOCKET_PROTOCOLS);
  const channels = new ChannelConnection(ws, { base64: protocol === V4_BASE64 || protocol === V1_BASE64, closeSignal: protocol === V5, idleTimeoutMs });
  const stdin = options.stdin ? channels.input(Channel.stdin) : undefined;
  const resize = channels.input(Channel.resize);
  // An empty message on the lowest output channel tells the client the streams are ready.
  channels.send(options.stdout ? Channel.stdout : options.stderr ? Channel.stderr : Channel.error, Buffer.alloc(0));
  const stdout = options.stdout ? channels.output(Channel.stdout) : undefined;
  const stderr = options.stderr ? channels.output(Channel.stderr) : undefined;
  const status = await runRemoteCommand(runtime, target, {
    tty: options.tty,
    ...(stdin ? { stdin } : {}),
    ...(stdout ? { stdout } : {}),
    ...(stderr ? { stderr } : {}),
    ...(options.tty ? { resize: terminalSizes(resize) } : {}),
  });
  // Output still queued must reach the client before the status that ends the session.
  await Promise.all([stdout, stderr].map((w) => w && finished(w.end()).catch(() => undefined)));
  const encoded = encodeStatus(status, protocol === V5 || protocol === V4 || protocol === V4_BASE64 ? 'json' : 'message');
  if (encoded) channels.send(Channel.error, encoded);
  channels.close();
  await channels.closed;
}
