// A node agent as an API client: registers its Node, renews its Lease, watches the pods bound to it
// and hands them to the kubelet core, writes their status and events back, and serves their logs
// and streams to the API server.

import type { Pod } from '../api/types.js';
import { ApiClient } from '../client/client.js';
import { Informer } from '../client/informer.js';
import { Kubelet } from '../kubelet/kubelet.js';
import { hostNetwork, type ProbeNetwork } from '../kubelet/network.js';
import type { Runtime, DnsConfig } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { KeyPair } from '../apiserver/pki.js';
import { ApiConfigSource, ApiEventSink, ApiPodStatusWriter } from './api-seams.js';
import { NodeStatusReporter, type NodeIdentity } from './node-status.js';
import { RuntimeHealth } from './runtime-health.js';
import { AgentServer, type StreamServer } from './server.js';
import { createStreamServer } from './streaming/index.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');

export interface NodeAgentOptions {
  client: ApiClient;
  nodeName: string;
  runtime: Runtime;
  clock: Clock;
  rootDir: string;
  /** Addresses of the node (InternalIP first). */
  nodeIPs: string[];
  /** Where the agent's endpoint listens (default 127.0.0.1 and a free port). */
  listen?: { host: string; port: number };
  tls: { ca: string; serving: KeyPair };
  dnsConfig?: DnsConfig;
  clusterDomain?: string;
  labels?: Record<string, string>;
  podCIDR?: string;
  streams?: StreamServer;
  /** How probes and hooks reach pods (default: from this host). */
  network?: ProbeNetwork;
  tokenSource?(pod: Pod, audience?: string, expirationSeconds?: number): Promise<string>;
  log: Logger;
}

export class NodeAgent {
  readonly kubelet: Kubelet;
  private readonly pods: Informer<Pod>;
  private readonly config: ApiConfigSource;
  private reporter: NodeStatusReporter | undefined;
  private health: RuntimeHealth | undefined;
  private server: AgentServer | undefined;

  constructor(private readonly opts: NodeAgentOptions) {
    this.config = new ApiConfigSource(opts.client);
    this.kubelet = new Kubelet({
      nodeName: opts.nodeName,
      runtime: opts.runtime,
      clock: opts.clock,
      statusWriter: new ApiPodStatusWriter(opts.client),
      eventSink: new ApiEventSink(opts.client),
      config: this.config,
      network: opts.network ?? hostNetwork,
      rootDir: opts.rootDir,
      hostIPs: opts.nodeIPs,
      ...(opts.dnsConfig ? { dnsConfig: opts.dnsConfig } : {}),
      clusterDomain: opts.clusterDomain ?? 'cluster.local',
      ...(opts.tokenSource ? { tokenSource: opts.tokenSource } : {}),
      onError: (context, err) => opts.log.warn(`${context} failed`, { error: (err as Error)?.message ?? String(err) }),
    });
    this.pods = new Informer<Pod>(opts.client, PODS, { fieldSelector: `spec.nodeName=${opts.nodeName}`, dropManagedFields: true });
    this.pods.on({
      add: (pod) => this.kubelet.podAdded(pod),
      update: (pod) => this.kubelet.podUpdated(pod),
      delete: (pod) => this.kubelet.podDeleted(pod),
    });
  }

  async start(): Promise<void> {
    const { opts } = this;
    this.server = new AgentServer({
      kubelet: this.kubelet,
      runtime: opts.runtime,
      pod: (ns, name) => this.pods.get(ns, name),
      tls: opts.tls,
      streams:
        opts.streams ??
        createStreamServer({
          runtime: opts.runtime,
          containerId: (pod, container) => this.kubelet.containerId(pod, container),
          sandboxId: (uid) => this.kubelet.sandboxId(uid),
        }),
    });
    const listen = opts.listen ?? { host: '127.0.0.1', port: 0 };
    const port = await this.server.listen(listen.port, listen.host);
    const version = await opts.runtime.version();
    const identity: NodeIdentity = {
      name: opts.nodeName,
      addresses: [...opts.nodeIPs.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: opts.nodeName }],
      kubeletPort: port,
      runtimeVersion: `${version.runtimeName}://${version.runtimeVersion}`,
      ...(opts.labels ? { labels: opts.labels } : {}),
      ...(opts.podCIDR ? { podCIDR: opts.podCIDR } : {}),
    };
    this.health = new RuntimeHealth(opts.runtime, opts.clock, (err) => opts.log.warn('container runtime status check failed', { error: (err as Error)?.message ?? String(err) }));
    await this.health.start();
    this.reporter = new NodeStatusReporter(opts.client, identity, opts.clock, opts.rootDir, this.kubelet.recorder, opts.log, this.health);
    await this.reporter.start();
    this.config.start();
    await this.kubelet.start();
    this.pods.start();
    await this.pods.synced;
    this.kubelet.updatePods(this.pods.list());
    opts.log.info('node agent ready', { node: opts.nodeName, endpoint: `${listen.host}:${port}` });
  }

  /** Stops the agent; its containers keep running (a restarted agent adopts them). */
  async stop(): Promise<void> {
    this.pods.stop();
    this.config.stop();
    this.reporter?.stop();
    this.health?.stop();
    await this.kubelet.stop();
    await this.server?.close();
  }
}
