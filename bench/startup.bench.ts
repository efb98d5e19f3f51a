// Cold start: from spawning `k8ts` to an API that answers an authenticated GET /readyz, on a fresh
// data directory (certificates generated, store created) and on a restart of an existing one.
// Baselines in the same run: a bare `node -e ""` and `k8ts version` (the whole module graph
// loaded, nothing started). Also startCluster() in process, without the process start.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { startCluster } from '../src/cluster.js';
import { freePort, spawnK8ts, stopChild, waitReady, K8TS_BIN } from './lib/process.js';
import { ms, ratio, size, summarize, table } from './lib/stats.js';
import { safeRemoveSync } from '../src/util/safe-remove.js';

const ROUNDS = size(10, 2);
const scratch = mkdtempSync(join(tmpdir(), 'k8ts-bench-startup-'));

/** Milliseconds from spawn to exit of `node <args>`. */
async function nodeRun(args: string[]): Promise<number> {
  const start = performance.now();
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  await once(child, 'exit');
  return performance.now() - start;
}

interface Start {
  ready: number;
  running: number;
}

/** Spawns `k8ts <command>` on `dataDir`; ready = authenticated /readyz 200, running = its "k8ts is running" line. */
async function k8tsStart(command: 'server' | 'up', dataDir: string, extra: string[] = []): Promise<Start> {
  const port = await freePort();
  const start = performance.now();
  const child = spawnK8ts([command, '--data-dir', dataDir, '--port', String(port), '--write-kubeconfig=false', ...extra]);
  const running = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', () => {
      if (child.output().includes('k8ts is running')) resolve(performance.now() - start);
    });
    child.on('exit', () => reject(new Error('k8ts ended before it printed that it is running')));
  });
  running.catch(() => {});
  try {
    await waitReady(dataDir, port, child);
    const ready = performance.now() - start;
    return { ready, running: await running };
  } catch (err) {
    console.error(child.output());
    throw err;
  } finally {
    await stopChild(child);
  }
}

interface Row {
  label: string;
  samples: number[];
}

const rows: Row[] = [];
const add = (label: string) => {
  const row = { label, samples: [] as number[] };
  rows.push(row);
  return row.samples;
};

const bare = add('`node -e ""` (baseline)');
const version = add('`k8ts version` (all modules loaded, nothing started)');
const inProcess = add('startCluster() in process, memory store, fresh');
const variants: { label: string; command: 'server' | 'up'; restart: boolean; extra?: string[] }[] = [
  { label: '`k8ts server`, fresh', command: 'server', restart: false },
  { label: '`k8ts server`, restart', command: 'server', restart: true },
  { label: '`k8ts server --store memory`, fresh', command: 'server', restart: false, extra: ['--store', 'memory'] },
  { label: '`k8ts up`, fresh', command: 'up', restart: false },
  { label: '`k8ts up`, restart', command: 'up', restart: true },
];
const measured = variants.map((v) => ({ ...v, ready: add(`${v.label}: /readyz 200`), running: add(`${v.label}: "running" printed`) }));

// Rounds interleave the variants so that drift of the machine touches them all alike.
for (let round = 0; round < ROUNDS; round++) {
  bare.push(await nodeRun(['-e', '']));
  version.push(await nodeRun([K8TS_BIN, 'version']));

  const t0 = performance.now();
  const cluster = await startCluster({ store: 'memory' });
  inProcess.push(performance.now() - t0);
  await cluster.stop();

  for (const v of measured) {
    const dataDir = join(scratch, `${round}-${measured.indexOf(v)}`);
    // `up` runs pods on a network of its own: a subnet no other cluster on this machine is likely to use.
    const extra = [...(v.extra ?? []), ...(v.command === 'up' ? ['--pod-cidr', `10.253.${round}.0/24`] : [])];
    if (v.restart) await k8tsStart(v.command, dataDir, extra);
    const { ready, running } = await k8tsStart(v.command, dataDir, extra);
    v.ready.push(ready);
    v.running.push(running);
  }
}
safeRemoveSync(scratch, { unmount: true });

const baseline = summarize(bare).p50;
table(
  `Cold start (${ROUNDS} rounds)`,
  ['', 'p50', 'max', 'p50 vs `node -e`'],
  rows.map(({ label, samples }) => {
    const s = summarize(samples);
    return [label, ms(s.p50), ms(s.max), ratio(s.p50, baseline)];
  }),
  [
    'Fresh: a new data directory (CA and certificates generated, store created). Restart: the same',
    'directory again after a clean stop. "/readyz 200" is an authenticated GET with the admin',
    'certificate of the kubeconfig k8ts writes; "running" is the line printed once the controllers',
    'and scheduler (and, for `up`, the node agent on the process runtime) have started too.',
  ],
);
