// Service ClusterIPs and NodePorts, allocated by create-if-absent keys in the store so that several
// API servers on one store never hand out the same address or port.

import type { Store } from '../store/types.js';
import { StoreError } from '../store/types.js';

const ALLOCATION_PREFIX = '/allocations/';

export function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export interface Cidr {
  base: number;
  size: number;
}

export function parseCidr(cidr: string): Cidr {
  const [ip, bits] = cidr.split('/');
  const prefix = Number(bits);
  const size = 2 ** (32 - prefix);
  const base = Math.floor(ipToNumber(ip!) / size) * size;
  return { base, size };
}

export class RangeAllocator {
  constructor(
    private readonly store: Store,
    private readonly kind: 'serviceips' | 'nodeports',
    /** First and last allocatable value (inclusive). */
    private readonly first: number,
    private readonly last: number,
    private readonly format: (n: number) => string,
  ) {}

  private key(value: string): string {
    return `${ALLOCATION_PREFIX}${this.kind}/${value}`;
  }

  contains(n: number): boolean {
    return n >= this.first && n <= this.last;
  }

  /** Claims `value` for `owner`; false when it is taken. */
  async claim(value: string, owner: string): Promise<boolean> {
    try {
      await this.store.create(this.key(value), owner);
      return true;
    } catch (err) {
      if (err instanceof StoreError && err.code === 'KeyExists') {
        const existing = await this.store.get(this.key(value));
        return existing?.value === owner;
      }
      throw err;
    }
  }

  /** Claims a free value, starting at a random offset so concurrent servers rarely collide. */
  async allocate(owner: string): Promise<string | undefined> {
    const span = this.last - this.first + 1;
    const taken = new Set(
      (await this.store.range(`${ALLOCATION_PREFIX}${this.kind}/`)).kvs.map((kv) => kv.key.slice(ALLOCATION_PREFIX.length + this.kind.length + 1)),
    );
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const value = this.format(this.first + ((start + i) % span));
      if (taken.has(value)) continue;
      if (await this.claim(value, owner)) return value;
    }
    return undefined;
  }

  async release(value: string, owner: string): Promise<void> {
    const existing = await this.store.get(this.key(value));
    if (existing && existing.value === owner) {
      try {
        await this.store.delete(this.key(value), existing.modRevision);
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
      }
    }
  }
}

export interface ServiceAllocators {
  clusterIPs: RangeAllocator;
  nodePorts: RangeAllocator;
  serviceCidr: Cidr;
  /** The first address of the range: the `kubernetes` Service's. */
  apiServiceIP: string;
}

export function createServiceAllocators(store: Store, serviceCidr: string, nodePortRange = [30000, 32767]): ServiceAllocators {
  const cidr = parseCidr(serviceCidr);
  return {
    // Network and first address are reserved (the first is the API server's Service), and the broadcast.
    clusterIPs: new RangeAllocator(store, 'serviceips', cidr.base + 1, cidr.base + cidr.size - 2, numberToIp),
    nodePorts: new RangeAllocator(store, 'nodeports', nodePortRange[0]!, nodePortRange[1]!, String),
    serviceCidr: cidr,
    apiServiceIP: numberToIp(cidr.base + 1),
  };
}
