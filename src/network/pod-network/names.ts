// Names of the host objects a cluster's pod network owns, derived from the cluster id so that two
// clusters (or two test runs) on one machine never collide. Interface names have at most 15 chars.

import { createHash } from 'node:crypto';

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

export interface NetworkNames {
  bridge: string;
  hostPortChain: string;
  postroutingChain: string;
  forwardChain: string;
}

export function networkNames(clusterId: string): NetworkNames {
  const h = shortHash(clusterId, 8);
  return {
    bridge: `k8ts-${h}`,
    hostPortChain: `K8TS-HP-${h}`,
    postroutingChain: `K8TS-PR-${h}`,
    forwardChain: `K8TS-FW-${h}`,
  };
}

/** The host end of a sandbox's veth pair. */
export function hostVethName(clusterId: string, sandboxId: string): string {
  return `kv${shortHash(`${clusterId}/${sandboxId}`, 12)}`;
}
