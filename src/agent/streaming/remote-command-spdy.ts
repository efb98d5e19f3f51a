// exec and attach over SPDY: the client opens one stream per standard stream, named by the
// streamType header; the command runs once all expected streams are there.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Runtime } from '../../runtime/types.js';
import { SpdySession, type SpdyStream } from './spdy/session.js';
import { runRemoteCommand, terminalSizes, type RemoteCommandOptions, type RemoteCommandTarget } from './remote-command.js';
import { encodeStatus } from './status.js';
import { headerValues, negotiate, respondSwitchingProtocols, SPDY_UPGRADE, UpgradeError } from './upgrade.js';

const V4 = 'v4.channel.k8s.io';
const V3 = 'v3.channel.k8s.io';
const V2 = 'v2.channel.k8s.io';
const V1 = 'channel.k8s.io';

/** In the kubelet's order; v5 adds nothing over SPDY, so clients offering it get v4. */
export const REMOTE_COMMAND_SPDY_PROTOCOLS = [V4, V3, V2, V1] as const;

type StreamType = 'stdin' | 'stdout' | 'stderr' | 'error' | 'resize';
const STREAM_TYPES: readonly string[] = ['stdin', 'stdout', 'stderr', 'error', 'resize'];

export interface SpdyTimeouts {
  idleTimeoutMs: number;
  streamCreationTimeoutMs: number;
}

/** X-Stream-Protocol-Version negotiation; throws the kubelet's 400/403 answers. */
export function negotiateStreamProtocol(req: IncomingMessage, supported: readonly string[]): string {
  const offered = headerValues(req, 'x-stream-protocol-version');
  if (!offered.length) throw new UpgradeError(400, 'unable to upgrade: X-Stream-Protocol-Version is required');
  const protocol = negotiate(offered, supported);
  if (!protocol) {
    throw new UpgradeError(
      403,
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`,
      supported.map((p) => ['X-Accepted-Stream-Protocol-Versions', p]),
    );
  }
  return protocol;
}

export function upgradeToSpdy(socket: Duplex, head: Buffer, protocol: string, idleTimeoutMs: number): SpdySession {
  respondSwitchingProtocols(socket, [
    ['Connection', 'Upgrade'],
    ['Upgrade', SPDY_UPGRADE],
    ['X-Stream-Protocol-Version', protocol],
  ]);
  return new SpdySession(socket, { role: 'server', idleTimeoutMs, head });
}

export async function serveRemoteCommandSpdy(
  runtime: Runtime,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: RemoteCommandOptions,
  target: RemoteCommandTarget,
  timeouts: SpdyTimeouts,
): Promise<void> {
  const protocol = negotiateStreamProtocol(req, REMOTE_COMMAND_SPDY_PROTOCOLS);
  const session = upgradeToSpdy(socket, head, protocol, timeouts.idleTimeoutMs);
  const resizable = options.tty && (protocol === V4 || protocol === V3);
  const expected = 1 + Number(options.stdin) + Number(options.stdout) + Number(options.stderr) + Number(resizable);
  const streams = await collectStreams(session, expected, timeouts.streamCreationTimeoutMs).catch(() => undefined);
  if (!streams) {
    session.destroy();
    return;
  }
  // The first protocol version closed stdin at once; its clients never sent any.
  if (protocol === V1) streams.stdin?.end();
  const status = await runRemoteCommand(runtime, target, {
    tty: options.tty,
    ...(streams.stdin ? { stdin: streams.stdin } : {}),
    ...(streams.stdout ? { stdout: streams.stdout } : {}),
    ...(streams.stderr ? { stderr: streams.stderr } : {}),
    ...(streams.resize && resizable ? { resize: terminalSizes(streams.resize) } : {}),
  });
  const encoded = encodeStatus(status, protocol === V4 ? 'json' : 'message');
  if (encoded) streams.error?.write(encoded);
  // Our halves are closed once queued output is out; the client's stdin may stay open.
  await Promise.all(Object.values(streams).map((s) => finished(s.end(), { readable: false }).catch(() => undefined)));
  session.close();
}

function collectStreams(session: SpdySession, expected: number, timeoutMs: number): Promise<Partial<Record<StreamType, SpdyStream>>> {
  return new Promise((resolve, reject) => {
    const streams: Partial<Record<StreamType, SpdyStream>> = {};
    let received = 0;
    const timer = setTimeout(() => done(new Error('timed out waiting for client to create streams')), timeoutMs);
    const onStream = (stream: SpdyStream) => {
      const type = stream.header('streamtype') ?? '';
      // A stream's failure ends that stream; the command's status still goes out on the others.
      stream.on('error', () => stream.destroy());
      stream.accept();
      if (!STREAM_TYPES.includes(type)) return;
      streams[type as StreamType] = stream;
      if (++received === expected) done();
    };
    const onClose = () => done(new Error('the client closed the connection'));
    const done = (err?: Error) => {
      clearTimeout(timer);
      session.off('stream', onStream);
      session.off('close', onClose);
      if (err) reject(err);
      else resolve(streams);
    };
    session.on('stream', onStream);
    session.on('close', onClose);
  });
}
