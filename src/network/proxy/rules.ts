// The proxy's iptables rules as one iptables-restore transaction (the kube-proxy iptables mode,
// in chains of this cluster's own):
//
//   nat  SERVICES   -d <clusterIP> -p <proto> --dport <port> [! -s <podCIDR>] → MARK-MASQ; → KS-<svc port>
//        SERVICES   dst-type LOCAL → NODEPORTS;  NODEPORTS --dport <nodePort> → MARK-MASQ, → KS-<svc port>
//        KS-…       with ClientIP affinity first: a client seen recently → its endpoint (`recent`);
//                   then one rule per endpoint, `statistic random` with probability 1/(n-i) → KE-…
//        KE-…       -s <endpoint> → MARK-MASQ (hairpin); [remember the client;] DNAT <ip:port>
//        POSTROUTING chain: marked → clear the mark, MASQUERADE
//        a learned pod network (several subnets, no bridge of ours): PODS -s <subnet> → SERVICES from
//                   PREROUTING, and `not from a pod subnet` is a chain MQX returning for each subnet
//        traffic policy Local: a second KS-… chain over this node's endpoints only; ClusterIP traffic
//                   (internalTrafficPolicy) goes there, NodePort traffic from other hosts
//                   (externalTrafficPolicy) too, unmasqueraded, while pods and the node itself use
//                   every endpoint; with no local endpoint such traffic is dropped (filter)
//   filter          ClusterIP / NodePort of a Service without endpoints → REJECT (the client learns at
//                   once instead of timing out); FORWARD accepts marked and established traffic.
//
// Every chain is declared (hence flushed) and rewritten whole; chains of a previous sync that are no
// longer needed are deleted in the same transaction, so a sync is atomic.

import type { ProxyChains } from './names.js';
import { endpointChain, servicePortChain } from './names.js';
import type { ServicePortPlan } from './plan.js';

export const MASQUERADE_MARK = '0x4000';

export interface RenderOptions {
  /** Traffic from outside this range to a ClusterIP is masqueraded (absent: all of it). */
  podCIDR?: string;
  /** Instead of podCIDR, several pod subnets (a network learned from the runtime; empty: none known yet). */
  podCIDRs?: string[];
  /** Lines appended to each table's transaction (the jumps the host lacks). */
  extra?: { nat?: string[]; filter?: string[] };
}

export interface RenderedRules {
  text: string;
  /** The per-service and per-endpoint chains this transaction leaves in place. */
  chains: Set<string>;
}

