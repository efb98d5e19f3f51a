// Which routes a node needs to reach the pods of every other node directly (host-gw): each other
// Node's IPv4 podCIDR via that Node's first IPv4 InternalIP. Nodes that cannot be routed to are
// left out: no pod subnet or address yet, a loopback address (simulated nodes, a single-machine
// node), one of this node's own addresses, a subnet overlapping this node's own, or a subnet that
// holds this node's or the next hop's own address. A Node may set its pod CIDR itself when it has
// none; one that takes in the hosts' network (128.0.0.0/1, say) would send this host's own
// traffic there.

import type { Node } from '../../api/types.js';
import { parseIpv4Cidr } from '../../controllers/nodeipam/cidr-set.js';

export interface PeerRoute {
  /** The other node's pod subnet. */
  cidr: string;
  /** The other node's address: the next hop. */
  via: string;
}

export interface LocalNode {
  name: string;
  podCIDR: string;
  addresses: string[];
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

function overlaps(a: string, b: string): boolean {
  const x = parseIpv4Cidr(a);
  const y = parseIpv4Cidr(b);
  if (!x || !y) return false;
  const prefix = Math.min(x.prefixLength, y.prefixLength);
  const size = 2 ** (32 - prefix);
  return Math.floor(x.base / size) === Math.floor(y.base / size);
}

/** The route to `node`'s pods, or why there is none. */
export function routeTo(node: Node, self: LocalNode): PeerRoute | { skip: string } {
  if (node.metadata.name === self.name) return { skip: 'this node' };
  const cidrs = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  const cidr = cidrs.find((c) => !c.includes(':') && parseIpv4Cidr(c));
  if (!cidr) return { skip: 'no IPv4 pod CIDR' };
  const via = node.status?.addresses?.find((a) => a.type === 'InternalIP' && IPV4.test(a.address))?.address;
  if (!via) return { skip: 'no IPv4 InternalIP' };
  if (via.startsWith('127.')) return { skip: 'loopback InternalIP' };
  if (self.addresses.includes(via)) return { skip: 'InternalIP is this node’s' };
  if (overlaps(cidr, self.podCIDR)) return { skip: `pod CIDR overlaps this node's ${self.podCIDR}` };
  const holds = [via, ...self.addresses].find((ip) => IPV4.test(ip) && overlaps(cidr, `${ip}/32`));
  if (holds) return { skip: `pod CIDR ${cidr} holds the host address ${holds}` };
  const parsed = parseIpv4Cidr(cidr)!;
  return { cidr: `${[24, 16, 8, 0].map((s) => Math.floor(parsed.base / 2 ** s) % 256).join('.')}/${parsed.prefixLength}`, via };
}
