// Sustained writes through the API on sqlite (the default, fsync on every commit) with N requests
// in flight, beside the same creates written straight to the cluster's store and an HTTPS echo of
// the same body (the transport's ceiling), all in the same run and at the same concurrency.

import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ApiClient } from '../src/client/client.js';
import type { Cluster } from '../src/cluster.js';
import { CONFIGMAPS, PODS, configMap, pod, readyCluster } from './lib/cluster.js';
import { ms, num, perSec, ratio, settle, size, summarize, table, type Summary } from './lib/stats.js';

const IN_FLIGHT = [1, 8, 32, 64];
const DURATION_MS = size(3_000, 500);

interface Run {
  perSec: number;
  latency: Summary;
}

/** Keeps `inFlight` calls of `fn` outstanding for `durationMs`; the rate of completed calls. */
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

async function echoServer(cluster: Cluster): Promise<{ client: ApiClient; close(): void }> {
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
  return {
    client,
    close: () => {
      client.close();
      server.closeAllConnections();
      server.close();
    },
  };
}

const cluster = await readyCluster({ store: 'sqlite' });
const echo = await echoServer(cluster);
const rows: string[][] = [];
try {
  for (const kind of ['configmaps', 'pods'] as const) {
    const info = kind === 'pods' ? PODS : CONFIGMAPS;
    const make = kind === 'pods' ? pod : configMap;
    const stored = JSON.stringify(await cluster.client.create(info, 'default', make(`${kind}-template`)));
    await sustained(8, DURATION_MS / 2, (i) => cluster.client.create(info, 'default', make(`${kind}-warmup-${i}`))); // JIT warm-up, untimed
    for (const n of IN_FLIGHT) {
      await settle();
      const api = await sustained(n, DURATION_MS, (i) => cluster.client.create(info, 'default', make(`${kind}-${n}-${i}`)));
      await settle();
      const store = await sustained(n, DURATION_MS, (i) => cluster.store.create(`/bench/${kind}/${n}/${i}`, stored));
      await settle();
      const transport = await sustained(n, DURATION_MS, () => echo.client.request('POST', '/', { body: stored }));
      rows.push([
        kind,
        String(n),
        perSec(api.perSec),
        ms(api.latency.p50),
        ms(api.latency.p99),
        perSec(store.perSec),
        ratio(api.perSec, store.perSec),
        perSec(transport.perSec),
        ratio(api.perSec, transport.perSec),
      ]);
    }
  }
} finally {
  echo.close();
  await cluster.stop();
}

table(
  `Sustained creates on sqlite (fsync), ${num(DURATION_MS / 1000)} s per cell`,
  ['kind', 'in flight', 'API creates', 'API p50', 'API p99', 'store creates', 'API / store', 'HTTPS echo', 'API / echo'],
  rows,
  [
    '"store creates": the same stored JSON written straight to the cluster\'s store at the same concurrency',
    '(group commit: one fsync per turn of the event loop). "HTTPS echo": a server answering each POST with',
    'its body, same client and certificates. The client keeps at most 64 connections.',
  ],
  2,
);