export function renderRules(chains: ProxyChains, plans: ServicePortPlan[], stale: Iterable<string>, options: RenderOptions = {}): RenderedRules {
  const c = chains;
  const sources = options.podCIDRs ?? (options.podCIDR ? [options.podCIDR] : []);
  // One pod subnet: `! -s` in the rule itself; several: a chain that returns for each of them.
  const markExternal = sources.length === 1 ? ` ! -s ${sources[0]} -j ${c.markMasquerade}` : sources.length > 1 ? ` -j ${c.markExternal}` : ` -j ${c.markMasquerade}`;
  const natChains = [c.services, ...(options.podCIDRs ? [c.fromPods] : []), c.nodePorts, c.markMasquerade, ...(sources.length > 1 ? [c.markExternal] : []), c.postrouting];
  const nat: string[] = [
    `-A ${c.markMasquerade} -j MARK --or-mark ${MASQUERADE_MARK}`,
    `-A ${c.postrouting} -m mark ! --mark ${MASQUERADE_MARK}/${MASQUERADE_MARK} -j RETURN`,
    `-A ${c.postrouting} -j MARK --xor-mark ${MASQUERADE_MARK}`,
    `-A ${c.postrouting} -m comment --comment "service traffic requiring SNAT" -j MASQUERADE`,
    ...(sources.length > 1 ? [...sources.map((cidr) => `-A ${c.markExternal} -s ${cidr} -j RETURN`), `-A ${c.markExternal} -j ${c.markMasquerade}`] : []),
    ...(options.podCIDRs ?? []).map((cidr) => `-A ${c.fromPods} -s ${cidr} -j ${c.services}`),
  ];
  const filter: string[] = [
    `-A ${c.forward} -m mark --mark ${MASQUERADE_MARK}/${MASQUERADE_MARK} -j ACCEPT`,
    `-A ${c.forward} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  ];
  const owned = new Set<string>();

  for (const plan of [...plans].sort((a, b) => a.key.localeCompare(b.key))) {
    const comment = `-m comment --comment ${quote(plan.key)}`;
    const match = `-p ${plan.protocol} -m ${plan.protocol}`;
    if (plan.endpoints.length === 0) {
      for (const ip of plan.clusterIPs) {
        filter.push(`-A ${c.rejectServices} ${comment} -d ${ip}/32 ${match} --dport ${plan.port} -j REJECT --reject-with icmp-port-unreachable`);
      }
      if (plan.nodePort) {
        filter.push(`-A ${c.rejectNodePorts} ${comment} -m addrtype --dst-type LOCAL ${match} --dport ${plan.nodePort} -j REJECT --reject-with icmp-port-unreachable`);
      }
      continue;
    }
    const svcChain = servicePortChain(c, plan.key);
    owned.add(svcChain);
    const local = plan.internalLocal || plan.externalLocal ? (plan.localEndpoints ?? []) : [];
    const localChain = local.length ? servicePortChain(c, `${plan.key}/local`) : undefined;
    if (localChain) owned.add(localChain);
    const noLocal = `-m comment --comment ${quote(`${plan.key} has no local endpoints`)}`;
    for (const ip of plan.clusterIPs) {
      const dst = `-d ${ip}/32 ${match} --dport ${plan.port}`;
      nat.push(`-A ${c.services} ${comment} ${dst}${markExternal}`);
      if (!plan.internalLocal) nat.push(`-A ${c.services} ${comment} ${dst} -j ${svcChain}`);
      else if (localChain) nat.push(`-A ${c.services} ${comment} ${dst} -j ${localChain}`);
      else filter.push(`-A ${c.rejectServices} ${noLocal} ${dst} -j DROP`);
    }
    if (plan.nodePort && plan.externalLocal) {
      // Pods and the node itself use every endpoint (the node masqueraded); traffic from elsewhere
      // keeps its source and goes to this node's endpoints only, or nowhere.
      const np = `${match} --dport ${plan.nodePort}`;
      for (const cidr of sources) nat.push(`-A ${c.nodePorts} ${comment} ${np} -s ${cidr} -j ${svcChain}`);
      nat.push(`-A ${c.nodePorts} ${comment} ${np} -m addrtype --src-type LOCAL -j ${c.markMasquerade}`);
      nat.push(`-A ${c.nodePorts} ${comment} ${np} -m addrtype --src-type LOCAL -j ${svcChain}`);
      if (localChain) nat.push(`-A ${c.nodePorts} ${comment} ${np} -j ${localChain}`);
      else filter.push(`-A ${c.rejectNodePorts} ${noLocal} -m addrtype --dst-type LOCAL ${np} -j DROP`);
    } else if (plan.nodePort) {
      nat.push(`-A ${c.nodePorts} ${comment} ${match} --dport ${plan.nodePort} -j ${c.markMasquerade}`);
      nat.push(`-A ${c.nodePorts} ${comment} ${match} --dport ${plan.nodePort} -j ${svcChain}`);
    }
    const chainOf = (ep: { ip: string; port: number }) => endpointChain(c, plan.key, `${ep.ip}:${ep.port}`);
    const remember = (chain: string) => (plan.affinitySeconds ? ` -m recent --name ${chain} --mask 255.255.255.255 --rsource --set` : '');
    const dispatch = (chain: string, endpoints: { ip: string; port: number }[]) => {
      if (plan.affinitySeconds) {
        for (const ep of endpoints) {
          const target = chainOf(ep);
          nat.push(`-A ${chain} ${comment} -m recent --name ${target} --mask 255.255.255.255 --rsource --rcheck --seconds ${plan.affinitySeconds} --reap -j ${target}`);
        }
      }
      endpoints.forEach((ep, i) => {
        const pick = i < endpoints.length - 1 ? ` -m statistic --mode random --probability ${probability(endpoints.length - i)}` : '';
        nat.push(`-A ${chain} ${comment}${pick} -j ${chainOf(ep)}`);
      });
    };
    dispatch(svcChain, plan.endpoints);
    if (localChain) dispatch(localChain, local);
    const all = new Map([...plan.endpoints, ...local].map((ep) => [`${ep.ip}:${ep.port}`, ep]));
    for (const [target, ep] of all) {
      const chain = chainOf(ep);
      owned.add(chain);
      nat.push(`-A ${chain} ${comment} -s ${ep.ip}/32 -j ${c.markMasquerade}`);
      nat.push(`-A ${chain} ${comment}${remember(chain)} ${match} -j DNAT --to-destination ${target}`);
    }
  }
  // NodePorts come last: a ClusterIP that is also a local address must match as a ClusterIP.
  nat.push(`-A ${c.services} -m comment --comment "node ports" -m addrtype --dst-type LOCAL -j ${c.nodePorts}`);

  const gone = [...stale].filter((chain) => !owned.has(chain));
  const lines = [
    '*nat',
    ...[...natChains, ...owned, ...gone].map((chain) => `:${chain} - [0:0]`),
    ...nat,
    ...gone.map((chain) => `-X ${chain}`),
    ...(options.extra?.nat ?? []),
    'COMMIT',
    '*filter',
    ...[c.rejectServices, c.rejectNodePorts, c.forward].map((chain) => `:${chain} - [0:0]`),
    ...filter,
    ...(options.extra?.filter ?? []),
    'COMMIT',
    '',
  ];
  return { text: lines.join('\n'), chains: owned };
}

/** 1/k with enough digits that the choice is uniform (kube-proxy prints 10). */
function probability(k: number): string {
  return (1 / k).toFixed(10);
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '')}"`;
}
