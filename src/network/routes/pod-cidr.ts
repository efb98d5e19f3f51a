// A node agent's pod subnet: the one it was told (--pod-cidr), or the one node IPAM gives its Node.
// Without one the agent registers its Node (so that the allocator sees it) and waits for
// spec.podCIDR. A Node's podCIDR never changes once set, so a different subnet asked for on a
// Node that already has one is refused instead of silently giving the pods the wrong addresses.

import type { Node } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { ApiClient } from '../../client/client.js';
import type { Logger } from '../../util/log.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const NOTICE_EVERY_MS = 10_000;

export interface PodCidrOptions {
  client: ApiClient;
  nodeName: string;
  /** The subnet the agent was given, if any. */
  requested?: string;
  /** Labels for a Node registered here (the node agent completes it later). */
  labels?: Record<string, string>;
  log: Logger;
  /** Stops waiting (the agent is being stopped). */
  signal?: AbortSignal;
}

export class PodCidrConflictError extends Error {
  constructor(nodeName: string, current: string, requested: string) {
    super(`node "${nodeName}" already has pod CIDR ${current}, not ${requested}: a Node's podCIDR cannot change (drop --pod-cidr, or delete the Node first)`);
    this.name = 'PodCidrConflictError';
  }
}

function podCidrOf(node: Node | undefined): string | undefined {
  return node?.spec?.podCIDRs?.find((c) => !c.includes(':')) ?? node?.spec?.podCIDR ?? undefined;
}

async function getNode(client: ApiClient, name: string): Promise<Node | undefined> {
  try {
    return await client.get<Node>(NODES, '', name);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}

export async function resolvePodCIDR(opts: PodCidrOptions): Promise<string> {
  const { client, nodeName, requested, log } = opts;
  const node = await getNode(client, nodeName);
  const current = podCidrOf(node);
  if (current) {
    if (requested && requested !== current) throw new PodCidrConflictError(nodeName, current, requested);
    return current;
  }
  if (requested) {
    // A Node registered without one (by an earlier agent that waited): claim the subnet now.
    if (node) {
      try {
        await client.patch(NODES, '', nodeName, { spec: { podCIDR: requested, podCIDRs: [requested] } });
      } catch (err) {
        const now = podCidrOf(await getNode(client, nodeName));
        if (now && now !== requested) throw new PodCidrConflictError(nodeName, now, requested);
        if (!now) throw err;
      }
    }
    return requested;
  }
  if (!node) {
    try {
      await client.create(NODES, '', {
        metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', ...opts.labels }, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
        spec: {},
      });
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
  }
  log.info('waiting for the node pod CIDR from the cluster', { node: nodeName });
  let delay = 100;
  let noticed = Date.now();
  for (;;) {
    if (opts.signal?.aborted) throw new Error(`stopped while waiting for node "${nodeName}" to get a pod CIDR`);
    // A failed read is tried again like a Node without a subnet, but the notice says why.
    let failure: string | undefined;
    const cidr = podCidrOf(
      await getNode(client, nodeName).catch((err: Error) => {
        failure = err.message;
        return undefined;
      }),
    );
    if (cidr) {
      log.info('node pod CIDR allocated', { node: nodeName, podCIDR: cidr });
      return cidr;
    }
    if (Date.now() - noticed >= NOTICE_EVERY_MS) {
      noticed = Date.now();
      if (failure) log.warn('still no pod CIDR for this node: reading its Node failed', { node: nodeName, error: failure });
      else log.warn('still no pod CIDR for this node: is node CIDR allocation on in the control plane (--allocate-node-cidrs), and the cluster CIDR not exhausted?', { node: nodeName });
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 1000);
  }
}
