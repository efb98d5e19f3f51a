// The typed REST client every component uses (scheduler, controllers, node agents): HTTPS with a
// client certificate or bearer token, Status errors surfaced as ApiError, and watch streams.

import https from 'node:https';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { KubeObject, KubeList } from '../api/types.js';
import { groupVersion, findKind, type ResourceInfo } from '../api/resources.js';
import { ApiError, errors, type Status } from '../api/errors.js';

export interface ClientConfig {
  /** https://host:port */
  server: string;
  ca: string;
  cert?: string;
  key?: string;
  token?: string;
  userAgent?: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface WatchEventOf<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface WatchStream {
  /** Ends the watch. */
  stop(): void;
  /** Resolves when the stream ended (server timeout, error or stop). */
  done: Promise<void>;
}

export function resourcePath(info: ResourceInfo, namespace?: string, name?: string, subresource?: string): string {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.resource}${name ? `/${encodeURIComponent(name)}` : ''}${subresource ? `/${subresource}` : ''}`;
}

/** Connections kept for ordinary requests; more concurrent requests wait for one of them. */
const REQUEST_SOCKETS = 64;

export class ApiClient {
  /** Short requests: a bounded keep-alive pool, so a burst reuses connections instead of opening one per request. */
  private readonly agent: https.Agent;
  /** Watches hold their connections for minutes: in a pool of their own they never starve requests. */
  private readonly watchAgent: https.Agent;
  private readonly url: URL;

  constructor(readonly config: ClientConfig) {
    this.url = new URL(config.server);
    // One parsed CA, certificate and key for every connection (building a context per socket costs about a millisecond).
    const secureContext = tls.createSecureContext({ ca: config.ca, cert: config.cert, key: config.key });
    this.agent = new https.Agent({ keepAlive: true, maxSockets: REQUEST_SOCKETS, maxFreeSockets: REQUEST_SOCKETS, secureContext, ca: config.ca });
    this.watchAgent = new https.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 16, secureContext, ca: config.ca });
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  private open(method: string, path: string, options: RequestOptions, agent = this.agent): Promise<IncomingMessage> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) query.set(k, String(v));
    const qs = query.toString();
    const body =
      options.body === undefined ? undefined : typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
    const headers: Record<string, string> = {
      Accept: options.accept ?? 'application/json',
      'User-Agent': this.config.userAgent ?? 'k8ts',
    };
    if (body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`;
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: this.url.hostname, port: this.url.port, method, path: qs ? `${path}?${qs}` : path, headers, agent, signal: options.signal },
        resolve,
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A request whose JSON answer is returned; non-2xx answers throw ApiError. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.open(method, path, options);
    const text = await readText(res);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw toError(code, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Raw text answer (logs). */
  async text(path: string, options: RequestOptions = {}): Promise<string> {
    const res = await this.open('GET', path, { accept: '*/*', ...options });
    const text = await readText(res);
    if ((res.statusCode ?? 0) >= 300) throw toError(res.statusCode ?? 0, text);
    return text;
  }

  get<T extends KubeObject>(info: ResourceInfo, namespace: string, name: string): Promise<T> {
    return this.request<T>('GET', resourcePath(info, namespace, name));
  }

  list<T extends KubeObject>(info: ResourceInfo, namespace?: string, query: RequestOptions['query'] = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', resourcePath(info, namespace), { query });
  }

  create<T extends KubeObject>(info: ResourceInfo, namespace: string, obj: KubeObject, query: RequestOptions['query'] = {}): Promise<T> {
    return this.request<T>('POST', resourcePath(info, namespace), { body: { apiVersion: groupVersion(info), kind: info.kind, ...obj }, query });
  }

  update<T extends KubeObject>(info: ResourceInfo, obj: KubeObject, subresource?: string): Promise<T> {
    return this.request<T>('PUT', resourcePath(info, obj.metadata.namespace, obj.metadata.name, subresource), {
      body: { apiVersion: groupVersion(info), kind: info.kind, ...obj },
    });
  }

  patch<T extends KubeObject>(
    info: ResourceInfo,
    namespace: string,
    name: string,
    patch: unknown,
    type: 'merge' | 'strategic' | 'json' = 'merge',
    subresource?: string,
    query: RequestOptions['query'] = {},
  ): Promise<T> {
    const contentType = { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json', json: 'application/json-patch+json' }[type];
    return this.request<T>('PATCH', resourcePath(info, namespace, name, subresource), { body: patch, contentType, query });
  }

  delete(info: ResourceInfo, namespace: string, name: string, options: Record<string, unknown> = {}): Promise<unknown> {
    return this.request('DELETE', resourcePath(info, namespace, name), { body: { kind: 'DeleteOptions', apiVersion: 'v1', ...options } });
  }

  /** Streams watch events until stopped or the server ends the stream. */
  watch<T>(path: string, query: RequestOptions['query'], onEvent: (e: WatchEventOf<T>) => void): WatchStream {
    const controller = new AbortController();
    // Once the whole response has arrived (`complete`, possibly before its events are read), its
    // keep-alive socket is back in the agent's pool: aborting then would destroy that idle socket
    // with an AbortError no one listens for, an uncaught exception. Stop delivering instead.
    let response: IncomingMessage | undefined;
    let stopped = false;
    const done = (async () => {
      const res = await this.open('GET', path, { query: { ...query, watch: 'true' }, signal: controller.signal }, this.watchAgent);
      response = res;
      if ((res.statusCode ?? 0) >= 300) throw toError(res.statusCode ?? 0, await readText(res));
      // Lines are cut from the bytes (a newline is never inside a UTF-8 sequence), then decoded.
      let partial: Buffer[] = [];
      for await (const chunk of res) {
        const bytes = chunk as Buffer;
        let from = 0;
        let nl: number;
        while ((nl = bytes.indexOf(NEWLINE, from)) >= 0) {
          const piece = bytes.subarray(from, nl);
          const line = (partial.length ? Buffer.concat([...partial, piece]) : piece).toString('utf8');
          partial = [];
          from = nl + 1;
          if (!stopped && line.trim()) onEvent(JSON.parse(line) as WatchEventOf<T>);
        }
        if (from < bytes.length) partial.push(bytes.subarray(from));
      }
    })().catch((err: unknown) => {
      if (controller.signal.aborted) return;
      throw err;
    });
    return {
      stop: () => {
        stopped = true;
        if (!response?.complete) controller.abort();
      },
      done,
    };
  }

  /** The resource for an apiVersion/kind. */
  static resourceOf(apiVersion: string, kind: string): ResourceInfo {
    const info = findKind(apiVersion, kind);
    if (!info) throw errors.internal(`unknown kind ${apiVersion} ${kind}`);
    return info;
  }
}

const NEWLINE = 0x0a;

/** The whole body of an answer as text. */
function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(new Error('the connection closed before the answer was complete'));
    });
  });
}

function toError(code: number, text: string): ApiError {
  try {
    const status = JSON.parse(text) as Status;
    if (status && status.kind === 'Status') return new ApiError(status.code ?? code, status.reason, status.message ?? '', status.details);
  } catch {
    // not a Status: fall through
  }
  return new ApiError(code, undefined, text || `request failed with status ${code}`);
}
