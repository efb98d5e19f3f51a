// Writes through the API server on etcd (one member, three members) beside sqlite, and beside
// what the layers below cost in the same run: the store's own compare-and-swap creates, and plain
// etcd puts from the etcd3 client (no transaction, no API server), at the same concurrency.

import { performance } from 'node:perf_hooks';
import etcd3 from 'etcd3';
import type { ClusterOptions } from '../src/cluster.js';
import { startEtcd, type EtcdCluster } from '../test/helpers/etcd.js';
import { CONFIGMAPS, configMap, readyCluster } from './lib/cluster.js';
import { ms, num, perSec, ratio, settle, size, summarize, table, type Summary } from './lib/stats.js';

const IN_FLIGHT = [1, 32];
const DURATION_MS = size(3_000, 500);

interface Run {
  perSec: number;
  latency: Summary;
}

async function sustained(inFlight: number, durationMs: number, fn: (i: number) => Promise<unknown>): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const end = start + durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await fn(next++);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { perSec: latencies.length / ((performance.now() - start) / 1000), latency: summarize(latencies) };
}

const stoppers: (() => Promise<unknown>)[] = [];
const etcdOf = async (members: 1 | 3): Promise<EtcdCluster> => {
  const etcd = await startEtcd(null, { members });
  stoppers.push(() => etcd.stop());
  return etcd;
};

const backends: { name: string; store: () => Promise<ClusterOptions['store']>; etcd?: () => EtcdCluster }[] = [];
let one: EtcdCluster | undefined;
let three: EtcdCluster | undefined;
backends.push({ name: 'sqlite (fsync)', store: async () => 'sqlite' });
backends.push({ name: 'etcd, 1 member', store: async () => ({ endpoints: (one = await etcdOf(1)).endpoints }), etcd: () => one! });
backends.push({ name: 'etcd, 3 members', store: async () => ({ endpoints: (three = await etcdOf(3)).endpoints }), etcd: () => three! });

const rows: string[][] = [];
try {
  for (const backend of backends) {
    const cluster = await readyCluster({ store: await backend.store() });
    const raw = backend.etcd ? new etcd3.Etcd3({ hosts: backend.etcd().endpoints }) : undefined;
    try {
      const stored = JSON.stringify(await cluster.client.create(CONFIGMAPS, 'default', configMap('template')));
      await sustained(8, DURATION_MS / 2, (i) => cluster.client.create(CONFIGMAPS, 'default', configMap(`warmup-${i}`)));
      for (const n of IN_FLIGHT) {
        await settle();
        const api = await sustained(n, DURATION_MS, (i) => cluster.client.create(CONFIGMAPS, 'default', configMap(`cm-${n}-${i}`)));
        await settle();
        const store = await sustained(n, DURATION_MS, (i) => cluster.store.create(`/bench/store/${n}/${i}`, stored));
        await settle();
        const puts = raw ? await sustained(n, DURATION_MS, (i) => raw.put(`/bench/raw/${n}/${i}`).value(stored).exec()) : undefined;
        const baseline = puts ?? store;
        rows.push([
          backend.name,
          String(n),
          perSec(api.perSec),
          ms(api.latency.p50),
          ms(api.latency.p99),
          perSec(store.perSec),
          ms(store.latency.p99),
          puts ? perSec(puts.perSec) : '—',
          puts ? ms(puts.latency.p99) : '—',
          ratio(api.perSec, baseline.perSec),
        ]);
      }
    } finally {
      raw?.close();
      await cluster.stop();
    }
  }
} finally {
  for (const stop of stoppers.reverse()) await stop();
}

table(
  `Creates through the API on sqlite and etcd, ${num(DURATION_MS / 1000)} s per cell`,
  ['backend', 'in flight', 'API creates', 'API p50', 'API p99', 'store creates', 'store p99', 'raw etcd puts', 'raw p99', 'API / raw'],
  rows,
  [
    '1 KiB ConfigMaps. "store creates": the same JSON written with the cluster\'s Store (on etcd a transaction',
    'comparing the key\'s create revision). "raw etcd puts": plain puts from the etcd3 client to the same etcd.',
    '"API / raw" is against raw puts on etcd and against the store on sqlite. etcd members run on this',
    'machine, fsyncing their write-ahead logs to the same disk.',
  ],
  2,
);
