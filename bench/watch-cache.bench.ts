// The watch cache's key order, which every list and every watch from resourceVersion 0 walks:
// cached, after an update (order kept), and after one added object (order rebuilt by sorting every
// key). Direct calls on ResourceCache, no HTTP: the cost a list pays on a cache that is being written.
// Baseline in the same run: inserting the new key into a sorted array of the same keys (binary
// search and splice), which is what keeping the order would cost per add.

import { performance } from 'node:perf_hooks';
import { ResourceCache, decodeStored, type CacheEvent } from '../src/apiserver/watch-cache.js';
import type { KubeObject } from '../src/api/types.js';
import { ms, size, summarize, table, vs } from './lib/stats.js';

const SIZES = size([1_000, 10_000, 50_000], [1_000, 10_000]);
const ROUNDS = size(200, 20);
const PREFIX = '/registry/core/pods/';

function event(type: 'ADDED' | 'MODIFIED', name: string, revision: number): CacheEvent {
  const object = { metadata: { name, namespace: 'default' } } as KubeObject;
  return { type, current: decodeStored(`${PREFIX}default/${name}`, JSON.stringify(object), revision), revision };
}

function timeKeys(cache: ResourceCache, before: (i: number) => void): number[] {
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    before(i);
    const start = performance.now();
    cache.keys();
    samples.push(performance.now() - start);
  }
  return samples;
}

/** Binary search and splice of `key` into the sorted `keys`. */
function insertSorted(keys: string[], key: string): void {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  keys.splice(lo, 0, key);
}

const rows: string[][] = [];
for (const n of SIZES) {
  const cache = new ResourceCache(PREFIX, 1000);
  let revision = 0;
  // Names in random order, as generated names are.
  for (let i = 0; i < n; i++) cache.apply(event('ADDED', `pod-${Math.random().toString(36).slice(2, 10)}-${i}`, ++revision));
  cache.keys();
  const someKey = cache.keys()[0]!.slice(`${PREFIX}default/`.length);
  const cached = summarize(timeKeys(cache, () => {}));
  const modified = summarize(timeKeys(cache, () => cache.apply(event('MODIFIED', someKey, ++revision))));
  const added = summarize(timeKeys(cache, (i) => cache.apply(event('ADDED', `new-${n}-${i}`, ++revision))));
  const sorted = [...cache.keys()];
  const inserts: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    insertSorted(sorted, `${PREFIX}default/new-${n}-${i}x`);
    inserts.push(performance.now() - start);
  }
  const insert = summarize(inserts);
  rows.push([
    n.toLocaleString('en-US'),
    ms(cached.p50),
    ms(modified.p50),
    vs(ms(added.p50), added.p50, insert.p50),
    vs(ms(added.p99), added.p99, insert.p99),
    ms(insert.p50),
    ms(insert.p99),
  ]);
}

table(
  `ResourceCache.keys() (${ROUNDS} rounds)`,
  ['objects', 'keys() p50', 'after an update p50', 'after an add p50', 'after an add p99', 'sorted insert p50', 'sorted insert p99'],
  rows,
  ['An add (or delete) drops the sorted key list; the next keys() sorts all of them again. Ratios: against a sorted insert.'],
);
