// Pod startup on the process runtime (real processes, pod network, as root): the time from a pod's
// create to the watch seeing its container running, one pod at a time; the rate at which a burst of
// pods gets Running; and, with those pods running and an exec readiness probe every 10 s on each,
// the CPU and memory of the process holding the agent and the memory of the runtime's own processes
// per pod. Baseline (same run): the same pods on a node agent with the fake runtime (no processes).

import { readdirSync, readFileSync } from 'node:fs';
import { runningWatch } from './lib/running-watch.js';
import { performance } from 'node:perf_hooks';
import type { Cluster } from '../src/cluster.js';
import type { KubeObject, Pod } from '../src/api/types.js';
import { PODS, readyCluster } from './lib/cluster.js';
import { kib, mib, ms, num, perSec, pool, ratio, settle, size, summarize, table, vs } from './lib/stats.js';
import { processMemory } from './lib/proc-memory.js';

const LATENCY_PODS = size(50, 10);
const BURST_PODS = size(200, 30);
const IDLE_MS = size(20_000, 3_000);
/** After the burst is Running: long enough for every pod's first readiness probe (period 10 s). */
const PROBE_WARMUP_MS = size(12_000, 2_000);
const CONTAINER_CMDLINE = 'sleep\u00003600\u0000';
const gc = (globalThis as { gc?: () => void }).gc;

function busybox(name: string, nodeName: string, probe: boolean): KubeObject {
  return {
    metadata: { name, labels: { app: 'pod-startup' } },
    spec: {
      nodeName,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sleep', '3600'],
          ...(probe ? { readinessProbe: { exec: { command: ['true'] }, periodSeconds: 10 } } : {}),
        },
      ],
    },
  } as KubeObject;
}

const isRunning = (p: Pod) => p.status?.phase === 'Running' || p.status?.containerStatuses?.[0]?.state?.running !== undefined;


/** Deletes the pods and waits until the API has none left (their processes and addresses released). */
async function deleteAll(cluster: Cluster, names: string[]): Promise<void> {
  await pool(names.length, 16, (i) => cluster.client.delete(PODS, 'default', names[i]!).catch(() => {}));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const list = await cluster.client.list(PODS, 'default', { labelSelector: 'app=pod-startup' });
    if (list.items.length === 0) return;
    await settle(200);
  }
}

interface Proc {
  pid: number;
  rss: number;
  pss: number;
  container: boolean;
  comm: string;
}

/** Every descendant of this process (the runtime's infra and supervisor processes, the containers), from /proc. */
function processTree(): Proc[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone
    }
  }
  const out: Proc[] = [];
  const stack = [...(children.get(process.pid) ?? [])];
  while (stack.length) {
    const pid = stack.pop()!;
    stack.push(...(children.get(pid) ?? []));
    try {
      const { rss, pss } = processMemory(pid);
      out.push({ pid, rss, pss, container: readFileSync(`/proc/${pid}/cmdline`, 'utf8') === CONTAINER_CMDLINE, comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() });
    } catch {
      // exited meanwhile (an exec probe)
    }
  }
  return out;
}

interface Idle {
  cpuMsPerSec: number;
  rss: number;
  heapUsed: number;
  tree: Proc[];
}

/** This process's CPU time per second of wall time over IDLE_MS, its memory after GC, and its process tree. */
async function idle(): Promise<Idle> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await settle(IDLE_MS);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - start) / 1000;
  gc?.();
  const mem = process.memoryUsage();
  return { cpuMsPerSec: (used.user + used.system) / 1000 / seconds, rss: mem.rss, heapUsed: mem.heapUsed, tree: processTree() };
}

interface RunResult {
  latency: number[];
  burstCreateMs: number;
  burstRunningMs: number;
  empty?: Idle;
  full?: Idle;
}

