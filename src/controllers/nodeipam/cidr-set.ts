// The node subnets of a cluster CIDR (the range allocator's cidrset): the cluster CIDR split into
// subnets of one prefix length, each free or used, handed out round robin from where the last
// allocation stopped so that a released subnet is reused as late as possible.

import { formatIp, parseIp } from '../../network/pod-network/cidr.js';

/** At most 2^16 node subnets in a cluster CIDR, as kube-controller-manager allows. */
const MAX_SUBNET_BITS = 16;

export interface Cidr {
  base: number;
  prefixLength: number;
}

export function parseIpv4Cidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefixLength = Number(m[5]);
  if (octets.some((o) => o > 255) || prefixLength > 32) return undefined;
  const size = 2 ** (32 - prefixLength);
  const address = parseIp(octets.join('.'));
  return { base: address - (address % size), prefixLength };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefixLength}`;
}

export class CidrSet {
  readonly cluster: Cidr;
  private readonly used: Uint8Array;
  private readonly subnetSize: number;
  private next = 0;
  private free: number;

  constructor(clusterCidr: string, readonly nodeMaskSize: number) {
    const cluster = parseIpv4Cidr(clusterCidr);
    if (!cluster) throw new Error(`invalid cluster CIDR ${JSON.stringify(clusterCidr)}: want an IPv4 a.b.c.d/n`);
    if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < cluster.prefixLength || nodeMaskSize > 30) {
      throw new Error(`invalid node CIDR mask size ${nodeMaskSize}: must lie between the cluster CIDR's /${cluster.prefixLength} and /30`);
    }
    if (nodeMaskSize - cluster.prefixLength > MAX_SUBNET_BITS) {
      throw new Error(`node CIDR mask size /${nodeMaskSize} too big for cluster CIDR ${clusterCidr}: at most ${MAX_SUBNET_BITS} bits more than the cluster's`);
    }
    this.cluster = cluster;
    this.subnetSize = 2 ** (32 - nodeMaskSize);
    this.used = new Uint8Array(2 ** (nodeMaskSize - cluster.prefixLength));
    this.free = this.used.length;
  }

  get size(): number {
    return this.used.length;
  }

  get available(): number {
    return this.free;
  }

  /** The next free subnet, marked used; undefined when every subnet is taken. */
  allocateNext(): string | undefined {
    const n = this.used.length;
    for (let i = 0; i < n; i++) {
      const index = (this.next + i) % n;
      if (this.used[index]) continue;
      this.mark(index, 1);
      this.next = (index + 1) % n;
      return formatCidr({ base: this.cluster.base + index * this.subnetSize, prefixLength: this.nodeMaskSize });
    }
    return undefined;
  }

  /**
   * Marks the subnets `cidr` covers as used (a node's subnet, or a range such as the Services'
   * that overlaps the cluster CIDR). Returns false when it does not overlap the cluster CIDR.
   */
  occupy(cidr: string): boolean {
    const range = this.indices(cidr);
    if (!range) return false;
    for (let i = range.first; i <= range.last; i++) this.mark(i, 1);
    return true;
  }

  /** Marks the subnets `cidr` covers as free again. */
  release(cidr: string): boolean {
    const range = this.indices(cidr);
    if (!range) return false;
    for (let i = range.first; i <= range.last; i++) this.mark(i, 0);
    return true;
  }

  /** Whether `cidr` lies inside the cluster CIDR. */
  contains(cidr: string): boolean {
    const c = parseIpv4Cidr(cidr);
    return !!c && c.prefixLength >= this.cluster.prefixLength && this.clusterIndexOf(c.base) !== undefined;
  }

  private mark(index: number, value: 0 | 1): void {
    if (this.used[index] === value) return;
    this.used[index] = value;
    this.free += value ? -1 : 1;
  }

  private clusterIndexOf(address: number): number | undefined {
    const offset = address - this.cluster.base;
    if (offset < 0 || offset >= 2 ** (32 - this.cluster.prefixLength)) return undefined;
    return Math.floor(offset / this.subnetSize);
  }

  private indices(cidr: string): { first: number; last: number } | undefined {
    const c = parseIpv4Cidr(cidr);
    if (!c) return undefined;
    const clusterEnd = this.cluster.base + 2 ** (32 - this.cluster.prefixLength) - 1;
    const start = Math.max(c.base, this.cluster.base);
    const end = Math.min(c.base + 2 ** (32 - c.prefixLength) - 1, clusterEnd);
    if (start > end) return undefined;
    return { first: this.clusterIndexOf(start)!, last: this.clusterIndexOf(end)! };
  }
}
