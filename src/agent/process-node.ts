// The runtime of a node on this machine's processes: the process runtime on a pod network of its
// own (a bridge and NAT rules named after the cluster). Namespaces and mounts need root: without
// it, pods are plain host processes on the host's network (see unisolated.ts), and there is no pod network.

import { join } from 'node:path';
import { mkdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createProcessRuntime, type ProcessRuntime } from '../runtime/process/index.js';
import { createPodNetwork, type PodNetwork } from '../network/pod-network/index.js';
import type { Clock } from '../util/clock.js';
import type { ApiClient } from '../client/client.js';
import type { Logger } from '../util/log.js';
import { startNodeRouting, type NodeRoutes } from '../network/routes/index.js';

export interface ProcessNode {
  runtime: ProcessRuntime;
  /** Absent without root. */
  network?: PodNetwork;
  /** Routes to the other nodes' pods, when asked for with `routing` (absent without root). */
  routes?: NodeRoutes;
  /** Stops every pod's processes and removes the pod network from the host. */
  shutdown(): Promise<void>;
}

/** An id unique to a data directory, kept across restarts (network names derive from it). */
export function clusterIdOf(dataDir: string): string {
  const path = join(dataDir, 'cluster-id');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const id = randomBytes(4).toString('hex');
  writeFileSync(path, id + '\n', { mode: 0o600 });
  return id;
}

/** What a node needs to route to the other nodes' pods (host-gw). */
export interface NodeRoutingConfig {
  client: ApiClient;
  nodeName: string;
  nodeIPs: string[];
  log: Logger;
}

export async function createProcessNode(opts: { dataDir: string; podCIDR: string; clock?: Clock; routing?: NodeRoutingConfig }): Promise<ProcessNode> {
  const rootDir = join(opts.dataDir, 'runtime');
  mkdirSync(rootDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) {
    const runtime = await createProcessRuntime({ rootDir, network: null, isolation: 'none', ...(opts.clock ? { clock: opts.clock } : {}) });
    return {
      runtime,
      async shutdown() {
        await runtime.removeAll();
        await runtime.close();
      },
    };
  }
  const network = await createPodNetwork({ clusterId: clusterIdOf(opts.dataDir), podCIDR: opts.podCIDR, stateDir: join(rootDir, 'network') });
  let runtime: ProcessRuntime;
  try {
    runtime = await createProcessRuntime({ rootDir, network, ...(opts.clock ? { clock: opts.clock } : {}) });
  } catch (err) {
    await network.teardown();
    throw err;
  }
  let routes: NodeRoutes | undefined;
  try {
    if (opts.routing) routes = await startNodeRouting({ ...opts.routing, network, stateDir: join(rootDir, 'network') });
  } catch (err) {
    await runtime.close();
    await network.teardown();
    throw err;
  }
  return {
    runtime,
    network,
    ...(routes ? { routes } : {}),
    async shutdown() {
      await routes?.stop();
      await runtime.removeAll();
      await runtime.close();
      await network.teardown();
    },
  };
}
