// One control plane holding 100,000 pods on 1,000 nodes (kwok's claim): its memory, the latency of
// the requests clients make while it holds them, and how long a write takes to reach a watcher.
// The nodes stay alive as kubelets keep them: each renews its Lease in kube-node-lease every 10 s
// and posts its status every 5 minutes, from a heartbeat loop in this process (no agent runs the
// pods; the agents' own cost is in node-agent.bench and pod-startup.bench). Pods are bound and
// Running, 100 per node, 1,000 per namespace. Baseline (same run, same process): the same control
// plane with the same nodes and heartbeats before the pods are loaded.
//
// At full size it takes several minutes (loading 100,000 pods, then the informers catching up);
// --quick: 100 nodes and 2,000 pods.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Cluster } from '../src/cluster.js';
import { ApiClient, type WatchStream } from '../src/client/client.js';
import type { KubeObject, Pod } from '../src/api/types.js';
import { objectKey } from '../src/apiserver/storage-keys.js';
import { PODS, pod, readyCluster } from './lib/cluster.js';
import { kib, mib, ms, num, perSec, pool, quick, ratio, settle, size, summarize, table } from './lib/stats.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const NAMESPACES = ApiClient.resourceOf('v1', 'Namespace');
const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');

/** `--nodes=N` and `--pods=N` override the sizes (the full size needs several GiB of heap). */
function sizeArg(name: string): number | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) : undefined;
}
const NODE_COUNT = sizeArg('nodes') ?? size(1_000, 100);
const POD_COUNT = sizeArg('pods') ?? size(100_000, 2_000);
const PODS_PER_NAMESPACE = 1_000;
const NAMESPACE_COUNT = Math.ceil(POD_COUNT / PODS_PER_NAMESPACE);
const SAMPLES = size(300, 50);
/** Pods loaded between two waits for the control plane to catch up. */
const LOAD_STEP = 5_000;
const LEASE_RENEW_MS = 10_000;
const STATUS_REPORT_MS = 5 * 60_000;
/** The namespace the measured writes go to, apart from the loaded pods. */
const PROBE_NS = 'scale-probe';
const gc = (globalThis as { gc?: () => void }).gc;

const nodeName = (i: number) => `scale-node-${i}`;

function nodeStatus(): Record<string, unknown> {
  const now = new Date().toISOString();
  const resources = { cpu: '32', memory: '128Gi', pods: '110' };
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: now, lastTransitionTime: now },
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now },
    ],
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'scale' }],
  };
}

