// The node agent's own HTTPS endpoint, reached only by the API server (client certificate of the
// cluster CA): container logs, and the streaming endpoints exec, attach and portForward.

import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Pod } from '../api/types.js';
import { ContainerLogError } from '../kubelet/logs.js';
import { ApiError, errors } from '../api/errors.js';
import { readCriLog } from '../runtime/cri-log.js';
import { sendError } from '../apiserver/http.js';
import type { Kubelet } from '../kubelet/kubelet.js';
import type { Runtime } from '../runtime/types.js';
import type { KeyPair } from '../apiserver/pki.js';

export type StreamKind = 'exec' | 'attach' | 'portForward';

/** Serves an upgraded exec/attach/portForward connection (WebSocket or SPDY). */
export interface StreamServer {
  serve(kind: StreamKind, req: IncomingMessage, socket: Duplex, head: Buffer, target: { pod: Pod; container: string; query: URLSearchParams }): Promise<void>;
}

export interface AgentServerOptions {
  kubelet: Kubelet;
  runtime: Runtime;
  /** The pods bound to this node, by namespace and name. */
  pod(namespace: string, name: string): Pod | undefined;
  tls: { ca: string; serving: KeyPair };
  streams?: StreamServer;
}

export class AgentServer {
  readonly server: https.Server;

  constructor(private readonly opts: AgentServerOptions) {
    this.server = https.createServer(
      { cert: opts.tls.serving.certPem, key: opts.tls.serving.keyPem, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: true },
      (req, res) => void this.handle(req, res).catch((err) => sendError(res, err)),
    );
    this.server.on('upgrade', (req, socket, head) => void this.handleUpgrade(req, socket, head));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private route(url: URL): { kind: string; pod: Pod; container: string } {
    const [kind = '', namespace = '', name = '', container = ''] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const pod = this.opts.pod(namespace, name);
    const uid = url.searchParams.get('podUID');
    if (!pod || (uid && pod.metadata.uid !== uid)) throw errors.notFound({ group: '', resource: 'pods' }, name);
    return { kind, pod, container };
  }

  /** Only the API server (or a cluster administrator) may reach pods through the agent. */
  private authorize(req: IncomingMessage): void {
    const socket = req.socket as TLSSocket;
    if (!socket.authorized) throw errors.unauthorized();
    const subject = socket.getPeerCertificate().subject as unknown as Record<string, string | string[]>;
    const groups = ([] as string[]).concat(subject.O ?? []);
    if (subject.CN !== 'kube-apiserver-kubelet-client' && !groups.includes('system:masters')) {
      throw errors.forbidden({ group: '', resource: 'nodes' }, '', `User "${subject.CN}" cannot reach the node agent`);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.authorize(req);
    const url = new URL(req.url ?? '/', 'https://agent');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const { kind, pod, container } = this.route(url);
    if (kind === 'containerLogs') return this.logs(res, pod, container, url.searchParams);
    if (kind === 'exec' || kind === 'attach' || kind === 'portForward') throw errors.badRequest('Upgrade request required');
    throw errors.routeNotFound();
  }

  private async logs(res: ServerResponse, pod: Pod, container: string, q: URLSearchParams): Promise<void> {
    const previous = q.get('previous') === 'true';
    let path: string;
    try {
      path = await this.opts.kubelet.logPath(pod.metadata.uid!, container, previous);
    } catch (err) {
      if (err instanceof ContainerLogError) throw errors.badRequest(err.message);
      throw err;
    }
    const sinceSeconds = q.get('sinceSeconds');
    const sinceTime = q.get('sinceTime');
    const tailLines = q.get('tailLines');
    const limitBytes = q.get('limitBytes');
    const follow = q.get('follow') === 'true' && !previous;
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const { kubelet, runtime } = this.opts;
    try {
      await readCriLog(path, res, {
        ...(tailLines ? { tailLines: Number(tailLines) } : {}),
        ...(sinceSeconds ? { sinceTime: Date.now() - Number(sinceSeconds) * 1000 } : sinceTime ? { sinceTime: Date.parse(sinceTime) } : {}),
        ...(limitBytes ? { limitBytes: Number(limitBytes) } : {}),
        timestamps: q.get('timestamps') === 'true',
        follow,
        isRunning: async () => {
          const id = await kubelet.containerId(pod, container);
          if (!id) return false;
          const state = await runtime.containerStatus(id).then((c) => c.state, () => 'UNKNOWN');
          return state === 'RUNNING' || state === 'CREATED';
        },
        signal: abort.signal,
      });
    } catch (err) {
      if (!abort.signal.aborted && !(err instanceof ApiError)) res.write(`\nerror reading the log: ${(err as Error).message}\n`);
    }
    res.end();
  }

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      this.authorize(req);
      const url = new URL(req.url ?? '/', 'https://agent');
      const { kind, pod, container } = this.route(url);
      if (kind !== 'exec' && kind !== 'attach' && kind !== 'portForward') throw errors.routeNotFound();
      if (!this.opts.streams) throw errors.serviceUnavailable('streaming is not available on this node');
      await this.opts.streams.serve(kind, req, socket, head, { pod, container, query: url.searchParams });
    } catch (err) {
      const api = err instanceof ApiError ? err : errors.internal(String(err));
      const body = JSON.stringify(api.status);
      socket.end(`HTTP/1.1 ${api.code} ${api.reason ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
  }
}
