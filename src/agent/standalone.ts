// `k8ts agent`: a node agent in its own process, joining a cluster through a kubeconfig, or with a
// bootstrap token (join.ts) after which it uses the node credential kept in its data directory. It signs
// its own serving certificate (the API server does not verify agents' certificates, as Kubernetes
// without --kubelet-certificate-authority) and accepts only clients of the cluster's CA.

import { join } from 'node:path';
import { mkdirSync, readFileSync } from 'node:fs';
import { ApiClient, type ClientConfig } from '../client/client.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { createCa, issueCertificate } from '../apiserver/pki.js';
import { realClock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { NodeAgent } from './node-agent.js';
import { clusterIdOf, createProcessNode } from './process-node.js';
import { requestServiceAccountToken } from './tokens.js';
import { existingCredential, joinCluster, type JoinOptions } from './join.js';
import { resolvePodCIDR } from '../network/routes/pod-cidr.js';
import { NodeRoutes } from '../network/routes/index.js';
import { startNodeServices, type NodePodNetwork, type NodeServices } from '../network/proxy/node-services.js';
import type { Runtime } from '../runtime/types.js';

export interface StandaloneAgentOptions {
  /**
   * How to reach the API: a kubeconfig (and context), a server URL with a bearer token and CA file,
   * or a bootstrap token to join with (unless the data directory already holds a node credential).
   */
  connection: { kubeconfig: string; context?: string } | { server: string; token: string; caFile: string } | { join: Omit<JoinOptions, 'nodeName' | 'dataDir' | 'log'> };
  nodeName: string;
  dataDir: string;
  /** The node's address: where the agent listens and what the Node reports as InternalIP. */
  address: string;
  port: number;
  /** The node's pod subnet (absent: the one the cluster's node IPAM allocates to the Node). */
  podCIDR?: string;
  /** `process` (default): pods as this machine's processes; `cri`: containers through CRI. */
  runtime?: 'process' | 'cri';
  /** With runtime `cri`: a running containerd or CRI-O (`unix:///path/to/socket`); absent: a containerd of the node's own. */
  criEndpoint?: string;
  /** With runtime `cri` and no endpoint: registries (host:port) pulled from over plain HTTP. */
  insecureRegistries?: string[];
  log: Logger;
}

/** The node's runtime and what its pods' network is, as far as k8ts knows it. */
interface AgentNode {
  runtime: Runtime;
  network?: NodePodNetwork;
  shutdown(): Promise<void>;
}

async function createAgentNode(opts: StandaloneAgentOptions, client: ApiClient, podCIDR: string): Promise<AgentNode> {
  const routing = { client, nodeName: opts.nodeName, nodeIPs: [opts.address], log: opts.log.child('routes') };
  if ((opts.runtime ?? 'process') === 'process') {
    const processNode = await createProcessNode({ dataDir: opts.dataDir, podCIDR, routing });
    const n = processNode.network;
    return {
      runtime: processNode.runtime,
      ...(n ? { network: { kind: 'bridge', clusterId: n.clusterId, podCIDR: n.podCIDR, bridge: n.names.bridge, gateway: n.gateway } } : {}),
      shutdown: () => processNode.shutdown(),
    };
  }
  const { createCriNode } = await import('../runtime/cri/node.js');
  const clusterId = clusterIdOf(opts.dataDir);
  const criNode = await createCriNode({
    dataDir: opts.dataDir,
    clusterId,
    podCIDR,
    ...(opts.criEndpoint ? { endpoint: opts.criEndpoint } : {}),
    ...(opts.insecureRegistries ? { insecureRegistries: opts.insecureRegistries } : {}),
    log: opts.log.child('cri'),
  });
  // Our containerd's pods are on the Node's subnet: the other nodes route it here, and we theirs.
  let routes: NodeRoutes | undefined;
  if (criNode.network) {
    try {
      routes = new NodeRoutes({ client, self: { name: opts.nodeName, podCIDR, addresses: [opts.address] }, stateFile: join(opts.dataDir, 'cri', 'routes.json'), log: routing.log });
      await routes.start();
    } catch (err) {
      await routes?.stop();
      await criNode.shutdown();
      throw err;
    }
  } else if (!criNode.learnedNetwork) {
    opts.log.warn('not running as root: pods of the CRI runtime at the endpoint get no ClusterIP Services or cluster DNS');
  }
  return {
    runtime: criNode.runtime,
    ...(criNode.network ? { network: { kind: 'bridge', ...criNode.network } } : criNode.learnedNetwork ? { network: { kind: 'learned', clusterId, learner: criNode.learnedNetwork } } : {}),
    async shutdown() {
      await routes?.stop();
      await criNode.shutdown();
    },
  };
}

export async function startStandaloneAgent(opts: StandaloneAgentOptions): Promise<{ stop(): Promise<void> }> {
  const c = opts.connection;
  const config: ClientConfig =
    'join' in c
      ? loadKubeconfig(existingCredential(opts.dataDir) ?? (await joinCluster({ ...c.join, nodeName: opts.nodeName, dataDir: opts.dataDir, log: opts.log })))
      : 'kubeconfig' in c
        ? loadKubeconfig(c.kubeconfig, c.context)
        : { server: c.server, token: c.token, ca: readFileSync(c.caFile, 'utf8') };
  const client = new ApiClient({ ...config, userAgent: `k8ts-agent/${opts.nodeName}` });
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  let podCIDR: string;
  try {
    podCIDR = await resolvePodCIDR({ client, nodeName: opts.nodeName, ...(opts.podCIDR ? { requested: opts.podCIDR } : {}), log: opts.log });
  } catch (err) {
    client.close();
    throw err;
  }
  let node: AgentNode;
  try {
    node = await createAgentNode(opts, client, podCIDR);
  } catch (err) {
    client.close();
    throw err;
  }
  // Pods reach Services (on any node) through this node's proxy, and names through its DNS server,
  // the pods' resolver behind the kube-dns Service. A node credential may not list pods, so pod
  // names are answered from the name (CoreDNS's `pods insecure`).
  let services: NodeServices | undefined;
  try {
    if (node.network) services = await startNodeServices({ client, nodeName: opts.nodeName, network: node.network, nodeIPs: [opts.address], dnsPods: 'insecure', log: opts.log });
    const dnsConfig = services?.dnsConfig;
    const localCa = await createCa(`k8ts-agent-${opts.nodeName}`);
    const serving = await issueCertificate(localCa, {
      commonName: `system:node:${opts.nodeName}`,
      organizations: ['system:nodes'],
      hosts: ['localhost', opts.address],
      usage: 'server',
    });
    const agent = new NodeAgent({
      client,
      nodeName: opts.nodeName,
      runtime: node.runtime,
      clock: realClock,
      rootDir: join(opts.dataDir, 'agent'),
      nodeIPs: [opts.address],
      listen: { host: opts.address, port: opts.port },
      tls: { ca: config.ca, serving },
      podCIDR,
      ...(dnsConfig ? { dnsConfig } : {}),
      tokenSource: (pod, audience, expirationSeconds) => requestServiceAccountToken(client, pod, audience, expirationSeconds),
      log: opts.log,
    });
    await agent.start();
    return {
      async stop() {
        await agent.stop();
        await services?.stop();
        await node.shutdown();
        client.close();
      },
    };
  } catch (err) {
    await services?.stop();
    await node.shutdown();
    client.close();
    throw err;
  }
}
