// With 10,000 pods stored: a full list as JSON and as a server-side Table, and one change at a time
// delivered to 100 watchers. Baselines in the same run: the same range read straight from the
// store, and the same change delivered by 100 watches on the store itself.

import { performance } from 'node:perf_hooks';
import { ApiClient } from '../src/client/client.js';
import type { Cluster } from '../src/cluster.js';
import type { KubeObject } from '../src/api/types.js';
import { PODS, pod, preload, readyCluster } from './lib/cluster.js';
import { mib, ms, num, ratio, settle, size, summarize, table, vs, type Summary } from './lib/stats.js';

const STORED = size(10_000, 1_000);
const LIST_ROUNDS = size(20, 5);
const WATCHERS = 100;
const CHANGES = size(200, 30);
const PODS_PATH = '/api/v1/namespaces/default/pods';
const PODS_PREFIX = '/registry/core/pods/default/';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** Times `fn` n times after a warm-up; `before` runs untimed ahead of each round. */
async function rounds(n: number, fn: () => Promise<unknown>, before?: (i: number) => Promise<unknown>): Promise<Summary> {
  await fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    await before?.(i);
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return summarize(samples);
}

interface Lists {
  json: Summary;
  jsonBytes: number;
  table: Summary;
  tableBytes: number;
  page: Summary;
  afterCreate: Summary;
  store: Summary;
}

async function lists(cluster: Cluster): Promise<Lists> {
  let jsonBytes = 0;
  let tableBytes = 0;
  const json = await rounds(LIST_ROUNDS, async () => (jsonBytes = (await cluster.client.text(PODS_PATH, { accept: 'application/json' })).length));
  const table = await rounds(LIST_ROUNDS, async () => (tableBytes = (await cluster.client.text(PODS_PATH, { accept: TABLE })).length));
  const page = await rounds(LIST_ROUNDS, () => cluster.client.text(PODS_PATH, { accept: 'application/json', query: { limit: 500 } }));
  // The same list when a pod was added just before it (the cache's key order must be rebuilt).
  const afterCreate = await rounds(
    LIST_ROUNDS,
    () => cluster.client.text(PODS_PATH, { accept: 'application/json' }),
    (i) => cluster.client.create(PODS, 'default', pod(`list-churn-${i}`)),
  );
  const store = await rounds(LIST_ROUNDS, () => cluster.store.range(PODS_PREFIX));
  return { json, jsonBytes, table, tableBytes, page, afterCreate, store };
}

interface Delivery {
  each: Summary;
  last: Summary;
  write: Summary;
}

/**
 * One change at a time to `WATCHERS` watchers: `subscribe` registers a watcher that calls `seen(seq)`,
 * `change(seq)` makes change `seq`. Measures from the start of the change to each delivery.
 */
async function deliver(subscribe: (seen: (seq: number) => void) => () => void, change: (seq: number) => Promise<unknown>): Promise<Delivery> {
  const each: number[] = [];
  const last: number[] = [];
  const write: number[] = [];
  let started = 0;
  let pending = 0;
  let current = -1;
  let allSeen: () => void = () => {};
  const seen = (seq: number) => {
    if (seq !== current) return;
    const delay = performance.now() - started;
    if (seq >= 0) each.push(delay);
    if (--pending === 0) {
      if (seq >= 0) last.push(delay);
      allSeen();
    }
  };
  const cancels = Array.from({ length: WATCHERS }, () => subscribe(seen));
  // Change -1 tells that every watcher is connected; it is not counted.
  for (let seq = -1; seq < CHANGES; seq++) {
    current = seq;
    pending = WATCHERS;
    const all = new Promise<void>((resolve) => (allSeen = resolve));
    started = performance.now();
    await change(seq);
    if (seq >= 0) write.push(performance.now() - started);
    await all;
  }
  for (const cancel of cancels) cancel();
  return { each: summarize(each), last: summarize(last), write: summarize(write) };
}