async function run(cluster: Cluster, nodeName: string, measureIdle: boolean): Promise<RunResult> {
  const watch = runningWatch(cluster, nodeName, isRunning);
  try {
    const empty = measureIdle ? await idle() : undefined;
    // 1. One at a time: create → the watch shows the container running.
    const latency: number[] = [];
    const first: string[] = [];
    for (let i = 0; i < LATENCY_PODS; i++) {
      const name = `startup-${i}`;
      first.push(name);
      const start = performance.now();
      const running = watch.running(name);
      await cluster.client.create(PODS, 'default', busybox(name, nodeName, false));
      await running;
      latency.push(performance.now() - start);
    }
    await deleteAll(cluster, first);
    await settle(1_000);

    // 2. A burst, all created at once (32 requests in flight): until every one is Running.
    const names = Array.from({ length: BURST_PODS }, (_, i) => `burst-${i}`);
    const allRunning = Promise.all(names.map((n) => watch.running(n)));
    const start = performance.now();
    await pool(BURST_PODS, 32, (i) => cluster.client.create(PODS, 'default', busybox(names[i]!, nodeName, true)));
    const burstCreateMs = performance.now() - start;
    await allRunning;
    const burstRunningMs = performance.now() - start;

    // 3. Density: the burst running, each pod probed every 10 s.
    let full: Idle | undefined;
    if (measureIdle) {
      await settle(PROBE_WARMUP_MS);
      full = await idle();
    }
    return { latency, burstCreateMs, burstRunningMs, ...(empty ? { empty } : {}), ...(full ? { full } : {}) };
  } finally {
    watch.stop();
  }
}

const podCIDR = `10.${200 + Math.floor(Math.random() * 44)}.${Math.floor(Math.random() * 256)}.0/24`;

// The process runtime first, so that the memory of this process is not that of an earlier cluster; then the
// baseline, the fake runtime (no processes), in a cluster of its own.
let real: RunResult;
let nodeName: string;
{
  const cluster = await readyCluster({ store: 'memory', node: { runtime: 'process', podCIDR } });
  try {
    nodeName = cluster.nodeName!;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        await cluster.client.request('GET', `/api/v1/nodes/${nodeName}`);
        break;
      } catch {
        await settle(50);
      }
    }
    await settle(1_000);
    real = await run(cluster, nodeName, true);
  } finally {
    await cluster.stop();
  }
}

let fake: RunResult;
{
  const cluster = await readyCluster({ store: 'memory', simulatedNodes: 1 });
  try {
    fake = await run(cluster, 'sim-0', false);
  } finally {
    await cluster.stop();
  }
}

const rl = summarize(real.latency);
const fl = summarize(fake.latency);
table(
  `Pod startup, one at a time (${LATENCY_PODS} pods, busybox \`sleep 3600\`)`,
  ['runtime', 'p50', 'p99', 'max', 'p50 vs fake', 'p99 vs fake'],
  [
    ['fake (baseline)', ms(fl.p50), ms(fl.p99), ms(fl.max), '1.0×', '1.0×'],
    ['process', ms(rl.p50), ms(rl.p99), ms(rl.max), ratio(rl.p50, fl.p50), ratio(rl.p99, fl.p99)],
  ],
  [
    'From the start of the create request to the watch event showing the container running (or phase Running).',
    `Pods are bound by spec.nodeName (no scheduler). Process runtime: pod network ${podCIDR}. Target: p99 < 100 ms.`,
  ],
);

const rate = (r: RunResult) => BURST_PODS / (r.burstRunningMs / 1000);
table(
  `${BURST_PODS} pods at once (32 creates in flight), until all are Running`,
  ['runtime', 'all created', 'all Running', 'pods/s', 'vs fake'],
  [
    ['fake (baseline)', ms(fake.burstCreateMs), ms(fake.burstRunningMs), perSec(rate(fake)), '1.0×'],
    ['process', ms(real.burstCreateMs), ms(real.burstRunningMs), perSec(rate(real)), ratio(rate(real), rate(fake))],
  ],
  ['Each pod has an exec readiness probe (`true`, every 10 s). Target: ≥ 200 pods/s.'],
);