async function createNodes(client: ApiClient): Promise<void> {
  await pool(NODE_COUNT, 32, async (i) => {
    const name = nodeName(i);
    await client.create(NODES, '', { metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % 3}` } } } as KubeObject);
    await client.patch(NODES, '', name, { status: nodeStatus() }, 'strategic', 'status');
    await client.create(LEASES, 'kube-node-lease', {
      metadata: { name },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') },
    } as KubeObject);
  });
}

/** Lease renewals every 10 s and a status post every 5 minutes for each node, spread evenly in time. */
function heartbeats(client: ApiClient): { stop(): void; writes(): number; failures(): number } {
  let next = 0;
  let writes = 0;
  let failures = 0;
  const renewEvery = LEASE_RENEW_MS / NODE_COUNT;
  const statusEvery = STATUS_REPORT_MS / LEASE_RENEW_MS;
  let round = 0;
  const beat = () => {
    const i = next;
    next = (next + 1) % NODE_COUNT;
    if (next === 0) round++;
    const name = nodeName(i);
    const renewTime = new Date().toISOString().replace('Z', '000Z');
    const lease = client.patch(LEASES, 'kube-node-lease', name, { spec: { renewTime } }, 'merge');
    const status = (round + i) % statusEvery === 0 ? client.patch(NODES, '', name, { status: nodeStatus() }, 'strategic', 'status') : undefined;
    for (const w of [lease, status]) {
      if (!w) continue;
      w.then(() => writes++, () => failures++);
    }
  };
  // A timer per beat cannot run faster than 1 ms: several beats per tick when there are many nodes.
  const tickMs = Math.max(1, renewEvery);
  const perTick = Math.max(1, Math.round(tickMs / renewEvery));
  const timer = setInterval(() => {
    for (let k = 0; k < perTick; k++) beat();
  }, tickMs);
  return { stop: () => clearInterval(timer), writes: () => writes, failures: () => failures };
}

/** A bound, Running pod as its kubelet reports it. */
async function podTemplate(client: ApiClient): Promise<Pod> {
  const created = await client.create<Pod>(PODS, PROBE_NS, pod('template', nodeName(0)));
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const status = {
    phase: 'Running',
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP: '10.244.0.10',
    podIPs: [{ ip: '10.244.0.10' }],
    startTime: now,
    qosClass: 'Burstable',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now })),
    containerStatuses: [
      { name: 'app', ready: true, started: true, restartCount: 0, image: 'registry.k8s.io/pause:3.10', imageID: 'registry.k8s.io/pause@sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a', containerID: 'fake://0123456789abcdef', state: { running: { startedAt: now } }, lastState: {} },
    ],
  };
  const running = await client.patch<Pod>(PODS, PROBE_NS, 'template', { status }, 'strategic', 'status');
  await client.delete(PODS, PROBE_NS, 'template', { gracePeriodSeconds: 0 });
  return running;
}

/**
 * Writes the pods straight to the store (copies of the template's stored form), as the watch cache
 * sees any write, in steps of LOAD_STEP pods, each followed by `caughtUp` (the informers follow):
 * the benchmark measures holding the pods, not the burst that loads them.
 */
async function loadPods(cluster: Cluster, template: Pod, caughtUp: () => Promise<unknown>): Promise<void> {
  const base = structuredClone(template);
  delete base.metadata.resourceVersion;
  delete base.metadata.deletionTimestamp;
  delete base.metadata.deletionGracePeriodSeconds;
  const batch = 500;
  for (let start = 0; start < POD_COUNT; start += batch) {
    const writes: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(POD_COUNT, start + batch); i++) {
      const namespace = `scale-${Math.floor(i / PODS_PER_NAMESPACE)}`;
      const name = `pod-${i % PODS_PER_NAMESPACE}`;
      const copy = { ...base, metadata: { ...base.metadata, name, namespace, uid: randomUUID() }, spec: { ...base.spec, nodeName: nodeName(i % NODE_COUNT) } };
      writes.push(cluster.store.create(objectKey(PODS, namespace, name), JSON.stringify(copy)));
    }
    await Promise.all(writes);
    if ((start + batch) % LOAD_STEP === 0) {
      await caughtUp();
      process.stderr.write(`loaded ${(start + batch).toLocaleString('en-US')} pods, heap ${mib(process.memoryUsage().heapUsed)}\n`);
    }
  }
}

/** CPU of this process per second of wall time over `windowMs`. */
async function cpuMsPerSec(windowMs: number): Promise<number> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await settle(windowMs);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000 / ((performance.now() - start) / 1000);
}

/**
 * Waits until this process's CPU is back near `baselineMsPerSec` (what the heartbeats cost) for two
 * seconds in a row: the watch cache and informers have caught up. Returns how long that took.
 */
async function quiet(baselineMsPerSec: number, limitMs: number): Promise<number> {
  const start = performance.now();
  let calm = 0;
  while (performance.now() - start < limitMs) {
    calm = (await cpuMsPerSec(1_000)) < baselineMsPerSec * 1.5 + 50 ? calm + 1 : 0;
    if (calm >= 2) return performance.now() - start - 2_000;
  }
  return NaN;
}

function memory(): NodeJS.MemoryUsage {
  gc?.();
  gc?.();
  return process.memoryUsage();
}

interface Phase {
  memory: NodeJS.MemoryUsage;
  latency: Map<string, number[]>;
  watchAll: number[];
  watchNode: number[];
}

/** Each request `SAMPLES` times, one in flight, interleaved so that all see the same background load. */
async function latencies(client: ApiClient, label: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const timed = async (name: string, fn: () => Promise<unknown>) => {
    const start = performance.now();
    await fn();
    const list = out.get(name) ?? [];
    list.push(performance.now() - start);
    out.set(name, list);
  };
  for (let i = 0; i < SAMPLES; i++) {
    const ns = `scale-${i % NAMESPACE_COUNT}`;
    const node = nodeName(i % NODE_COUNT);
    const probe = `${label}-${i}`;
    await timed('get pod', () => client.request('GET', `/api/v1/namespaces/${ns}/pods/pod-${i % Math.min(PODS_PER_NAMESPACE, POD_COUNT)}`).catch(() => undefined));
    await timed('list pods of a namespace (limit 500)', () => client.list(PODS, ns, { limit: 500 }));
    await timed("list one node's pods (fieldSelector)", () => client.list(PODS, '', { fieldSelector: `spec.nodeName=${node}` }));
    await timed('create pod', () => client.create(PODS, PROBE_NS, pod(probe, node)));
    await timed('patch node status', () => client.patch(NODES, '', node, { status: nodeStatus() }, 'strategic', 'status'));
    await timed('delete pod (grace 0)', () => client.delete(PODS, PROBE_NS, probe, { gracePeriodSeconds: 0 }));
  }
  return out;
}

/** From the start of a create to each watch seeing it: a watch on all pods (an informer's) and one on one node's pods (an agent's). */
async function watchDelays(client: ApiClient, label: string): Promise<{ all: number[]; node: number[] }> {
  const node = nodeName(1 % NODE_COUNT);
  const started = new Map<string, number>();
  const all: number[] = [];
  const nodeOnly: number[] = [];
  const seen = (into: number[]) => (e: { type: string; object: Pod }) => {
    const at = started.get(e.object.metadata.name!);
    if (e.type === 'ADDED' && at !== undefined) into.push(performance.now() - at);
  };
  const rv = (await client.list(PODS, PROBE_NS, { limit: 1 })).metadata.resourceVersion;
  const streams: WatchStream[] = [
    client.watch<Pod>('/api/v1/pods', { resourceVersion: rv }, seen(all)),
    client.watch<Pod>('/api/v1/pods', { resourceVersion: rv, fieldSelector: `spec.nodeName=${node}` }, seen(nodeOnly)),
  ];
  for (const s of streams) s.done.catch(() => undefined);
  try {
    await settle(200);
    for (let i = 0; i < SAMPLES; i++) {
      const name = `${label}-watch-${i}`;
      started.set(name, performance.now());
      await client.create(PODS, PROBE_NS, pod(name, node));
      await settle(5);
    }
    await settle(1_000);
    await pool(SAMPLES, 16, (i) => client.delete(PODS, PROBE_NS, `${label}-watch-${i}`, { gracePeriodSeconds: 0 }).catch(() => undefined));
  } finally {
    for (const s of streams) s.stop();
  }
  return { all, node: nodeOnly };
}

async function phase(client: ApiClient, label: string): Promise<Phase> {
  const latency = await latencies(client, label);
  const watch = await watchDelays(client, label);
  await settle(500);
  return { memory: memory(), latency, watchAll: watch.all, watchNode: watch.node };
}

const cluster = await readyCluster({ store: 'sqlite' });
const client = new ApiClient(cluster.client.config);
let beats: ReturnType<typeof heartbeats> | undefined;
try {
  await pool(NAMESPACE_COUNT + 1, 16, (i) => client.create(NAMESPACES, '', { metadata: { name: i < NAMESPACE_COUNT ? `scale-${i}` : PROBE_NS } } as KubeObject));
  const nodesStart = performance.now();
  await createNodes(client);
  const nodesMs = performance.now() - nodesStart;
  const template = await podTemplate(client);
  beats = heartbeats(client);
  await settle(3_000);
  const heartbeatCpu = await cpuMsPerSec(3_000);

  const empty = await phase(client, 'empty');
  const cpuBefore = process.cpuUsage();

  const loadStart = performance.now();
  await loadPods(cluster, template, () => quiet(heartbeatCpu, 120_000));
  const catchUpStart = performance.now();
  const catchUpMs = await quiet(heartbeatCpu, size(600_000, 60_000));
  const loadMs = catchUpStart - loadStart;
  const loadCpu = process.cpuUsage(cpuBefore);
  const listed = await client.list(PODS, '', { limit: 1 });
  const held = POD_COUNT;

  const full = await phase(client, 'full');
  const idleCpuMsPerSec = await cpuMsPerSec(size(10_000, 3_000));
  beats.stop();

  const e = empty.memory;
  const f = full.memory;
  table(
    `Control plane memory with ${NODE_COUNT.toLocaleString('en-US')} nodes, 0 and ${held.toLocaleString('en-US')} pods (sqlite store, after GC)`,
    ['', `0 pods (baseline)`, `${held.toLocaleString('en-US')} pods`, 'difference', 'per pod'],
    [
      ['RSS of this process', mib(e.rss), mib(f.rss), `${mib(f.rss - e.rss)} (${ratio(f.rss, e.rss)})`, kib((f.rss - e.rss) / held)],
      ['heap used', mib(e.heapUsed), mib(f.heapUsed), `${mib(f.heapUsed - e.heapUsed)} (${ratio(f.heapUsed, e.heapUsed)})`, kib((f.heapUsed - e.heapUsed) / held)],
      ['external + array buffers', mib(e.external + e.arrayBuffers), mib(f.external + f.arrayBuffers), mib(f.external + f.arrayBuffers - e.external - e.arrayBuffers), kib((f.external + f.arrayBuffers - e.external - e.arrayBuffers) / held)],
    ],
    [
      `Pods written straight to the store, ${LOAD_STEP.toLocaleString('en-US')} at a time with a wait for the control plane (watch cache, informers of the scheduler and controllers) to catch up after each, in ${ms(loadMs)}; quiet ${ms(catchUpMs)} after the last, having spent ${ms((loadCpu.user + loadCpu.system) / 1000)} of CPU in all.`,
      `Nodes created (with status and Lease) in ${ms(nodesMs)}. The list's resourceVersion after loading: ${listed.metadata.resourceVersion}.`,
      `Heartbeats: ${perSec((NODE_COUNT * 1000) / LEASE_RENEW_MS)} Lease renewals and ${perSec((NODE_COUNT * 1000) / STATUS_REPORT_MS)} node status posts; ${beats.writes().toLocaleString('en-US')} written, ${beats.failures()} failed. CPU of this process with the heartbeats: ${ms(heartbeatCpu)}/s with 0 pods, ${ms(idleCpuMsPerSec)}/s with ${held.toLocaleString('en-US')} (${num(idleCpuMsPerSec / 10)}% of a core).`,
    ],
  );

  const rows: string[][] = [];
  for (const [name, samples] of full.latency) {
    const base = summarize(empty.latency.get(name) ?? []);
    const s = summarize(samples);
    rows.push([name, ms(base.p50), ms(base.p99), ms(s.p50), ms(s.p99), ratio(s.p99, base.p99)]);
  }
  table(
    `API latency with ${NODE_COUNT.toLocaleString('en-US')} nodes heartbeating, one request in flight (${SAMPLES} of each)`,
    ['request', '0 pods p50', '0 pods p99 (baseline)', `${held.toLocaleString('en-US')} pods p50`, `${held.toLocaleString('en-US')} pods p99`, 'p99 vs baseline'],
    rows,
    [`Namespaces hold ${PODS_PER_NAMESPACE.toLocaleString('en-US')} pods each and nodes ${num(POD_COUNT / NODE_COUNT)}; with 0 pods the same requests find none. Creates and deletes go to a namespace of their own.`],
  );

  const wa0 = summarize(empty.watchAll);
  const wn0 = summarize(empty.watchNode);
  const wa = summarize(full.watchAll);
  const wn = summarize(full.watchNode);
  table(
    `Watch delay: from the start of a pod create to a watcher seeing it (${SAMPLES} creates, one at a time)`,
    ['watch', 'seen', '0 pods p50', '0 pods p99 (baseline)', `${held.toLocaleString('en-US')} pods p50`, `${held.toLocaleString('en-US')} pods p99`, 'p99 vs baseline'],
    [
      ['all pods (an informer)', `${wa.n}/${SAMPLES}`, ms(wa0.p50), ms(wa0.p99), ms(wa.p50), ms(wa.p99), ratio(wa.p99, wa0.p99)],
      ["one node's pods (fieldSelector, an agent)", `${wn.n}/${SAMPLES}`, ms(wn0.p50), ms(wn0.p99), ms(wn.p50), ms(wn.p99), ratio(wn.p99, wn0.p99)],
    ],
    ['The delay includes the create itself (see "create pod" above).'],
  );
  if (quick) console.log('\n(--quick: a smoke run at small sizes, not a measurement)');
} finally {
  beats?.stop();
  client.close();
  await cluster.stop();
}
