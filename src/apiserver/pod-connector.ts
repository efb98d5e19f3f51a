// Pod streams (log, exec, attach, portforward) are served by the node agent that runs the pod: the
// API server checks the request, finds the agent's endpoint from the Node, and relays bytes both
// ways (an upgrade-aware proxy, as the Kubernetes API server does), authenticated by its own
// client certificate. Like Kubernetes without --kubelet-certificate-authority, it does not verify
// the agent's serving certificate (agents on other machines sign their own).

import https from 'node:https';
import tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Node, Pod } from '../api/types.js';
import { errors } from '../api/errors.js';
import type { Registry, UserInfo } from './registry.js';
import type { PodConnector } from './server.js';
import type { ResourceRequest } from './request-info.js';
import type { KeyPair } from './pki.js';

export interface KubeletClientCredentials {
  client: KeyPair;
}

interface Target {
  host: string;
  port: number;
  path: string;
}

const kubeletPaths: Record<string, string> = {
  log: 'containerLogs',
  exec: 'exec',
  attach: 'attach',
  portforward: 'portForward',
};

export class KubeletConnector implements PodConnector {
  constructor(
    private readonly registry: Registry,
    private readonly credentials: KubeletClientCredentials,
  ) {}

  private async target(r: ResourceRequest, query: URLSearchParams): Promise<Target> {
    const pods = this.registry.resourceByKind('v1', 'Pod');
    const pod = (await this.registry.get(pods, r.namespace, r.name)) as Pod;
    if (!pod.spec.nodeName) throw errors.badRequest(`pod ${r.name} does not have a host assigned`);
    let container = query.get('container') ?? '';
    if (r.subresource !== 'portforward' && !container) {
      const names = pod.spec.containers.map((c) => c.name);
      if (names.length === 1) container = names[0]!;
      else {
        const init = (pod.spec.initContainers ?? []).map((c) => c.name);
        throw errors.badRequest(
          `a container name must be specified for pod ${r.name}, choose one of: [${names.join(' ')}]${init.length ? ` or one of the init containers: [${init.join(' ')}]` : ''}`,
        );
      }
    }
    if (container) {
      const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])];
      if (!all.some((c) => c.name === container)) throw errors.badRequest(`container ${container} is not valid for pod ${r.name}`);
    }
    const node = (await this.registry.get(this.registry.resourceByKind('v1', 'Node'), '', pod.spec.nodeName)) as Node;
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    const address = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? node.status?.addresses?.[0]?.address;
    if (!port || !address) throw errors.serviceUnavailable(`node ${pod.spec.nodeName} has no reachable agent endpoint`);
    const forward = new URLSearchParams(query);
    forward.delete('container');
    forward.set('podUID', pod.metadata.uid!);
    const segments = [kubeletPaths[r.subresource]!, r.namespace, r.name, ...(container && r.subresource !== 'portforward' ? [container] : [])];
    return { host: address, port, path: `/${segments.map(encodeURIComponent).join('/')}?${forward.toString()}` };
  }

  async handle(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, query: URLSearchParams, user: UserInfo): Promise<void> {
    const target = await this.target(r, query);
    await new Promise<void>((resolve, reject) => {
      const upstream = https.request(
        {
          host: target.host,
          port: target.port,
          method: req.method,
          path: target.path,
          cert: this.credentials.client.certPem,
          key: this.credentials.client.keyPem,
          rejectUnauthorized: false,
          headers: { ...passHeaders(req), 'X-Remote-User': user.name },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.flushHeaders();
          up.pipe(res);
          up.on('end', resolve);
          up.on('error', reject);
        },
      );
      upstream.on('error', (err) => reject(errors.serviceUnavailable(`error dialing the node agent: ${err.message}`)));
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
  }

  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, r: ResourceRequest, query: URLSearchParams, user: UserInfo): Promise<void> {
    const target = await this.target(r, query);
    const upstream = tls.connect({
      host: target.host,
      port: target.port,
      cert: this.credentials.client.certPem,
      key: this.credentials.client.keyPem,
      rejectUnauthorized: false,
    });
    await new Promise<void>((resolve, reject) => {
      upstream.once('secureConnect', resolve);
      upstream.once('error', (err) => reject(errors.serviceUnavailable(`error dialing the node agent: ${err.message}`)));
    });
    const headers = { ...passHeaders(req), 'X-Remote-User': user.name, Host: `${target.host}:${target.port}` };
    const lines = [`${req.method} ${target.path} HTTP/1.1`, ...Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : [`${k}: ${v}`]))];
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', close);
    upstream.on('error', close);
    socket.on('close', close);
    upstream.on('close', close);
  }
}

const hopByHop = new Set(['host', 'authorization', 'content-length', 'transfer-encoding']);

function passHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || hopByHop.has(k)) continue;
    out[k] = v;
  }
  if (req.headers['content-length']) out['content-length'] = req.headers['content-length'];
  return out;
}
