// The API server: HTTPS with client-certificate and bearer-token authentication, routing of
// non-resource paths (version, health, discovery, OpenAPI) and resource verbs to their handlers.

import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { findResource, type ResourceInfo } from '../api/resources.js';
import { KUBERNETES_VERSION } from '../version.js';
import { errors, ApiError } from '../api/errors.js';
import { OPENAPI_V2_PROTOBUF, openapiV2Json, openapiV2Protobuf, openapiV3Document, openapiV3Root } from '../api/openapi/index.js';
import type { Registry, UserInfo } from './registry.js';
import { Discovery } from './discovery.js';
import { parseRequestInfo, type ResourceRequest } from './request-info.js';
import { sendError, sendJson } from './http.js';
import { handleCreate, handleDelete, handleDeleteCollection, handleGet, handleList, handlePatch, handleUpdate, type RestContext } from './rest.js';
import { handleWatch } from './watch.js';
import { handleBinding, handleEviction, handleScale, handleTokenRequest } from './subresources.js';
import type { ServiceAccountTokens } from './service-account-tokens.js';
import { certificateIdentity } from './pki.js';
import { anonymousUser, createAuthorization, forbidden, requestAttributes, type Authorization } from './auth/index.js';

export { KUBERNETES_VERSION };

export interface Authenticator {
  /** The user a bearer token stands for, or undefined. */
  token(token: string): UserInfo | undefined;
}

/** Streams of a pod (log, exec, attach, portforward) served by the node agent running it. */
export interface PodConnector {
  handle(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, query: URLSearchParams, user: UserInfo): Promise<void>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, r: ResourceRequest, query: URLSearchParams, user: UserInfo): Promise<void>;
}

export interface ApiServerOptions {
  registry: Registry;
  tls: { cert: string; key: string; ca: string };
  authenticator: Authenticator;
  /** Address clients use (for /api serverAddressByClientCIDRs). */
  advertiseAddress: string;
  connector?: PodConnector;
  serviceAccountTokens: ServiceAccountTokens;
  /** Bootstrap tokens, authorizers and node admission (default: built from the registry). */
  authorization?: Authorization;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

export class ApiServer {
  readonly server: https.Server;
  private readonly discovery: Discovery;
  private readonly sockets = new Set<Duplex>();
  connector: PodConnector | undefined;
  readonly authorization: Authorization;

  constructor(private readonly options: ApiServerOptions) {
    this.discovery = new Discovery(options.advertiseAddress);
    this.connector = options.connector;
    this.authorization = options.authorization ?? createAuthorization(options.registry);
    options.registry.admission = this.authorization.admission;
    this.server = https.createServer(
      { cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca, requestCert: true, rejectUnauthorized: false },
      (req, res) => void this.handle(req, res),
    );
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 70_000;
    this.server.requestTimeout = 0;
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('upgrade', (req, socket, head) => void this.handleUpgrade(req, socket, head));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  /** A connection's client certificate never changes: its identity is read once per socket. */
  private readonly socketUsers = new WeakMap<TLSSocket, UserInfo | null>();

  private certificateUser(socket: TLSSocket): UserInfo | undefined {
    let user = this.socketUsers.get(socket);
    if (user === undefined) {
      const subject = socket.authorized ? socket.getPeerCertificate()?.subject : undefined;
      user = subject ? certificateIdentity(subject as unknown as Record<string, string>) : null;
      this.socketUsers.set(socket, user);
    }
    return user ?? undefined;
  }

  private authenticate(req: IncomingMessage): UserInfo | undefined {
    const fromCertificate = this.certificateUser(req.socket as TLSSocket);
    if (fromCertificate) return fromCertificate;
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      const token = header.slice(7).trim();
      const now = this.options.registry.clock.now();
      return this.options.authenticator.token(token) ?? this.authorization.bootstrapTokens.authenticate(token, now) ?? this.options.serviceAccountTokens.authenticate(token, now);
    }
    return undefined;
  }

  /**
   * Who asks: an authenticated user, or anonymous for a request that presents no credentials.
   * Anonymous requests may reach only the public paths and what the authorizer grants them
   * (cluster-info); anything else is 401, as is a credential that does not authenticate.
   */
  private identify(req: IncomingMessage, path: string): UserInfo {
    const user = this.authenticate(req);
    if (user) return user;
    if (!PUBLIC_PATHS.has(path) && req.headers.authorization !== undefined) throw errors.unauthorized();
    return anonymousUser;
  }

  /** Throws 401 (anonymous) or 403 unless the authorizer allows the request. */
  private authorize(req: IncomingMessage, user: UserInfo, path: string, info: ReturnType<typeof parseRequestInfo>, query: URLSearchParams): void {
    if (user === anonymousUser && info.kind !== 'resource' && PUBLIC_PATHS.has(path)) return;
    const attrs = requestAttributes(user, req.method ?? 'GET', path, info, query);
    const decision = this.authorization.authorizer.authorize(attrs);
    if (decision.decision === 'allow') return;
    if (user === anonymousUser) throw errors.unauthorized();
    throw forbidden(attrs, decision.reason);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://k8ts');
    const path = url.pathname;
    try {
      const user = this.identify(req, path);
      const info = parseRequestInfo(req.method ?? 'GET', path, url.searchParams);
      this.authorize(req, user, path, info, url.searchParams);
      if (await this.handleNonResource(req, res, path, url.searchParams)) return;
      if (info.kind !== 'resource') throw errors.routeNotFound();
      await this.handleResource(req, res, info, url.searchParams, user);
    } catch (err) {
      if (!(err instanceof ApiError)) this.options.log?.('request failed', { method: req.method, path, error: String((err as Error)?.stack ?? err) });
      sendError(res, err);
    }
  }

