// Single-object writes over HTTPS, one at a time: create and update (PUT) latency of ConfigMaps
// and Pods with 1,000 and 10,000 of them stored, on sqlite and memory. Baselines in the same run:
// the same create written straight to the cluster's own store, and a POST of the same body to an
// HTTPS echo server with the cluster's certificates (the transport alone).

import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ApiClient } from '../src/client/client.js';
import type { KubeObject } from '../src/api/types.js';
import type { Cluster } from '../src/cluster.js';
import { CONFIGMAPS, PODS, configMap, pod, preload, readyCluster } from './lib/cluster.js';
import { ms, size, summarize, table, vs, type Summary } from './lib/stats.js';

const STORED = size([1_000, 10_000], [100, 1_000]);
const SAMPLES = size(600, 100);
const WARMUP = size(300, 50);

type Kind = 'configmaps' | 'pods';
const KINDS: Kind[] = ['configmaps', 'pods'];

/** Latencies of `n` calls of `fn`, one after another. */
async function sequential(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn(i);
    out.push(performance.now() - start);
  }
  return out;
}

interface Cell {
  create: Summary;
  update: Summary;
  storeCreate: Summary;
}

/** Creates SAMPLES objects through the API, updates each once, and writes SAMPLES copies straight to the store. */
async function measure(cluster: Cluster, kind: Kind, round: number): Promise<Cell> {
  const info = kind === 'pods' ? PODS : CONFIGMAPS;
  const make = kind === 'pods' ? pod : configMap;
  const created: KubeObject[] = [];
  const create = await sequential(SAMPLES, async (i) => created.push(await cluster.client.create(info, 'default', make(`${kind}-${round}-${i}`))));
  const update = await sequential(SAMPLES, (i) => {
    const obj = created[i]!;
    obj.metadata.labels = { ...obj.metadata.labels, revision: '2' };
    return cluster.client.update(info, obj);
  });
  // The same stored form, under a prefix the watch cache does not follow: the store's own cost.
  const value = JSON.stringify(created[0]);
  const storeCreate = await sequential(SAMPLES, (i) => cluster.store.create(`/bench/${kind}/${round}/${i}`, value));
  return { create: summarize(create), update: summarize(update), storeCreate: summarize(storeCreate) };
}

/** An HTTPS server that answers every request with its body, with the cluster's certificates. */
async function echoBaseline(cluster: Cluster, body: KubeObject): Promise<Summary> {
  const server = https.createServer({ cert: cluster.pki.serving.certPem, key: cluster.pki.serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(Buffer.concat(chunks));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new ApiClient({ server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca: cluster.pki.ca.certPem });
  await sequential(WARMUP, () => client.request('POST', '/', { body }));
  const samples = await sequential(SAMPLES, () => client.request('POST', '/', { body }));
  client.close();
  server.closeAllConnections();
  server.close();
  return summarize(samples);
}

const rows: string[][] = [];
let echo: Summary | undefined;
for (const backend of ['sqlite', 'memory'] as const) {
  const cluster = await readyCluster({ store: backend });
  try {
    for (const kind of KINDS) await measure(cluster, kind, -1).catch(() => undefined); // warm-up, untimed
    let stored = 0;
    for (const target of STORED) {
      for (const kind of KINDS) await preload(cluster, kind, `stored-${target}`, target - stored);
      stored = target;
      for (const kind of KINDS) {
        const cell = await measure(cluster, kind, target);
        rows.push([
          backend,
          target.toLocaleString('en-US'),
          kind,
          vs(ms(cell.create.p50), cell.create.p50, cell.storeCreate.p50),
          vs(ms(cell.create.p99), cell.create.p99, cell.storeCreate.p99),
          vs(ms(cell.update.p50), cell.update.p50, cell.storeCreate.p50),
          vs(ms(cell.update.p99), cell.update.p99, cell.storeCreate.p99),
          ms(cell.storeCreate.p50),
          ms(cell.storeCreate.p99),
        ]);
      }
    }
    echo ??= await echoBaseline(cluster, await cluster.client.get(PODS, 'default', `stored-${STORED[0]}-0`));
  } finally {
    await cluster.stop();
  }
}

table(
  `Single-object writes over HTTPS, one in flight (${SAMPLES.toLocaleString('en-US')} of each per row)`,
  ['store', 'stored', 'kind', 'create p50', 'create p99', 'update p50', 'update p99', 'store create p50', 'store create p99'],
  rows,
  [
    'Ratios are against the same object written straight to the cluster\'s store (last two columns).',
    '"stored" counts the objects of each kind present before the row\'s writes (ConfigMaps and Pods',
    'both). sqlite is the default, fsync on every commit.',
    `HTTPS echo of the same pod body (transport alone, same client and certificates): p50 ${ms(echo!.p50)}, p99 ${ms(echo!.p99)}.`,
  ],
  3,
);
