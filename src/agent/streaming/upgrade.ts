// The HTTP side of a streaming request, before and at the protocol switch: which upgrade the client
// asks for, sub-protocol negotiation as Kubernetes does it, and raw responses on the socket.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export const SPDY_UPGRADE = 'SPDY/3.1';

/** The values of a comma-separated request header, over all its occurrences. */
export function headerValues(req: IncomingMessage, name: string): string[] {
  const raw = req.headers[name.toLowerCase()];
  const lines = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return lines.flatMap((l) => l.split(',')).map((v) => v.trim()).filter(Boolean);
}

export function isWebSocketRequest(req: IncomingMessage): boolean {
  return headerValues(req, 'connection').some((v) => v.toLowerCase() === 'upgrade') && headerValues(req, 'upgrade').some((v) => v.toLowerCase() === 'websocket');
}

export function isSpdyRequest(req: IncomingMessage): boolean {
  const connection = (req.headers.connection ?? '').toLowerCase();
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  return connection.includes('upgrade') && upgrade.includes(SPDY_UPGRADE.toLowerCase());
}

/** The first protocol the client offers that the server supports (the client's preference wins). */
export function negotiate(offered: string[], supported: readonly string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

/** Answers like Go's http.Error: plain text, the message and a newline, then closes. */
export function respondWithError(socket: Duplex, code: number, message: string, extraHeaders: [string, string][] = []): void {
  const body = `${message}\n`;
  const head = [
    `HTTP/1.1 ${code} ${STATUS_TEXT[code] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    'X-Content-Type-Options: nosniff',
    ...extraHeaders.map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

export function respondSwitchingProtocols(socket: Duplex, headers: [string, string][]): void {
  const head = ['HTTP/1.1 101 Switching Protocols', ...headers.map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${head.join('\r\n')}\r\n\r\n`);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
};

/** A failure answered before the protocol switch, as plain text (what the kubelet does). */
export class UpgradeError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly headers: [string, string][] = [],
  ) {
    super(message);
    this.name = 'UpgradeError';
  }
}
