// The cri runtime of a node: a containerd (or CRI-O) at a given endpoint, or, without one, a
// containerd of the cluster's own under the data directory with the pod network it configures.
// At an endpoint the pod network is the runtime's own CNI's: it is learned from each sandbox's
// address (and from the sandboxes already there) before the sandbox's containers are created, so
// that the service proxy and DNS serve a pod from its first packet; and the runtime may be shared,
// so the cluster keeps to the sandboxes and containers it labelled as its own.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../util/log.js';
import { startContainerd, type ManagedContainerd } from './containerd.js';
import { CriRuntime, type CriRuntimeOptions } from './runtime.js';
import type { ContainerConfig, ContainerFilter, PodSandboxConfig, PodSandboxFilter, PodSandboxStatus, RuntimeContainer } from '../types.js';
import { PodNetworkLearner } from '../../network/routes/learned-pod-network.js';

export interface CriNodeOptions {
  dataDir: string;
  /** Names host objects (bridge, cgroups) after the cluster. */
  clusterId: string;
  podCIDR: string;
  /** A running runtime's socket (`unix:///run/containerd/containerd.sock`); absent: start our own. */
  endpoint?: string;
  /** Registries (host:port) our containerd reaches over plain HTTP. */
  insecureRegistries?: string[];
  log?: Logger;
}

/** The pod network our own containerd's CNI config sets up, for the service proxy and DNS. */
export interface CriPodNetwork {
  clusterId: string;
  podCIDR: string;
  bridge: string;
  gateway: string;
}

export interface CriNode {
  runtime: CriRuntime;
  containerd?: ManagedContainerd;
  network?: CriPodNetwork;
  /** At an endpoint: the runtime's pod network as learned from its sandboxes. */
  learnedNetwork?: PodNetworkLearner;
  /** Removes every pod, stops our containerd and removes what it leaves on the host. */
  shutdown(): Promise<void>;
  /** Leaves the pods running (a restarting agent re-adopts them) and stops our containerd. */
  detach(): Promise<void>;
}

export async function createCriNode(opts: CriNodeOptions): Promise<CriNode> {
  const log = opts.log ?? silentLogger;
  const stateDir = join(opts.dataDir, 'cri');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  if (opts.endpoint) {
    // Serving the learned network (iptables, the node's DNS) needs root: without it, nothing is learned.
    const learner = process.getuid?.() === 0 ? new PodNetworkLearner({ log: log.child('pod-network') }) : undefined;
    const runtime = new EndpointCriRuntime({ endpoint: opts.endpoint, stateDir }, opts.clusterId, learner);
    // For `k8ts cleanup`, should this process be killed outright.
    writeFileSync(endpointFile(opts.dataDir), `${opts.endpoint}\n`, { mode: 0o600 });
    try {
      await runtime.client.waitForReady(10_000);
      await runtime.version();
      await learner?.observe((await runtime.listPodSandboxes()).flatMap((s) => (s.ip ? [s.ip, ...s.additionalIps] : [])));
    } catch (err) {
      await runtime.close();
      throw err;
    }
    return {
      runtime,
      ...(learner ? { learnedNetwork: learner } : {}),
      shutdown: async () => {
        await runtime.removeAll();
        await runtime.close();
      },
      detach: () => runtime.close(),
    };
  }
  if (process.getuid?.() !== 0) {
    throw new Error('the cri runtime starts containerd, which needs root: run k8ts as root (for example with sudo), or pass --cri-endpoint');
  }
  const containerd = await startContainerd({
    dir: join(opts.dataDir, 'containerd'),
    clusterId: opts.clusterId,
    podCIDR: opts.podCIDR,
    ...(opts.insecureRegistries ? { insecureRegistries: opts.insecureRegistries } : {}),
    log: log.child('containerd'),
  });
  const runtime = new CriRuntime({ endpoint: containerd.endpoint, stateDir, cgroupRoot: containerd.cgroupRoot });
  return {
    runtime,
    containerd,
    network: { clusterId: opts.clusterId, podCIDR: opts.podCIDR, bridge: containerd.bridge, gateway: containerd.gateway },
    async shutdown() {
      try {
        await runtime.removeAll();
      } finally {
        await runtime.close();
        await containerd.stop({ clean: true });
      }
    },
    async detach() {
      await runtime.close();
      await containerd.stop();
    },
  };
}

const endpointFile = (dataDir: string) => join(dataDir, 'cri', 'endpoint');

/** The endpoint a cluster or agent on `dataDir` last used, if it used one. */
export function lastEndpoint(dataDir: string): string | undefined {
  const file = endpointFile(dataDir);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}

/** The cluster's view of a runtime at an endpoint: its own sandboxes and containers only. */
export function endpointRuntime(endpoint: string, dataDir: string, clusterId: string): CriRuntime {
  return new EndpointCriRuntime({ endpoint, stateDir: join(dataDir, 'cri') }, clusterId, undefined);
}

/** The label that marks the sandboxes and containers a cluster made on a runtime it shares. */
export const OWNER_LABEL = 'k8ts.io/cluster-id';

/**
 * A runtime at an endpoint, which others may use too: the cluster sees, adopts and removes only the
 * sandboxes and containers it made (labelled with its id), and every new sandbox's address is
 * learned (and served) before the sandbox is handed back.
 */
class EndpointCriRuntime extends CriRuntime {
  constructor(
    opts: CriRuntimeOptions,
    private readonly clusterId: string,
    private readonly learner: PodNetworkLearner | undefined,
  ) {
    super(opts);
  }

  override async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = await super.runPodSandbox({ ...config, labels: { ...config.labels, [OWNER_LABEL]: this.clusterId } });
    const status = this.learner ? await this.podSandboxStatus(id).catch(() => undefined) : undefined;
    if (status?.ip) await this.learner!.observe([status.ip, ...status.additionalIps]);
    return id;
  }

  override createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    return super.createContainer(sandboxId, { ...config, labels: { ...config.labels, [OWNER_LABEL]: this.clusterId } }, sandboxConfig);
  }

  // The runtime selects by the owner label, so others' sandboxes and containers are never read.
  override listPodSandboxes(filter: PodSandboxFilter = {}): Promise<PodSandboxStatus[]> {
    return super.listPodSandboxes({ ...filter, labels: { ...filter.labels, [OWNER_LABEL]: this.clusterId } });
  }

  override listContainers(filter: ContainerFilter = {}): Promise<RuntimeContainer[]> {
    return super.listContainers({ ...filter, labels: { ...filter.labels, [OWNER_LABEL]: this.clusterId } });
  }
}
