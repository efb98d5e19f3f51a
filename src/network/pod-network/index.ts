// The node's pod network: a bridge per cluster holding the pods' gateway, an address per sandbox
// from the node's pod CIDR (persisted), a veth pair into each sandbox's network namespace,
// masquerading for traffic leaving the pod subnet and iptables DNAT for host ports.

import { join } from 'node:path';
import type { PortMapping } from '../../runtime/types.js';
import { gatewayOf, parseCidr, subnetCidr } from './cidr.js';
import { Ipam } from './ipam.js';
import { removeRules, syncRules, type HostPortRule } from './iptables.js';
import { connectPod, deleteLink, ensureBridge, releaseLink, type PodLink } from './links.js';
import { hostVethName, networkNames, type NetworkNames } from './names.js';

export interface PodNetworkAttachment {
  ip: string;
  gateway: string;
  prefixLength: number;
}

export interface PodNetwork {
  readonly clusterId: string;
  readonly podCIDR: string;
  readonly gateway: string;
  readonly names: NetworkNames;
  /**
   * Connects the network namespace held by process `netnsPid` to the pod network with the
   * sandbox's address, and maps its host ports. Idempotent for a sandbox.
   */
  attach(sandboxId: string, netnsPid: number, portMappings: PortMapping[], opts?: { connected?: boolean }): Promise<PodNetworkAttachment>;
  /**
   * Allocates the sandbox's address ahead of its namespace, for a holder that connects itself as it
   * creates it (the native helper's pause); `attach` with `connected` then completes it.
   */
  reserve(sandboxId: string, portMappings: PortMapping[]): Promise<PodLink>;
  /** Releases the sandbox's address and host ports and removes its veth; idempotent. */
  detach(sandboxId: string): Promise<void>;
  /** The address of an attached sandbox. */
  addressOf(sandboxId: string): string | undefined;
  /**
   * Other nodes' pod subnets, reached by routes: traffic from pods to them is not masqueraded.
   * Replaces the previous list.
   */
  setPeerSubnets(cidrs: string[]): Promise<void>;
  /** Removes everything the network created on the host: veths, rules, bridge, state. */
  teardown(): Promise<void>;
}

export interface PodNetworkOptions {
  clusterId: string;
  /** The node's pod subnet, e.g. `10.244.1.0/24`. */
  podCIDR: string;
  /** Where address allocations are kept. */
  stateDir: string;
}

/** How long a detached sandbox's veth is given to vanish with its network namespace before it is deleted. */
const DETACH_GRACE_MS = 1000;

export async function createPodNetwork(opts: PodNetworkOptions): Promise<PodNetwork> {
  const subnet = parseCidr(opts.podCIDR);
  const cidr = subnetCidr(subnet);
  const gateway = gatewayOf(subnet);
  const names = networkNames(opts.clusterId);
  const ipam = await Ipam.open(join(opts.stateDir, 'pod-network.json'), subnet, cidr);
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task);
    queue = result.catch(() => undefined);
    return result;
  };
  let peerSubnets: string[] = [];
  const linkOf = (sandboxId: string, ip: string): PodLink => ({
    hostVeth: hostVethName(opts.clusterId, sandboxId),
    bridge: names.bridge,
    ip,
    prefixLength: subnet.prefixLength,
    gateway,
  });
  const hostPorts = (): HostPortRule[] =>
    ipam.entries().flatMap(([, a]) => a.portMappings.map((mapping) => ({ podIp: a.ip, mapping })));

  await serialized(async () => {
    await ensureBridge(names.bridge, gateway, subnet.prefixLength);
    await syncRules(names, cidr, hostPorts(), peerSubnets);
  });

  return {
    clusterId: opts.clusterId,
    podCIDR: cidr,
    gateway,
    names,
    // Only the allocation and the rules are serialized: sandboxes' links are their own, set up side by side.
    reserve: async (sandboxId, portMappings) => {
      const allocation = await serialized(() => ipam.allocate(sandboxId, portMappings.filter((m) => m.hostPort > 0)));
      return linkOf(sandboxId, allocation.ip);
    },
    attach: async (sandboxId, netnsPid, portMappings, attachOpts = {}) => {
      const allocation = await serialized(() => ipam.allocate(sandboxId, portMappings.filter((m) => m.hostPort > 0)));
      try {
        if (!attachOpts.connected) await connectPod({ ...linkOf(sandboxId, allocation.ip), netnsPid });
        if (allocation.portMappings.length > 0) await serialized(() => syncRules(names, cidr, hostPorts(), peerSubnets));
      } catch (err) {
        await serialized(async () => {
          await ipam.release(sandboxId);
          await deleteLink(hostVethName(opts.clusterId, sandboxId));
        });
        throw err;
      }
      return { ip: allocation.ip, gateway, prefixLength: subnet.prefixLength };
    },
    // The link goes before the address is handed out again; waiting for it holds up no other sandbox.
    detach: async (sandboxId) => {
      await releaseLink(hostVethName(opts.clusterId, sandboxId), DETACH_GRACE_MS);
      await serialized(async () => {
        const released = await ipam.release(sandboxId);
        if (released && released.portMappings.length > 0) await syncRules(names, cidr, hostPorts(), peerSubnets);
      });
    },
    addressOf: (sandboxId) => ipam.get(sandboxId)?.ip,
    setPeerSubnets: (cidrs) =>
      serialized(async () => {
        peerSubnets = [...cidrs];
        await syncRules(names, cidr, hostPorts(), peerSubnets);
      }),
    teardown: () =>
      serialized(async () => {
        for (const [sandboxId] of ipam.entries()) await deleteLink(hostVethName(opts.clusterId, sandboxId));
        await removeRules(names);
        await deleteLink(names.bridge);
        await ipam.destroy();
      }),
  };
}

export { networkNames, hostVethName } from './names.js';
export { linkOptions, type PodLink } from './links.js';
export { rulesPresent } from './iptables.js';
