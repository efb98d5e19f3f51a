// How probes and lifecycle hooks reach a pod: plain HTTP(S), TCP and gRPC health checks from the
// node. The seam lets tests and other network setups replace the host's sockets. Failures are
// reported with the texts Go's net/http and net packages produce, because Kubernetes puts them
// verbatim into events.

import { KUBERNETES_MINOR_VERSION } from '../version.js';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';

export interface HttpGetRequest {
  scheme: 'HTTP' | 'HTTPS';
  host: string;
  port: number;
  path: string;
  headers: [string, string][];
  timeoutMs: number;
  /** Follow redirects that stay on the same host name (at most 10); others are returned as they came. */
  followRedirects: boolean;
  /** Cancels the request (rejects with `context canceled`). */
  signal?: AbortSignal;
}

export interface HttpGetResponse {
  statusCode: number;
  /** At most MAX_BODY_BYTES; the rest is not read. */
  body: Buffer;
  location?: string;
}

export type GrpcServingStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN';

export interface ProbeNetwork {
  /** Rejects on connect error or timeout with the message Kubernetes would show. */
  httpGet(req: HttpGetRequest): Promise<HttpGetResponse>;
  /** Rejects with Go's dial error text (`dial tcp 10.0.0.5:80: connect: connection refused`). */
  tcpConnect(host: string, port: number, timeoutMs: number): Promise<void>;
  /** Rejects with a GrpcCheckError. */
  grpcHealthCheck(host: string, port: number, service: string, timeoutMs: number): Promise<GrpcServingStatus>;
}

/** Why a gRPC health check produced no serving status. */
export type GrpcFailureKind = 'connect-timeout' | 'connect' | 'unimplemented' | 'deadline' | 'rpc';

export class GrpcCheckError extends Error {
  constructor(
    readonly kind: GrpcFailureKind,
    /** The transport's or server's own words. */
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'GrpcCheckError';
  }
}

export const MAX_BODY_BYTES = 10 * 1024;
const MAX_REDIRECTS = 10;