  private async handleNonResource(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean> {
    if (path === '/version') {
      sendJson(res, 200, {
        ...KUBERNETES_VERSION,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.24.0',
        compiler: 'gc',
        platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      });
      return true;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz' || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(query.has('verbose') ? `[+]ping ok\n[+]etcd ok\n${path.slice(1)} check passed\n` : 'ok');
      return true;
    }
    if (path === '/openapi/v3') {
      sendJson(res, 200, openapiV3Root());
      return true;
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiV3Document(path.slice('/openapi/v3/'.length));
      if (!doc) throw errors.routeNotFound();
      res.writeHead(200, { 'Content-Type': 'application/json', ETag: `"${doc.hash}"`, 'Cache-Control': query.has('hash') ? 'public, immutable' : 'no-cache, private' });
      res.end(doc.body);
      return true;
    }
    if (path === '/openapi/v2') {
      const accept = req.headers.accept ?? '';
      if (accept.includes('protobuf')) {
        res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF });
        res.end(openapiV2Protobuf());
      } else {
        sendJson(res, 200, openapiV2Json().body);
      }
      return true;
    }
    const doc = this.discovery.lookup(path, req.headers.accept);
    if (doc) {
      res.writeHead(200, { 'Content-Type': doc.contentType, 'Cache-Control': 'no-cache, private' });
      res.end(doc.body);
      return true;
    }
    return false;
  }

  private resolve(r: ResourceRequest): ResourceInfo {
    const info = findResource(r.group, r.version, r.resource);
    if (!info) throw errors.routeNotFound();
    if (!info.namespaced && r.namespace) throw errors.routeNotFound();
    if (r.subresource && !info.subresources.some((s) => s.name === r.subresource)) throw errors.routeNotFound();
    return info;
  }

  private async handleResource(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, query: URLSearchParams, user: UserInfo): Promise<void> {
    const info = this.resolve(r);
    const rc: RestContext = { registry: this.options.registry, user, now: () => this.options.registry.clock.now() };
    if (info.namespaced && !r.namespace && r.name) throw errors.routeNotFound();
    if (info.namespaced && !r.namespace && r.verb !== 'list' && r.verb !== 'watch') {
      throw errors.methodNotSupported(info, r.verb === 'create' ? 'create' : r.verb);
    }

    switch (r.subresource) {
      case '':
      case 'status':
      case 'approval':
      case 'finalize':
      case 'ephemeralcontainers':
        break;
      case 'scale':
        return handleScale(rc, req, res, info, r, query);
      case 'binding':
        if (r.verb !== 'create') throw errors.methodNotSupported(info, r.verb);
        return handleBinding(rc, req, res, info, r, query);
      case 'token':
        if (r.verb !== 'create') throw errors.methodNotSupported(info, r.verb);
        return handleTokenRequest(rc, req, res, info, r, this.options.serviceAccountTokens);
      case 'eviction':
        if (r.verb !== 'create') throw errors.methodNotSupported(info, r.verb);
        return handleEviction(rc, req, res, info, r, query);
      case 'log':
      case 'exec':
      case 'attach':
      case 'portforward':
        if (!this.connector) throw errors.serviceUnavailable('no node agent connection is available for pod streams');
        return this.connector.handle(req, res, r, query, user);
      default:
        throw errors.methodNotSupported(info, r.verb);
    }
    if (r.subresource === 'finalize' && r.verb !== 'update') throw errors.methodNotSupported(info, r.verb);

    switch (r.verb) {
      case 'get':
        return handleGet(rc, req, res, info, r, query);
      case 'list':
        return handleList(rc, req, res, info, r, query);
      case 'watch':
        return handleWatch(rc, req, res, info, r, query);
      case 'create':
        if (r.name) throw errors.methodNotSupported(info, 'create');
        return handleCreate(rc, req, res, info, r, query);
      case 'update':
        return handleUpdate(rc, req, res, info, r, query);
      case 'patch':
        return handlePatch(rc, req, res, info, r, query);
      case 'delete':
        return handleDelete(rc, req, res, info, r, query);
      case 'deletecollection':
        return handleDeleteCollection(rc, req, res, info, r, query);
      default:
        throw errors.methodNotSupported(info, r.verb);
    }
  }

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://k8ts');
    try {
      const user = this.authenticate(req);
      if (!user) throw errors.unauthorized();
      const info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
      this.authorize(req, user, url.pathname, info, url.searchParams);
      if (info.kind !== 'resource' || !['exec', 'attach', 'portforward'].includes(info.subresource)) throw errors.routeNotFound();
      this.resolve(info);
      if (!this.connector) throw errors.serviceUnavailable('no node agent connection is available for pod streams');
      await this.connector.upgrade(req, socket, head, info, url.searchParams, user);
    } catch (err) {
      const api = err instanceof ApiError ? err : errors.internal(String(err));
      const body = JSON.stringify(api.status);
      socket.end(`HTTP/1.1 ${api.code} ${api.reason ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
  }
}
