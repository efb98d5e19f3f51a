// The pod network's iptables rules, in chains of its own: masquerading for traffic leaving the pod
// subnet, forwarding accepted for it, and DNAT for host ports (from any local address, 127.0.0.1
// included). The chains are rewritten whole (iptables-restore --noflush) on every change; only the
// jumps into them touch the built-in chains.

import type { PortMapping } from '../../runtime/types.js';
import { run } from './host-command.js';
import type { NetworkNames } from './names.js';

export interface HostPortRule {
  podIp: string;
  mapping: PortMapping;
}

interface Jump {
  table: 'nat' | 'filter';
  chain: string;
  rule: string[];
}

function jumps(names: NetworkNames): Jump[] {
  const local = ['-m', 'addrtype', '--dst-type', 'LOCAL'];
  return [
    { table: 'nat', chain: 'PREROUTING', rule: [...local, '-j', names.hostPortChain] },
    { table: 'nat', chain: 'OUTPUT', rule: [...local, '-j', names.hostPortChain] },
    { table: 'nat', chain: 'POSTROUTING', rule: ['-j', names.postroutingChain] },
    { table: 'filter', chain: 'FORWARD', rule: ['-j', names.forwardChain] },
  ];
}

/**
 * `peerSubnets`: other nodes' pod subnets, routed to directly: pods' traffic to them keeps its
 * source address (only traffic leaving the cluster's pods is masqueraded).
 */
export function renderRules(names: NetworkNames, podCIDR: string, hostPorts: HostPortRule[], peerSubnets: string[] = []): string {
  const nat = [
    `:${names.hostPortChain} - [0:0]`,
    `:${names.postroutingChain} - [0:0]`,
    ...peerSubnets.map((peer) => `-A ${names.postroutingChain} -s ${podCIDR} -d ${peer} -j RETURN`),
    `-A ${names.postroutingChain} -s ${podCIDR} ! -d ${podCIDR} -j MASQUERADE`,
    // Host-port traffic from the node's loopback, and a pod reaching itself through a host port.
    `-A ${names.postroutingChain} -s 127.0.0.0/8 -d ${podCIDR} -j MASQUERADE`,
    `-A ${names.postroutingChain} -s ${podCIDR} -d ${podCIDR} -m conntrack --ctstate DNAT -j MASQUERADE`,
  ];
  for (const { podIp, mapping } of hostPorts) {
    const protocol = mapping.protocol.toLowerCase();
    const destination = mapping.hostIp && mapping.hostIp !== '0.0.0.0' ? ` -d ${mapping.hostIp}/32` : '';
    nat.push(
      `-A ${names.hostPortChain} -p ${protocol}${destination} -m ${protocol} --dport ${mapping.hostPort} ` +
        `-j DNAT --to-destination ${podIp}:${mapping.containerPort}`,
    );
  }
  const filter = [
    `:${names.forwardChain} - [0:0]`,
    `-A ${names.forwardChain} -s ${podCIDR} -j ACCEPT`,
    `-A ${names.forwardChain} -d ${podCIDR} -j ACCEPT`,
  ];
  return ['*nat', ...nat, 'COMMIT', '*filter', ...filter, 'COMMIT', ''].join('\n');
}

export async function syncRules(names: NetworkNames, podCIDR: string, hostPorts: HostPortRule[], peerSubnets: string[] = []): Promise<void> {
  await run('iptables-restore', ['-w', '--noflush'], renderRules(names, podCIDR, hostPorts, peerSubnets));
  for (const jump of jumps(names)) {
    const exists = await run('iptables', ['-w', '-t', jump.table, '-C', jump.chain, ...jump.rule]).then(
      () => true,
      () => false,
    );
    if (!exists) await run('iptables', ['-w', '-t', jump.table, '-A', jump.chain, ...jump.rule]);
  }
}

export async function removeRules(names: NetworkNames): Promise<void> {
  for (const jump of jumps(names)) {
    for (;;) {
      const removed = await run('iptables', ['-w', '-t', jump.table, '-D', jump.chain, ...jump.rule]).then(
        () => true,
        () => false,
      );
      if (!removed) break;
    }
  }
  const chains: [string, string][] = [
    ['nat', names.hostPortChain],
    ['nat', names.postroutingChain],
    ['filter', names.forwardChain],
  ];
  for (const [table, chain] of chains) {
    await run('iptables', ['-w', '-t', table, '-F', chain]).catch(() => undefined);
    await run('iptables', ['-w', '-t', table, '-X', chain]).catch(() => undefined);
  }
}

/** Whether any of the network's chains still exists (for tests and diagnostics). */
export async function rulesPresent(names: NetworkNames): Promise<boolean> {
  const nat = await run('iptables-save', ['-t', 'nat']);
  const filter = await run('iptables-save', ['-t', 'filter']);
  return [names.hostPortChain, names.postroutingChain, names.forwardChain].some(
    (chain) => nat.includes(chain) || filter.includes(chain),
  );
}
