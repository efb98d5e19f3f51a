// Accepting a WebSocket with one of the sub-protocols a streaming endpoint speaks. The client's
// order of preference decides. `ws` rejects a Sec-WebSocket-Protocol that is not a list of
// tokens, and the port-forward tunnel of kubectl ≥1.31 offers `SPDY/3.1+portforward.k8s.io` ('/'
// is not a token character): such a protocol is taken off the request before `ws` sees it and put
// back on the 101 response.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { headerValues, negotiate, UpgradeError } from './upgrade.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const chosen = new WeakMap<IncomingMessage, string>();
const restored = new WeakMap<IncomingMessage, string>();

const server = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  clientTracking: false,
  handleProtocols: (_offered, req) => chosen.get(req) ?? false,
});
server.on('headers', (headers, req) => {
  const protocol = restored.get(req);
  if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
});

export interface AcceptedWebSocket {
  ws: WebSocket;
  /** The negotiated sub-protocol, '' when the client offered none. */
  protocol: string;
}

export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, supported: readonly string[]): Promise<AcceptedWebSocket> {
  const offered = headerValues(req, 'sec-websocket-protocol');
  const protocol = offered.length ? negotiate(offered, supported) : '';
  if (protocol === undefined) {
    throw new UpgradeError(403, `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]`);
  }
  if (offered.some((p) => !TOKEN.test(p))) {
    delete req.headers['sec-websocket-protocol'];
    if (protocol) restored.set(req, protocol);
  } else if (protocol) {
    chosen.set(req, protocol);
  }
  return new Promise((resolve, reject) => {
    // `ws` answers a malformed handshake itself and never calls back.
    const abandoned = () => reject(new Error('the WebSocket handshake failed'));
    socket.once('close', abandoned);
    server.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', abandoned);
      resolve({ ws, protocol });
    });
  });
}
