// Port forwarding over SPDY (portforward.k8s.io), raw or tunnelled in a WebSocket: for each
// forwarded connection the client opens an error stream and a data stream that share a requestID
// and name the port.

import type { SpdySession, SpdyStream } from './spdy/session.js';
import { forwardConnection, parsePort, type ForwardTarget } from './port-forward.js';

export const PORT_FORWARD_SPDY_PROTOCOLS = ['portforward.k8s.io'] as const;

interface StreamPair {
  requestId: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** Serves forwarded connections until the session closes. */
export function servePortForwardSpdy(session: SpdySession, target: ForwardTarget, streamCreationTimeoutMs: number): Promise<void> {
  const pairs = new Map<string, StreamPair>();
  session.on('stream', (stream) => {
    stream.on('error', () => stream.destroy());
    if (invalidHeaders(stream)) {
      stream.refuse();
      return;
    }
    stream.accept();
    const requestId = requestIdOf(stream);
    let pair = pairs.get(requestId);
    if (!pair) {
      const created: StreamPair = {
        requestId,
        timer: setTimeout(() => {
          created.error?.end(`(request=${requestId}) timed out waiting for streams`);
          created.data?.end();
          pairs.delete(requestId);
        }, streamCreationTimeoutMs),
      };
      pair = created;
      pairs.set(requestId, pair);
    }
    const type = stream.header('streamtype') as 'data' | 'error';
    if (pair[type]) {
      const message = `error processing stream for request ${requestId}: ${type} stream already assigned`;
      pair.error?.write(message);
      stream.refuse();
      return;
    }
    pair[type] = stream;
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      pairs.delete(requestId);
      void forward(target, pair.data, pair.error);
    }
  });
  return new Promise((resolve) =>
    session.once('close', () => {
      for (const pair of pairs.values()) clearTimeout(pair.timer);
      resolve();
    }),
  );
}

async function forward(target: ForwardTarget, data: SpdyStream, error: SpdyStream): Promise<void> {
  // The client writes nothing on the error stream; reading it lets its FIN through.
  error.resume();
  await forwardConnection(target, Number(data.header('port')), data, error);
  data.end();
  error.end();
}

/** Why the kubelet would refuse the stream (it only logs the reason), or undefined. */
function invalidHeaders(stream: SpdyStream): string | undefined {
  const port = stream.header('port');
  if (!port) return '"port" header is required';
  try {
    parsePort(port);
  } catch (err) {
    return (err as Error).message;
  }
  const type = stream.header('streamtype');
  if (!type) return '"streamType" header is required';
  if (type !== 'data' && type !== 'error') return `invalid stream type "${type}"`;
  return undefined;
}

/** Clients before requestID paired streams by id: error n, data n+2. */
function requestIdOf(stream: SpdyStream): string {
  const id = stream.header('requestid');
  if (id) return id;
  return String(stream.header('streamtype') === 'error' ? stream.id : stream.id - 2);
}
