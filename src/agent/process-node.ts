// The runtime of a node on this machine's processes: the process runtime on a pod network of its
// own (a bridge and NAT rules named after the cluster). Namespaces and mounts need root.

import { join } from 'node:path';
import { mkdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createProcessRuntime, type ProcessRuntime } from '../runtime/process/index.js';
import { createPodNetwork, type PodNetwork } from '../network/pod-network/index.js';
import type { Clock } from '../util/clock.js';

export interface ProcessNode {
  runtime: ProcessRuntime;
  network: PodNetwork;
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

export async function createProcessNode(opts: { dataDir: string; podCIDR: string; clock?: Clock }): Promise<ProcessNode> {
  if (process.getuid?.() !== 0) {
    throw new Error('the process runtime runs pods in Linux namespaces and needs root: run k8ts as root (for example with sudo)');
  }
  const rootDir = join(opts.dataDir, 'runtime');
  mkdirSync(rootDir, { recursive: true, mode: 0o700 });
  const network = await createPodNetwork({ clusterId: clusterIdOf(opts.dataDir), podCIDR: opts.podCIDR, stateDir: join(rootDir, 'network') });
  let runtime: ProcessRuntime;
  try {
    runtime = await createProcessRuntime({ rootDir, network, ...(opts.clock ? { clock: opts.clock } : {}) });
  } catch (err) {
    await network.teardown();
    throw err;
  }
  return {
    runtime,
    network,
    async shutdown() {
      await runtime.removeAll();
      await runtime.close();
      await network.teardown();
    },
  };
}
