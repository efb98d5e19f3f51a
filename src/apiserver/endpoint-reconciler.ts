// The `kubernetes` Service's Endpoints and EndpointSlice list every live API server, as
// kube-apiserver's lease endpoint reconciler does: each server keeps a short lease of its own in
// the store (outside the API's objects) and rewrites the endpoints as the union of live leases.
// A lease is live while it keeps changing: its age is judged by this server's clock since it saw
// the lease's revision move, so servers with skewed clocks agree.

import type { Store } from '../store/types.js';
import { StoreError } from '../store/types.js';
import type { KubeObject } from '../api/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import type { Registry } from './registry.js';
import { SYSTEM } from './bootstrap.js';

export const MASTER_LEASES_PREFIX = '/masterleases/';
/** kube-apiserver's defaults: a lease lives 15 s and is renewed (and the endpoints reconciled) every 10 s. */
export const DEFAULT_LEASE_TTL_MS = 15_000;
export const DEFAULT_RECONCILE_INTERVAL_MS = 10_000;

export interface EndpointReconcilerOptions {
  registry: Registry;
  clock: Clock;
  /** The address this server publishes (not loopback: Endpoints may not name one). */
  ip: string;
  port: number;
  ttlMs?: number;
  intervalMs?: number;
  log?: Logger;
}

interface LeaseValue {
  ip: string;
  port: number;
  renewedAt: number;
}

interface Observed {
  modRevision: number;
  at: number;
}

export class LeaseEndpointReconciler {
  private readonly store: Store;
  private readonly ttlMs: number;
  private readonly intervalMs: number;
  private readonly log: Logger;
  private readonly observed = new Map<string, Observed>();
  private timer: Timer | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: EndpointReconcilerOptions) {
    this.store = opts.registry.store;
    this.ttlMs = opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.intervalMs = opts.intervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS;
    this.log = opts.log ?? silentLogger;
  }

  private get leaseKey(): string {
    return `${MASTER_LEASES_PREFIX}${this.opts.ip}`;
  }

  /** Publishes this server at once, then keeps its lease and the endpoints current. */
  async start(): Promise<void> {
    await this.reconcile();
    this.schedule();
  }

  /** Removes this server's lease and itself from the endpoints (a graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
    try {
      const kv = await this.store.get(this.leaseKey);
      if (kv) await this.store.delete(this.leaseKey, kv.modRevision);
      await this.writeEndpoints(await this.liveLeases(false));
    } catch (err) {
      this.log.warn('removing this API server from the kubernetes endpoints failed', { error: (err as Error).message });
    }
  }

  /** Renews this server's lease and rewrites the endpoints when the live set differs from them (not once stopped). */
  async reconcile(): Promise<void> {
    const run = this.running.then(async () => {
      if (this.stopped) return;
      await this.renewLease();
      await this.writeEndpoints(await this.liveLeases(true));
    });
    this.running = run.catch(() => undefined);
    return run;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.reconcile()
        .catch((err: unknown) => this.log.warn('reconciling the kubernetes endpoints failed', { error: (err as Error).message }))
        .finally(() => this.schedule());
    }, this.intervalMs);
  }

  private async renewLease(): Promise<void> {
    const value = JSON.stringify({ ip: this.opts.ip, port: this.opts.port, renewedAt: this.opts.clock.now() } satisfies LeaseValue);
    for (;;) {
      const kv = await this.store.get(this.leaseKey);
      try {
        if (kv) await this.store.update(this.leaseKey, value, kv.modRevision);
        else await this.store.create(this.leaseKey, value);
        return;
      } catch (err) {
        if (!(err instanceof StoreError && (err.code === 'Conflict' || err.code === 'KeyExists' || err.code === 'NotFound'))) throw err;
      }
    }
  }

  /** The leases renewed within the TTL; expired ones are deleted by whoever notices first. */
  private async liveLeases(includeSelf: boolean): Promise<LeaseValue[]> {
    const now = this.opts.clock.now();
    const { kvs } = await this.store.range(MASTER_LEASES_PREFIX);
    const live: LeaseValue[] = [];
    const seen = new Set<string>();
    for (const kv of kvs) {
      seen.add(kv.key);
      const self = kv.key === this.leaseKey;
      if (self && !includeSelf) continue;
      const before = this.observed.get(kv.key);
      if (!before || before.modRevision !== kv.modRevision) this.observed.set(kv.key, { modRevision: kv.modRevision, at: now });
      const since = this.observed.get(kv.key)!.at;
      if (!self && now - since >= this.ttlMs) {
        await this.store.delete(kv.key, kv.modRevision).catch(() => undefined);
        this.observed.delete(kv.key);
        continue;
      }
      try {
        live.push(JSON.parse(kv.value) as LeaseValue);
      } catch {
        // Not a lease this program wrote: leave it out.
      }
    }
    for (const key of this.observed.keys()) if (!seen.has(key)) this.observed.delete(key);
    return live;
  }

  private async writeEndpoints(leases: LeaseValue[]): Promise<void> {
    const byPort = new Map<number, string[]>();
    for (const l of leases) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l.ip]);
    const ports = [...byPort.keys()].sort((a, b) => a - b);
    const subsets = ports.map((port) => ({
      addresses: byPort.get(port)!.sort(compareIps).map((ip) => ({ ip })),
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    }));
    const { registry } = this.opts;

    const endpointsInfo = registry.resourceByKind('v1', 'Endpoints');
    const current = await registry.current(endpointsInfo, 'default', 'kubernetes');
    if (!current || JSON.stringify((current.object as { subsets?: unknown }).subsets ?? []) !== JSON.stringify(subsets)) {
      await registry.guaranteedUpdate(endpointsInfo, 'default', 'kubernetes', { ...SYSTEM, warnings: [] }, (existing) => {
        const next: KubeObject = existing ?? { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } } };
        if (subsets.length) next.subsets = subsets;
        else delete next.subsets;
        return next;
      }, { allowCreate: true });
    }

    // One slice carries one set of ports: the servers on the lowest port (all of them when the
    // servers share a port, as kube-apiserver expects).
    const port = ports[0];
    const endpoints = port === undefined ? [] : byPort.get(port)!.map((ip) => ({ addresses: [ip], conditions: { ready: true } }));
    const slicePorts = port === undefined ? [] : [{ name: 'https', port, protocol: 'TCP' }];
    const sliceInfo = registry.resourceByKind('discovery.k8s.io/v1', 'EndpointSlice');
    const slice = await registry.current(sliceInfo, 'default', 'kubernetes');
    const sliceObj = slice?.object as { endpoints?: unknown; ports?: unknown } | undefined;
    if (sliceObj && JSON.stringify(sliceObj.endpoints ?? []) === JSON.stringify(endpoints) && JSON.stringify(sliceObj.ports ?? []) === JSON.stringify(slicePorts)) return;
    await registry.guaranteedUpdate(sliceInfo, 'default', 'kubernetes', { ...SYSTEM, warnings: [] }, (existing) => {
      const next: KubeObject = existing ?? {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      };
      next.addressType = 'IPv4';
      next.endpoints = endpoints;
      next.ports = slicePorts;
      return next;
    }, { allowCreate: true });
  }
}

function compareIps(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return a < b ? -1 : a > b ? 1 : 0;
}
