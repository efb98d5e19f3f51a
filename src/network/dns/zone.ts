// The cluster's records as an in-memory index: record sets by owner (a Service, a pod) so that one
// object's change replaces exactly its records, and by name for lookups. Every ancestor of a name
// that holds records is counted, so that an empty non-terminal (`svc.cluster.local`,
// `default.svc.cluster.local`) answers NOERROR without data instead of NXDOMAIN.

export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'SRV' | 'TXT' | 'NS';

export type ZoneRecord =
  | { name: string; type: 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS'; data: string }
  | { name: string; type: 'SRV'; data: { priority: number; weight: number; port: number; target: string } }
  | { name: string; type: 'TXT'; data: string[] };

/** Lower-case, without the trailing dot. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export class Zone {
  private readonly byOwner = new Map<string, ZoneRecord[]>();
  private readonly byName = new Map<string, Map<string, ZoneRecord[]>>();
  private readonly nameCounts = new Map<string, number>();

  /** Replaces the records an owner contributes (an empty list removes the owner). */
  set(owner: string, records: ZoneRecord[]): void {
    const old = this.byOwner.get(owner);
    if (old) {
      for (const name of new Set(old.map((r) => r.name))) {
        const owners = this.byName.get(name)!;
        owners.delete(owner);
        if (owners.size === 0) this.byName.delete(name);
        this.count(name, -1);
      }
      this.byOwner.delete(owner);
    }
    if (records.length === 0) return;
    const normalized = records.map((r) => ({ ...r, name: normalizeName(r.name) }) as ZoneRecord);
    this.byOwner.set(owner, normalized);
    const grouped = new Map<string, ZoneRecord[]>();
    for (const r of normalized) {
      const list = grouped.get(r.name);
      if (list) list.push(r);
      else grouped.set(r.name, [r]);
    }
    for (const [name, list] of grouped) {
      let owners = this.byName.get(name);
      if (!owners) this.byName.set(name, (owners = new Map()));
      owners.set(owner, list);
      this.count(name, 1);
    }
  }

  delete(owner: string): void {
    this.set(owner, []);
  }

  /** Every record at a name, whoever contributed it. */
  lookup(name: string): ZoneRecord[] {
    const owners = this.byName.get(normalizeName(name));
    if (!owners) return [];
    return [...owners.values()].flat();
  }

  /** Whether the name holds records or is an ancestor of a name that does. */
  exists(name: string): boolean {
    return this.nameCounts.has(normalizeName(name));
  }

  /** Counts a name and all its ancestors as present once more or less. */
  private count(name: string, delta: number): void {
    for (let n: string | undefined = name; n; n = n.includes('.') ? n.slice(n.indexOf('.') + 1) : undefined) {
      const next = (this.nameCounts.get(n) ?? 0) + delta;
      if (next <= 0) this.nameCounts.delete(n);
      else this.nameCounts.set(n, next);
    }
  }
}
