// The node's pod network: a bridge per cluster holding the pods' gateway, an address per sandbox
// from the node's pod CIDR (persisted), a veth pair into each sandbox's network namespace,
// masquerading for traffic leaving the pod subnet and iptables DNAT for host ports.

import { join } from 'node:path';
import type { PortMapping } from '../../runtime/types.js';
import { gatewayOf, parseCidr, subnetCidr } from './cidr.js';
import { Ipam } from './ipam.js';
import { removeRules, syncRules, type HostPortRule } from './iptables.js';
import { connectPod, deleteLink, ensureBridge } from './links.js';
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
  attach(sandboxId: string, netnsPid: number, portMappings: PortMapping[]): Promise<PodNetworkAttachment>;
  /** Releases the sandbox's address and host ports and removes its veth; idempotent. */
  detach(sandboxId: string): Promise<void>;
  /** The address of an attached sandbox. */
  addressOf(sandboxId: string): string | undefined;
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
  const hostPorts = (): HostPortRule[] =>
    ipam.entries().flatMap(([, a]) => a.portMappings.map((mapping) => ({ podIp: a.ip, mapping })));

  await serialized(async () => {
    await ensureBridge(names.bridge, gateway, subnet.prefixLength);
    await syncRules(names, cidr, hostPorts());
  });

  return {
    clusterId: opts.clusterId,
    podCIDR: cidr,
    gateway,
    names,
    attach: (sandboxId, netnsPid, portMappings) =>
      serialized(async () => {
        const allocation = await ipam.allocate(sandboxId, portMappings.filter((m) => m.hostPort > 0));
        try {
          await connectPod({
            hostVeth: hostVethName(opts.clusterId, sandboxId),
            bridge: names.bridge,
            netnsPid,
            ip: allocation.ip,
            prefixLength: subnet.prefixLength,
            gateway,
          });
          if (allocation.portMappings.length > 0) await syncRules(names, cidr, hostPorts());
        } catch (err) {
          await ipam.release(sandboxId);
          await deleteLink(hostVethName(opts.clusterId, sandboxId));
          throw err;
        }
        return { ip: allocation.ip, gateway, prefixLength: subnet.prefixLength };
      }),
    detach: (sandboxId) =>
      serialized(async () => {
        await deleteLink(hostVethName(opts.clusterId, sandboxId));
        const released = await ipam.release(sandboxId);
        if (released && released.portMappings.length > 0) await syncRules(names, cidr, hostPorts());
      }),
    addressOf: (sandboxId) => ipam.get(sandboxId)?.ip,
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
export { rulesPresent } from './iptables.js';
