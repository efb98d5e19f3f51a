// The node agent's streaming endpoints (/exec, /attach, /portForward): picks the transport the
// client asked for — WebSocket channels, SPDY, or SPDY tunnelled in a WebSocket — and serves the
// request over it, as the kubelet's streaming server does.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream } from 'ws';
import type { Pod } from '../../api/types.js';
import type { Runtime } from '../../runtime/types.js';
import type { StreamKind, StreamServer } from '../server.js';
import { remoteCommandOptions, runningContainer, type RemoteCommandTarget } from './remote-command.js';
import { serveRemoteCommandWebSocket } from './remote-command-websocket.js';
import { negotiateStreamProtocol, serveRemoteCommandSpdy, upgradeToSpdy } from './remote-command-spdy.js';
import { PORT_FORWARD_SPDY_PROTOCOLS, servePortForwardSpdy } from './port-forward-spdy.js';
import { forwardedPorts, servePortForwardWebSocket } from './port-forward-websocket.js';
import { SpdySession } from './spdy/session.js';
import { headerValues, isSpdyRequest, isWebSocketRequest, respondWithError, UpgradeError } from './upgrade.js';
import { acceptWebSocket } from './websocket.js';
import type { ForwardTarget } from './port-forward.js';

/** The WebSocket sub-protocol of kubectl ≥1.31's port-forward: SPDY frames in binary messages. */
export const SPDY_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

/** The kubelet's defaults (streamingConnectionIdleTimeout, and the stream creation timeout). */
const DEFAULT_IDLE_TIMEOUT_MS = 4 * 60 * 60 * 1000;
const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;

export interface StreamServerOptions {
  runtime: Runtime;
  /** The runtime id of a container of the pod (the kubelet's containerId). */
  containerId(pod: Pod, container: string): Promise<string | undefined>;
  /** The ready sandbox of the pod (the kubelet's sandboxId). */
  sandboxId(podUid: string): Promise<string | undefined>;
  idleTimeoutMs?: number;
  streamCreationTimeoutMs?: number;
}

export function createStreamServer(opts: StreamServerOptions): StreamServer {
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const streamCreationTimeoutMs = opts.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS;
  const timeouts = { idleTimeoutMs, streamCreationTimeoutMs };

  async function remoteCommand(kind: 'exec' | 'attach', req: IncomingMessage, socket: Duplex, head: Buffer, pod: Pod, container: string, query: URLSearchParams): Promise<void> {
    const options = remoteCommandOptions(query);
    const containerId = await runningContainer(opts.runtime, await opts.containerId(pod, container), container);
    const target: RemoteCommandTarget = { kind, containerId, command: query.getAll('command') };
    if (isWebSocketRequest(req)) return serveRemoteCommandWebSocket(opts.runtime, req, socket, head, options, target, idleTimeoutMs);
    if (isSpdyRequest(req)) return serveRemoteCommandSpdy(opts.runtime, req, socket, head, options, target, timeouts);
    throw new UpgradeError(400, 'unable to upgrade: missing upgrade headers in request');
  }

  async function portForward(req: IncomingMessage, socket: Duplex, head: Buffer, pod: Pod, query: URLSearchParams): Promise<void> {
    const sandboxId = await opts.sandboxId(pod.metadata.uid ?? '');
    if (!sandboxId) throw new UpgradeError(500, `pod not found ("${pod.metadata.name}_${pod.metadata.namespace}")`);
    const target: ForwardTarget = { runtime: opts.runtime, sandboxId };
    if (isWebSocketRequest(req)) {
      if (headerValues(req, 'sec-websocket-protocol').includes(SPDY_TUNNEL_PROTOCOL)) {
        const { ws } = await acceptWebSocket(req, socket, head, [SPDY_TUNNEL_PROTOCOL]);
        const session = new SpdySession(createWebSocketStream(ws), { role: 'server', idleTimeoutMs });
        return servePortForwardSpdy(session, target, streamCreationTimeoutMs);
      }
      return servePortForwardWebSocket(req, socket, head, forwardedPorts(query), target, idleTimeoutMs);
    }
    if (isSpdyRequest(req)) {
      const protocol = negotiateStreamProtocol(req, PORT_FORWARD_SPDY_PROTOCOLS);
      return servePortForwardSpdy(upgradeToSpdy(socket, head, protocol, idleTimeoutMs), target, streamCreationTimeoutMs);
    }
    throw new UpgradeError(400, 'unable to upgrade: missing upgrade headers in request');
  }

  return {
    async serve(kind: StreamKind, req, socket, head, { pod, container, query }) {
      socket.on('error', () => socket.destroy());
      try {
        if (kind === 'portForward') await portForward(req, socket, head, pod, query);
        else await remoteCommand(kind, req, socket, head, pod, container, query);
      } catch (err) {
        if (err instanceof UpgradeError) respondWithError(socket, err.code, err.message, err.headers);
        else socket.destroy(err as Error);
      }
    },
  };
}
