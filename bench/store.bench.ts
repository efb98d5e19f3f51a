// Store throughput and watch latency, memory against sqlite, in one run. Prints a table; asserts
// nothing. Run after the build: node dist/bench/store.bench.js

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryStore } from '../src/store/memory/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { Store } from '../src/store/types.js';

const VALUE = JSON.stringify({ kind: 'ConfigMap', data: { pad: 'x'.repeat(1000) } });
const SEQUENTIAL_PUTS = 2_000;
const CONCURRENT_PUTS = 20_000;
const IN_FLIGHT = 64;
const RANGE_KEYS = 10_000;
const RANGE_ROUNDS = 20;
const WATCHERS = 100;
const WATCHED_WRITES = 2_000;

interface Backend {
  label: string;
  open(): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

interface Result {
  sequentialPerSec: number;
  concurrentPerSec: number;
  rangeMs: number;
  watchP50Ms: number;
  watchP99Ms: number;
}

const backends: Backend[] = [
  {
    label: 'memory',
    open: async () => {
      const store = new MemoryStore({ autoCompact: false });
      return { store, cleanup: () => store.close() };
    },
  },
  sqlite('sqlite (fsync)', 'full'),
  sqlite('sqlite (no fsync)', 'normal'),
];

function sqlite(label: string, synchronous: 'full' | 'normal'): Backend {
  return {
    label,
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-'));
      const store = await openSqliteStore({ path: dir, synchronous, autoCompact: false });
      return {
        store,
        cleanup: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

async function sequentialPuts(store: Store): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < SEQUENTIAL_PUTS; i++) await store.create(`/bench/seq/${i}`, VALUE);
  return SEQUENTIAL_PUTS / ((performance.now() - start) / 1000);
}

async function concurrentPuts(store: Store): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < CONCURRENT_PUTS) await store.create(`/bench/conc/${next++}`, VALUE);
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return CONCURRENT_PUTS / ((performance.now() - start) / 1000);
}

async function rangeOfKeys(store: Store): Promise<number> {
  await Promise.all(Array.from({ length: RANGE_KEYS }, (_, i) => store.create(`/bench/range/${String(i).padStart(6, '0')}`, VALUE)));
  const start = performance.now();
  for (let i = 0; i < RANGE_ROUNDS; i++) {
    const result = await store.range('/bench/range/');
    if (result.kvs.length !== RANGE_KEYS) throw new Error(`range returned ${result.kvs.length} keys`);
  }
  return (performance.now() - start) / RANGE_ROUNDS;
}

async function watchDelivery(store: Store): Promise<{ p50: number; p99: number }> {
  const submitted = new Map<number, number>();
  const base = await store.currentRevision();
  const delays: number[] = [];
  let pending = WATCHERS * WATCHED_WRITES;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const handles = Array.from({ length: WATCHERS }, () =>
    store.watch('/bench/watch/', base, {
      onEvents: (events) => {
        const now = performance.now();
        for (const e of events) delays.push(now - submitted.get(e.kv.modRevision - base)!);
        pending -= events.length;
        if (pending === 0) done();
      },
      onError: (err) => {
        throw err;
      },
    }),
  );
  let next = 0;
  const worker = async () => {
    while (next < WATCHED_WRITES) {
      const i = next++;
      // Revisions are assigned in call order, so write i gets revision base + i + 1.
      submitted.set(i + 1, performance.now());
      await store.create(`/bench/watch/${i}`, VALUE);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await all;
  for (const h of handles) h.cancel();
  delays.sort((a, b) => a - b);
  return { p50: delays[Math.floor(delays.length * 0.5)]!, p99: delays[Math.floor(delays.length * 0.99)]! };
}

async function measure(backend: Backend): Promise<Result> {
  const { store, cleanup } = await backend.open();
  try {
    const sequentialPerSec = await sequentialPuts(store);
    const concurrentPerSec = await concurrentPuts(store);
    const rangeMs = await rangeOfKeys(store);
    const watch = await watchDelivery(store);
    return { sequentialPerSec, concurrentPerSec, rangeMs, watchP50Ms: watch.p50, watchP99Ms: watch.p99 };
  } finally {
    await cleanup();
  }
}

function formatNumber(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function printTable(results: { label: string; result: Result }[]): void {
  const [baseline] = results;
  const rows: [string, keyof Result, string][] = [
    [`sequential puts (1 KiB, ${SEQUENTIAL_PUTS.toLocaleString('en-US')})`, 'sequentialPerSec', '/s'],
    [`concurrent puts (${IN_FLIGHT} in flight, ${CONCURRENT_PUTS.toLocaleString('en-US')})`, 'concurrentPerSec', '/s'],
    [`range of ${RANGE_KEYS.toLocaleString('en-US')} keys`, 'rangeMs', ' ms'],
    [`watch delivery p50 (${WATCHERS} watchers)`, 'watchP50Ms', ' ms'],
    [`watch delivery p99 (${WATCHERS} watchers)`, 'watchP99Ms', ' ms'],
  ];
  const header = ['', ...results.map((r) => r.label)];
  const body = rows.map(([name, field, unit]) => [
    name,
    ...results.map(({ result }, i) => {
      const value = `${formatNumber(result[field])}${unit}`;
      return i === 0 ? value : `${value} (${(result[field] / baseline!.result[field]).toFixed(2)}×)`;
    }),
  ]);
  const widths = header.map((_, c) => Math.max(...[header, ...body].map((row) => row[c]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of body) console.log(line(row));
  console.log('\nRatios are against the memory backend.');
}

const results: { label: string; result: Result }[] = [];
for (const backend of backends) results.push({ label: backend.label, result: await measure(backend) });
printTable(results);
