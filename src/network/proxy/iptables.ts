// Applying the proxy's rules to the host: the chains in one iptables-restore --noflush
// transaction, the jumps into them from the built-in chains, and their complete removal.

import { run } from '../pod-network/host-command.js';
import type { ProxyChains } from './names.js';

interface Jump {
  table: 'nat' | 'filter';
  chain: string;
  rule: string[];
}

export interface JumpOptions {
  /** Only traffic arriving on this interface (the node's pod bridge) is dispatched from PREROUTING. */
  podInterface?: string;
}

function jumps(c: ProxyChains, options: JumpOptions): Jump[] {
  const fromPods = options.podInterface ? ['-i', options.podInterface] : [];
  const comment = (text: string) => ['-m', 'comment', '--comment', text];
  const fresh = ['-m', 'conntrack', '--ctstate', 'NEW'];
  return [
    { table: 'nat', chain: 'PREROUTING', rule: [...fromPods, ...comment('k8ts service portals'), '-j', c.services] },
    { table: 'nat', chain: 'OUTPUT', rule: [...comment('k8ts service portals'), '-j', c.services] },
    { table: 'nat', chain: 'POSTROUTING', rule: [...comment('k8ts postrouting rules'), '-j', c.postrouting] },
    { table: 'filter', chain: 'OUTPUT', rule: [...fresh, ...comment('k8ts services without endpoints'), '-j', c.rejectServices] },
    { table: 'filter', chain: 'FORWARD', rule: [...fromPods, ...fresh, ...comment('k8ts services without endpoints'), '-j', c.rejectServices] },
    { table: 'filter', chain: 'FORWARD', rule: [...comment('k8ts forwarding rules'), '-j', c.forward] },
    { table: 'filter', chain: 'INPUT', rule: [...fresh, ...comment('k8ts node ports without endpoints'), '-j', c.rejectNodePorts] },
  ];
}

export async function restore(text: string): Promise<void> {
  await run('iptables-restore', ['-w', '--noflush'], text);
}

/** Inserts the jumps that are missing, at the top of the built-in chains. */
export async function ensureJumps(c: ProxyChains, options: JumpOptions): Promise<void> {
  for (const j of jumps(c, options)) {
    const present = await run('iptables', ['-w', '-t', j.table, '-C', j.chain, ...j.rule]).then(
      () => true,
      () => false,
    );
    if (!present) await run('iptables', ['-w', '-t', j.table, '-I', j.chain, '1', ...j.rule]);
  }
}

/** The proxy's chains that exist on the host now (a crashed earlier run may have left some). */
export async function existingChains(c: ProxyChains): Promise<{ nat: string[]; filter: string[] }> {
  const list = async (table: string) =>
    (await run('iptables-save', ['-t', table]))
      .split('\n')
      .filter((l) => l.startsWith(':'))
      .map((l) => l.slice(1).split(' ')[0]!)
      .filter((name) => ownedBy(c, name));
  return { nat: await list('nat'), filter: await list('filter') };
}

function ownedBy(c: ProxyChains, name: string): boolean {
  const base = [c.services, c.nodePorts, c.markMasquerade, c.postrouting, c.rejectServices, c.rejectNodePorts, c.forward];
  return base.includes(name) || name.startsWith(c.servicePrefix) || name.startsWith(c.endpointPrefix);
}

/** Removes the jumps and every chain of the proxy. */
export async function removeAll(c: ProxyChains, options: JumpOptions): Promise<void> {
  for (const j of jumps(c, options)) {
    while (await run('iptables', ['-w', '-t', j.table, '-D', j.chain, ...j.rule]).then(() => true, () => false));
  }
  const { nat, filter } = await existingChains(c);
  const section = (table: string, chains: string[]) =>
    chains.length ? [`*${table}`, ...chains.map((ch) => `:${ch} - [0:0]`), ...chains.map((ch) => `-X ${ch}`), 'COMMIT'] : [];
  const text = [...section('nat', nat), ...section('filter', filter), ''].join('\n');
  if (text.trim()) await restore(text);
}