/** Watchers of the API, each its own client and connection, as 100 informers would be. */
async function apiDelivery(cluster: Cluster): Promise<Delivery> {
  const list = await cluster.client.list(PODS, 'default', { limit: 1 });
  const clients: ApiClient[] = [];
  const result = await deliver(
    (seen) => {
      const client = new ApiClient(cluster.client.config);
      clients.push(client);
      const stream = client.watch<KubeObject>(PODS_PATH, { resourceVersion: list.metadata.resourceVersion }, (e) => {
        if (e.type === 'MODIFIED') seen(Number(e.object.metadata.labels?.seq?.slice(1)));
      });
      stream.done.catch(() => {});
      return () => stream.stop();
    },
    (seq) => cluster.client.patch(PODS, 'default', `stored-1`, { metadata: { labels: { seq: `s${seq}` } } }, 'merge'),
  );
  for (const c of clients) c.close();
  return result;
}

/** The same, with watches on the store and writes straight to it. */
async function storeDelivery(cluster: Cluster): Promise<Delivery> {
  const key = '/bench/watch/pod';
  let kv = await cluster.store.create(key, JSON.stringify({ seq: -2 }));
  const from = kv.modRevision;
  return deliver(
    (seen) => {
      const handle = cluster.store.watch('/bench/watch/', from, {
        onEvents: (events) => {
          for (const e of events) seen((JSON.parse(e.kv.value) as { seq: number }).seq);
        },
        onError: () => {},
      });
      return () => handle.cancel();
    },
    async (seq) => (kv = await cluster.store.update(key, JSON.stringify({ seq }), kv.modRevision)),
  );
}

const listRows: string[][] = [];
const watchRows: string[][] = [];
for (const backend of ['sqlite', 'memory'] as const) {
  const cluster = await readyCluster({ store: backend });
  try {
    await preload(cluster, 'pods', 'stored', STORED);
    await settle(500);
    const l = await lists(cluster);
    listRows.push(
      [backend, 'JSON', ms(l.json.p50), ms(l.json.p99), mib(l.jsonBytes), ratio(l.json.p50, l.store.p50)],
      [backend, 'Table', ms(l.table.p50), ms(l.table.p99), mib(l.tableBytes), ratio(l.table.p50, l.store.p50)],
      [backend, 'JSON, limit=500', ms(l.page.p50), ms(l.page.p99), '', ratio(l.page.p50, l.store.p50)],
      [backend, 'JSON, a pod created before each list', ms(l.afterCreate.p50), ms(l.afterCreate.p99), '', ratio(l.afterCreate.p50, l.store.p50)],
      [backend, 'store range (baseline)', ms(l.store.p50), ms(l.store.p99), '', '1.0×'],
    );
    await settle(500);
    const api = await apiDelivery(cluster);
    await settle(500);
    const store = await storeDelivery(cluster);
    watchRows.push(
      [backend, 'API watch (HTTPS)', ms(api.each.p50), vs(ms(api.each.p99), api.each.p99, store.each.p99), ms(api.last.p50), ms(api.last.p99), ms(api.write.p50)],
      [backend, 'store watch (baseline)', ms(store.each.p50), ms(store.each.p99), ms(store.last.p50), ms(store.last.p99), ms(store.write.p50)],
    );
  } finally {
    await cluster.stop();
  }
}

table(
  `List all of ${STORED.toLocaleString('en-US')} pods (${LIST_ROUNDS} rounds)`,
  ['store', 'list', 'p50', 'p99', 'size', 'p50 vs store range'],
  listRows,
  [
    'Lists are served from the watch cache; the baseline is the same range read straight from the store',
    '(no HTTP, no encoding). Times are to the last byte received by the client.',
  ],
  2,
);
table(
  `One change delivered to ${WATCHERS} watchers (${CHANGES} changes, one at a time, ${STORED.toLocaleString('en-US')} pods stored)`,
  ['store', 'watchers', 'delivery p50', 'delivery p99', 'last of 100 p50', 'last of 100 p99', 'write ack p50'],
  watchRows,
  [
    'Delivery: from the start of the write (a merge PATCH of one pod\'s label) to a watcher parsing the event;',
    `${num(WATCHERS * CHANGES)} deliveries per row. API watchers are separate clients with a connection each, in this`,
    'process. The ratio compares the API\'s p99 with the store watch\'s.',
  ],
  2,
);
