// Pod IP allocation from the node's pod CIDR, persisted so that a restarted agent keeps the
// addresses of the sandboxes that still run. One owner (sandbox id) holds at most one address.

import { readFile, rename, writeFile, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PortMapping } from '../../runtime/types.js';
import { formatIp, parseIp, type Subnet } from './cidr.js';

export interface Allocation {
  ip: string;
  portMappings: PortMapping[];
}

interface State {
  podCIDR: string;
  /** Where the next search for a free address starts (addresses are reused as late as possible). */
  next: number;
  allocations: Record<string, Allocation>;
}

export class Ipam {
  private constructor(
    private readonly file: string,
    private readonly subnet: Subnet,
    private state: State,
  ) {}

  static async open(file: string, subnet: Subnet, podCIDR: string): Promise<Ipam> {
    const fresh: State = { podCIDR, next: 2, allocations: {} };
    const text = await readFile(file, 'utf8').catch(() => undefined);
    const loaded = text ? (JSON.parse(text) as State) : undefined;
    if (loaded && loaded.podCIDR !== podCIDR) {
      throw new Error(`pod network state ${file} is for ${loaded.podCIDR}, not ${podCIDR}`);
    }
    return new Ipam(file, subnet, loaded ?? fresh);
  }

  get(owner: string): Allocation | undefined {
    return this.state.allocations[owner];
  }

  entries(): [string, Allocation][] {
    return Object.entries(this.state.allocations);
  }

  async allocate(owner: string, portMappings: PortMapping[]): Promise<Allocation> {
    const existing = this.state.allocations[owner];
    if (existing) return existing;
    const used = new Set(Object.values(this.state.allocations).map((a) => a.ip));
    const hosts = this.subnet.size - 3; // network, gateway, broadcast
    for (let i = 0; i < hosts; i++) {
      const offset = 2 + ((this.state.next - 2 + i) % hosts);
      const ip = formatIp(this.subnet.base + offset);
      if (used.has(ip)) continue;
      const allocation = { ip, portMappings };
      this.state.allocations[owner] = allocation;
      this.state.next = offset + 1;
      await this.save();
      return allocation;
    }
    throw new Error(`no free address left in ${this.state.podCIDR}`);
  }

  async release(owner: string): Promise<Allocation | undefined> {
    const allocation = this.state.allocations[owner];
    if (!allocation) return undefined;
    delete this.state.allocations[owner];
    await this.save();
    return allocation;
  }

  contains(ip: string): boolean {
    const value = parseIp(ip);
    return value > this.subnet.base && value < this.subnet.base + this.subnet.size - 1;
  }

  async destroy(): Promise<void> {
    this.state = { podCIDR: this.state.podCIDR, next: 2, allocations: {} };
    await rm(this.file, { force: true });
  }

  private async save(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, JSON.stringify(this.state));
    await rename(tmp, this.file);
  }
}