/** `host:port`, with brackets around IPv6 addresses (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function formatUrl(scheme: 'HTTP' | 'HTTPS', host: string, port: number, path: string): string {
  const rest = path === '' || path.startsWith('/') ? path : `/${path}`;
  return `${scheme.toLowerCase()}://${joinHostPort(host, port)}${rest}`;
}

function dialErrorText(err: NodeJS.ErrnoException, address: string): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${address}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${address}: connect: network is unreachable`;
    case 'ETIMEDOUT':
      return `dial tcp ${address}: i/o timeout`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${address.replace(/:\d+$/, '')}: no such host`;
    case 'ECONNRESET':
      return `read tcp ${address}: read: connection reset by peer`;
    default:
      return `dial tcp ${address}: ${err.message}`;
  }
}

function headerObject(headers: [string, string][]): http.OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else if (name.toLowerCase() === 'host') continue;
    else out[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

interface OneResponse {
  statusCode: number;
  body: Buffer;
  location?: string;
}

function requestOnce(url: URL, headers: http.OutgoingHttpHeaders, deadline: number, urlText: string, signal: AbortSignal | undefined): Promise<OneResponse> {
  return new Promise((resolve, reject) => {
    const isHttps = url.protocol === 'https:';
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (isHttps ? 443 : 80));
    const address = joinHostPort(hostname, port);
    let gotHeaders = false;
    let settled = false;
    const onAbort = () => fail('context canceled');
    const done = () => {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (message: string) => {
      if (settled) return;
      done();
      req.destroy();
      reject(new Error(`Get "${urlText}": ${message}`));
    };
    const options: https.RequestOptions = {
      method: 'GET',
      hostname,
      port,
      path: `${url.pathname}${url.search}`,
      headers,
      agent: false,
      ...(isHttps ? { rejectUnauthorized: false, ...(net.isIP(hostname) ? {} : { servername: hostname }) } : {}),
    };
    const req = (isHttps ? https : http).request(options, (res) => {
      gotHeaders = true;
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        if (settled) return;
        done();
        res.destroy();
        req.destroy();
        const location = res.headers.location;
        resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES), ...(location ? { location } : {}) });
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_BODY_BYTES) finish();
      });
      res.on('end', finish);
      res.on('error', () => finish());
    });
    const timer = setTimeout(() => {
      fail(gotHeaders
        ? 'context deadline exceeded (Client.Timeout or context cancellation while reading body)'
        : 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)');
    }, Math.max(0, deadline - Date.now()));
    timer.unref();
    if (signal?.aborted) return fail('context canceled');
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (isHttps && (err.code === 'EPROTO' || /wrong version number|packet length too long/.test(err.message))) {
        fail('http: server gave HTTP response to HTTPS client');
      } else if (err.code === 'ECONNRESET' && !gotHeaders) fail('EOF');
      else fail(dialErrorText(err, address));
    });
    req.end();
  });
}

function isRedirect(code: number): boolean {
  return code === 301 || code === 302 || code === 303 || code === 307 || code === 308;
}

async function httpGet(req: HttpGetRequest): Promise<HttpGetResponse> {
  const deadline = Date.now() + req.timeoutMs;
  const headers = headerObject(req.headers);
  const first = formatUrl(req.scheme, req.host, req.port, req.path);
  let urlText = first;
  let url = new URL(first);
  for (let hops = 0; ; hops++) {
    const res = await requestOnce(url, headers, deadline, urlText, req.signal);
    if (!req.followRedirects || !isRedirect(res.statusCode) || res.location === undefined) return res;
    const next = new URL(res.location, url);
    if (next.hostname !== url.hostname || (next.protocol !== 'http:' && next.protocol !== 'https:')) return res;
    if (hops + 1 >= MAX_REDIRECTS) throw new Error(`Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects`);
    url = next;
    urlText = next.href;
  }
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  const address = joinHostPort(host, port);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`dial tcp ${address}: i/o timeout`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(dialErrorText(err, address)));
    });
  });
}

// grpc.health.v1: HealthCheckRequest { string service = 1; } and
// HealthCheckResponse { ServingStatus status = 1; } are small enough to encode by hand.
const SERVING_STATUS: GrpcServingStatus[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

function encodeVarint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

export interface HealthCheckRequest {
  service: string;
}

export function encodeHealthCheckRequest({ service }: HealthCheckRequest): Buffer {
  if (service === '') return Buffer.alloc(0);
  const text = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a, ...encodeVarint(text.length)]), text]);
}

function readVarint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= buf.length) throw new Error('truncated varint');
    const byte = buf[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, at];
    shift += 7;
  }
}

export function decodeHealthCheckResponse(buf: Buffer): GrpcServingStatus {
  let status = 0;
  let at = 0;
  while (at < buf.length) {
    const [key, afterKey] = readVarint(buf, at);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    at = afterKey;
    if (wire === 0) {
      const [value, next] = readVarint(buf, at);
      if (field === 1) status = value;
      at = next;
    } else if (wire === 2) {
      const [length, next] = readVarint(buf, at);
      at = next + length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return SERVING_STATUS[status] ?? 'UNKNOWN';
}

function grpcHealthCheck(host: string, port: number, service: string, timeoutMs: number): Promise<GrpcServingStatus> {
  const deadline = new Date(Date.now() + timeoutMs);
  const client = new grpc.Client(joinHostPort(host, port), grpc.credentials.createInsecure(), {
    'grpc.primary_user_agent': `kube-probe/${KUBE_VERSION}`,
  });
  return new Promise<GrpcServingStatus>((resolve, reject) => {
    client.waitForReady(deadline, (connectError) => {
      if (connectError) {
        const timedOut = /deadline/i.test(connectError.message);
        reject(new GrpcCheckError(timedOut ? 'connect-timeout' : 'connect', timedOut ? 'context deadline exceeded' : connectError.message));
        return;
      }
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        encodeHealthCheckRequest,
        decodeHealthCheckResponse,
        { service },
        new grpc.Metadata(),
        { deadline },
        (err, value) => {
          if (!err) return resolve(value ?? 'UNKNOWN');
          if (err.code === grpc.status.UNIMPLEMENTED) reject(new GrpcCheckError('unimplemented', err.details));
          else if (err.code === grpc.status.DEADLINE_EXCEEDED) reject(new GrpcCheckError('deadline', err.details));
          else reject(new GrpcCheckError('rpc', `rpc error: code = ${grpcCodeName(err.code)} desc = ${err.details}`));
        },
      );
    });
  }).finally(() => client.close());
}

function grpcCodeName(code: number): string {
  const name = grpc.status[code] ?? String(code);
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')
    .replace(/^Ok$/, 'OK');
}

/** `<major>.<minor>` of the Kubernetes release k8ts implements (User-Agent `kube-probe/1.33`). */
export const KUBE_VERSION = KUBERNETES_MINOR_VERSION;

/** Probes and hooks from the node's own network stack. */
export const hostNetwork: ProbeNetwork = { httpGet, tcpConnect, grpcHealthCheck };
