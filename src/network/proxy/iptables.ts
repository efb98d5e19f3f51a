// Applying the proxy's rules to the host: the chains in one iptables-restore --noflush
// transaction, the jumps into them from the built-in chains (inserted in the same transaction when
// missing), and their complete removal. The host's state is read with one iptables-save.

import { run } from '../pod-network/host-command.js';
import type { ProxyChains } from './names.js';

export interface Jump {
  table: 'nat' | 'filter';
  chain: string;
  target: string;
  /** Matches before `-j target`. */
  matches: string[];
}

export interface JumpOptions {
  /** Only traffic arriving on this interface (the node's pod bridge) is dispatched from PREROUTING. */
  podInterface?: string;
  /**
   * Without a pod interface: the pods' subnets are learned, and PREROUTING sends what comes from
   * them (whatever the interface) through the `fromPods` chain, which each sync rewrites.
   */
  podSubnets?: string[];
}

export function jumps(c: ProxyChains, options: JumpOptions): Jump[] {
  const fromPods = options.podInterface ? ['-i', options.podInterface] : [];
  const comment = (text: string) => ['-m', 'comment', '--comment', `"${text}"`];
  const fresh = ['-m', 'conntrack', '--ctstate', 'NEW'];
  const learned = !options.podInterface && options.podSubnets !== undefined;
  return [
    learned
      ? { table: 'nat', chain: 'PREROUTING', target: c.fromPods, matches: comment('k8ts service portals for pods') }
      : { table: 'nat', chain: 'PREROUTING', target: c.services, matches: [...fromPods, ...comment('k8ts service portals')] },
    ...(learned ? [{ table: 'nat' as const, chain: 'PREROUTING', target: c.nodePorts, matches: ['-m', 'addrtype', '--dst-type', 'LOCAL', ...comment('k8ts node ports')] }] : []),
    // NodePorts answer on every interface: connections from other hosts arrive on the node's own link.
    ...(options.podInterface
      ? [{ table: 'nat' as const, chain: 'PREROUTING', target: c.nodePorts, matches: ['!', '-i', options.podInterface, '-m', 'addrtype', '--dst-type', 'LOCAL', ...comment('k8ts node ports from other hosts')] }]
      : []),
    { table: 'nat', chain: 'OUTPUT', target: c.services, matches: comment('k8ts service portals') },
    { table: 'nat', chain: 'POSTROUTING', target: c.postrouting, matches: comment('k8ts postrouting rules') },
    { table: 'filter', chain: 'OUTPUT', target: c.rejectServices, matches: [...fresh, ...comment('k8ts services without endpoints')] },
    { table: 'filter', chain: 'FORWARD', target: c.rejectServices, matches: [...fromPods, ...fresh, ...comment('k8ts services without endpoints')] },
    { table: 'filter', chain: 'FORWARD', target: c.forward, matches: comment('k8ts forwarding rules') },
    { table: 'filter', chain: 'INPUT', target: c.rejectNodePorts, matches: [...fresh, ...comment('k8ts node ports without endpoints')] },
  ];
}

/** What the host holds of the proxy: its chains and the jumps into them, per table. */
export interface HostState {
  chains: Record<'nat' | 'filter', string[]>;
  /** `table/builtin/target` of every jump present (with its rule text, for deletion). */
  jumps: Map<string, string[]>;
}

function jumpKey(table: string, chain: string, target: string): string {
  return `${table}/${chain}/${target}`;
}

export async function readHostState(c: ProxyChains): Promise<HostState> {
  const text = await run('iptables-save', []);
  const state: HostState = { chains: { nat: [], filter: [] }, jumps: new Map() };
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':') && (table === 'nat' || table === 'filter')) {
      const name = line.slice(1).split(' ')[0]!;
      if (ownedBy(c, name)) state.chains[table].push(name);
    } else if (line.startsWith('-A ')) {
      const m = /^-A (\S+) (.*)-j (\S+)\s*$/.exec(line);
      if (m && ownedBy(c, m[3]!) && !ownedBy(c, m[1]!)) {
        const key = jumpKey(table, m[1]!, m[3]!);
        state.jumps.set(key, [...(state.jumps.get(key) ?? []), line.slice(3)]);
      }
    }
  }
  return state;
}

/** Whether the chain is one of the proxy's, by name. */
export function ownedBy(c: ProxyChains, name: string): boolean {
  const base = [c.services, c.fromPods, c.nodePorts, c.markMasquerade, c.markExternal, c.postrouting, c.rejectServices, c.rejectNodePorts, c.forward];
  return base.includes(name) || name.startsWith(c.servicePrefix) || name.startsWith(c.endpointPrefix);
}

/** `-I` lines (per table) for the jumps the host lacks, to append to a restore transaction. */
export function missingJumps(state: HostState, all: Jump[]): Record<'nat' | 'filter', string[]> {
  const out: Record<'nat' | 'filter', string[]> = { nat: [], filter: [] };
  for (const j of all) {
    if (state.jumps.has(jumpKey(j.table, j.chain, j.target))) continue;
    out[j.table].push(`-I ${j.chain} 1 ${j.matches.join(' ')} -j ${j.target}`);
  }
  return out;
}

export async function restore(text: string): Promise<void> {
  await run('iptables-restore', ['-w', '--noflush'], text);
}

/** Removes every jump into the proxy's chains and the chains themselves, in one transaction. */
export async function removeAll(c: ProxyChains): Promise<void> {
  const state = await readHostState(c);
  const section = (table: 'nat' | 'filter') => {
    const deletes = [...state.jumps].filter(([key]) => key.startsWith(`${table}/`)).flatMap(([, rules]) => rules.map((r) => `-D ${r}`));
    const chains = state.chains[table];
    if (!deletes.length && !chains.length) return [];
    return [`*${table}`, ...chains.map((ch) => `:${ch} - [0:0]`), ...deletes, ...chains.map((ch) => `-X ${ch}`), 'COMMIT'];
  };
  const text = [...section('nat'), ...section('filter')];
  if (text.length) await restore([...text, ''].join('\n'));
}
