// How light a node agent is with hundreds of pods: one agent on the fake runtime (real clock, no
// processes) in a child process, the control plane in this one. Measures the time to get 300 pods
// Running and Ready, and the agent's CPU time and memory while idle, with 300 pods beside the same
// agent with none (the baseline, same run).

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Pod } from '../src/api/types.js';
import { issueCertificate } from '../src/apiserver/pki.js';
import { PODS, pod, readyCluster } from './lib/cluster.js';
import { kib, mib, ms, num, pool, ratio, settle, size, summarize, table } from './lib/stats.js';
import type { AgentConfig, AgentSample } from './children/agent.js';

const POD_COUNT = size(300, 30);
const IDLE_MS = size(20_000, 3_000);
const NODE = 'bench-agent';
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'children', 'agent.js');

async function sample(child: ChildProcess): Promise<AgentSample> {
  child.send('sample');
  const [s] = (await once(child, 'message')) as [AgentSample];
  return s;
}

interface Idle {
  cpuMsPerSec: number;
  controlPlaneCpuMsPerSec: number;
  memory: NodeJS.MemoryUsage;
}

/** CPU per second of wall time over IDLE_MS, of the agent and of this process (the control plane), and the agent's memory. */
async function idle(child: ChildProcess): Promise<Idle> {
  await settle(3_000);
  const a = await sample(child);
  const cpu = process.cpuUsage();
  await settle(IDLE_MS);
  const own = process.cpuUsage(cpu);
  const b = await sample(child);
  const seconds = (b.wallMs - a.wallMs) / 1000;
  return { cpuMsPerSec: (b.cpuMs - a.cpuMs) / seconds, controlPlaneCpuMsPerSec: (own.user + own.system) / 1000 / seconds, memory: b.memory };
}

const cluster = await readyCluster({ store: 'sqlite' });
const serving = await issueCertificate(cluster.pki.ca, { commonName: `system:node:${NODE}`, organizations: ['system:nodes'], hosts: ['localhost', '127.0.0.1'], usage: 'server' });
const child = fork(CHILD, [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
try {
  child.send({ client: cluster.client.config, nodeName: NODE, serving } satisfies AgentConfig);
  await once(child, 'message');
  const empty = await idle(child);

  // Each pod's time from the start of its create to the agent reporting it Running, then Ready.
  const createdAt = new Map<string, number>();
  const running = new Map<string, number>();
  const ready = new Map<string, number>();
  let allReady!: () => void;
  const done = new Promise<void>((resolve) => (allReady = resolve));
  const stream = cluster.client.watch<Pod>('/api/v1/namespaces/default/pods', { fieldSelector: `spec.nodeName=${NODE}` }, ({ object }) => {
    const name = object.metadata.name!;
    const now = performance.now();
    if (object.status?.phase === 'Running' && !running.has(name)) running.set(name, now);
    const isReady = object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (isReady && !ready.has(name)) {
      ready.set(name, now);
      if (ready.size === POD_COUNT) allReady();
    }
  });
  stream.done.catch(() => {});
  const start = performance.now();
  await pool(POD_COUNT, 16, async (i) => {
    const name = `agent-pod-${i}`;
    createdAt.set(name, performance.now());
    await cluster.client.create(PODS, 'default', pod(name, NODE));
  });
  const allCreated = performance.now() - start;
  await done;
  const allRunning = Math.max(...running.values()) - start;
  const lastReady = Math.max(...ready.values()) - start;
  stream.stop();
  const toRunning = summarize([...running].map(([name, at]) => at - createdAt.get(name)!));
  const toReady = summarize([...ready].map(([name, at]) => at - createdAt.get(name)!));

  const full = await idle(child);

  const n = POD_COUNT;
  table(
    `${n} pods onto one node agent (fake runtime, real clock; 16 creates in flight)`,
    ['', 'all', 'per pod p50', 'per pod p99'],
    [
      [`${n} pods created through the API (baseline)`, ms(allCreated), '', ''],
      [`${n} pods Running (phase, seen by a watch)`, `${ms(allRunning)} (${ratio(allRunning, allCreated)})`, ms(toRunning.p50), ms(toRunning.p99)],
      [`${n} pods Ready (condition)`, `${ms(lastReady)} (${ratio(lastReady, allCreated)})`, ms(toReady.p50), ms(toReady.p99)],
    ],
    ['Per pod: from the start of its create to the watch seeing it Running / Ready. Ratios: against the time to create them all.'],
  );
  const perPod = (a: number, b: number) => (b - a) / n;
  table(
    `Idle node agent, 0 and ${n} pods (${num(IDLE_MS / 1000)} s windows, memory after GC)`,
    ['', 'agent, 0 pods', `agent, ${n} pods`, 'per pod'],
    [
      ['agent CPU', `${num(empty.cpuMsPerSec)} ms/s`, `${num(full.cpuMsPerSec)} ms/s`, `${num(perPod(empty.cpuMsPerSec, full.cpuMsPerSec) * 1000)} µs/s`],
      ['agent RSS', mib(empty.memory.rss), mib(full.memory.rss), kib(perPod(empty.memory.rss, full.memory.rss))],
      ['agent heap used', mib(empty.memory.heapUsed), mib(full.memory.heapUsed), kib(perPod(empty.memory.heapUsed, full.memory.heapUsed))],
      [
        'control plane CPU (this process)',
        `${num(empty.controlPlaneCpuMsPerSec)} ms/s`,
        `${num(full.controlPlaneCpuMsPerSec)} ms/s`,
        `${num(perPod(empty.controlPlaneCpuMsPerSec, full.controlPlaneCpuMsPerSec) * 1000)} µs/s`,
      ],
    ],
    ['CPU is user+system time per second of wall time (1,000 ms/s = one core). Per pod: the difference between the two columns, divided by the pods.'],
  );
} finally {
  child.send('stop');
  await once(child, 'exit');
  await cluster.stop();
}