const e = real.empty!;
const f = real.full!;
const containers = f.tree.filter((p) => p.container);
const runtimeProcs = f.tree.filter((p) => !p.container);
const sum = (ps: Proc[], k: 'rss' | 'pss') => ps.reduce((s, p) => s + p[k], 0);
const overheadRss = sum(runtimeProcs, 'rss') - sum(e.tree, 'rss');
const overheadPss = sum(runtimeProcs, 'pss') - sum(e.tree, 'pss');
const n = BURST_PODS;
const byComm = new Map<string, { count: number; pss: number }>();
for (const p of runtimeProcs) {
  const c = byComm.get(p.comm) ?? { count: 0, pss: 0 };
  c.count++;
  c.pss += p.pss;
  byComm.set(p.comm, c);
}
const breakdown = [...byComm].sort((a, b) => b[1].count - a[1].count).map(([comm, c]) => `${c.count} \`${comm}\` (PSS ${mib(c.pss)})`).join(', ');
table(
  `Density on the process runtime: 0 and ${n} pods running (${num(IDLE_MS / 1000)} s windows, memory after GC)`,
  ['', '0 pods (baseline)', `${n} pods`, 'difference', 'per pod'],
  [
    [
      'CPU of this process (control plane + agent)',
      `${num(e.cpuMsPerSec)} ms/s`,
      `${num(f.cpuMsPerSec)} ms/s`,
      `${num(f.cpuMsPerSec - e.cpuMsPerSec)} ms/s (${num((f.cpuMsPerSec - e.cpuMsPerSec) / 10)}% of a core)`,
      `${num(((f.cpuMsPerSec - e.cpuMsPerSec) / n) * 1000)} µs/s`,
    ],
    ['RSS of this process', mib(e.rss), mib(f.rss), vs(mib(f.rss - e.rss), f.rss, e.rss), kib((f.rss - e.rss) / n)],
    ['heap used of this process', mib(e.heapUsed), mib(f.heapUsed), mib(f.heapUsed - e.heapUsed), kib((f.heapUsed - e.heapUsed) / n)],
    ['processes under this one', String(e.tree.length), String(f.tree.length), String(f.tree.length - e.tree.length), num((f.tree.length - e.tree.length) / n)],
    ['  of which `sleep 3600` (the containers)', '0', String(containers.length), '', ''],
    ['RSS of the containers (VmRSS sum)', '', mib(sum(containers, 'rss')), '', kib(sum(containers, 'rss') / n)],
    ['RSS of the runtime processes (VmRSS sum)', mib(sum(e.tree, 'rss')), mib(sum(runtimeProcs, 'rss')), mib(overheadRss), kib(overheadRss / n)],
    ['PSS of the runtime processes (shared pages split)', mib(sum(e.tree, 'pss')), mib(sum(runtimeProcs, 'pss')), mib(overheadPss), kib(overheadPss / n)],
  ],
  [
    'The node agent runs in this process together with the API server, store, controllers, scheduler, service proxy and DNS:',
    'its CPU and RSS are those of the whole process; the 0-pod column is the same cluster before any pod was created.',
    'CPU is user+system time per second of wall time (1,000 ms/s = one core). Runtime processes: every descendant of this',
    'process that is not a container (`sleep 3600`): sandbox infra and container supervisors (`k8ts-reaper` with the native',
    'helper; unshare, sh, sleep and nsenter on the shell path), the exec launcher, and any exec probe running at the moment',
    'of the sample. VmRSS counts shared pages (the shell, libc) in every process; PSS divides them among the processes sharing them.',
    `Runtime processes with ${n} pods, by command name: ${breakdown}.`,
    `Targets: agent under 150 MB and 10% of a core; runtime overhead under 1 MB per pod. Node: ${nodeName!}.`,
  ],
);
