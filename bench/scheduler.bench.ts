// Scheduler throughput: pods/s from the first create to every pod bound (spec.nodeName set, seen by
// a watch on pods), with 10, 100 and 1,000 Node objects (no agents: the API server and the real
// scheduler only). Baseline in the same run and cluster: the same number of pod creates alone, with
// schedulerName 'nobody' so that no scheduler acts on them (the API's cost, apart from the
// scheduler's). Then a Deployment on simulated nodes (real node agents on the fake runtime): time
// until all of its pods are Running.

import { performance } from 'node:perf_hooks';
import { startCluster, type Cluster } from '../src/cluster.js';
import { ApiClient, type WatchStream } from '../src/client/client.js';
import type { KubeObject, Pod } from '../src/api/types.js';
import { PODS } from './lib/cluster.js';
import { startSimulatedNodes, type SimulatedNodes } from '../src/agent/simulated-nodes.js';
import { issueCertificate } from '../src/apiserver/pki.js';
import { realClock } from '../src/util/clock.js';
import { silentLogger } from '../src/util/log.js';
import { ms, num, perSec, pool, quick, ratio, settle, size, table } from './lib/stats.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const DEPLOYMENTS = ApiClient.resourceOf('apps/v1', 'Deployment');

const NODE_COUNTS = quick ? [10, 100] : [10, 100, 1_000];
const PODS_PER_RUN = size(2_000, 200);
const IN_FLIGHT = 32;
/** Pods per node the benchmark fills at most (the nodes allow 110). */
const PER_NODE = 100;
const REPLICAS = size(1_000, 100);
const SIM_NODES = 100;
/**
 * Simulated nodes per API client. `startCluster({ simulatedNodes })` gives all agents the cluster's
 * one client, whose agent allows 64 sockets: past about 12 agents their watches hold all of them and
 * the start never finishes. Here each group of agents has a client (and socket pool) of its own.
 */
const NODES_PER_CLIENT = 5;
const DEADLINE_MS = 90_000;

function benchPod(name: string, schedulerName?: string): KubeObject {
  return {
    metadata: { name, labels: { app: 'sched-bench' } },
    spec: {
      ...(schedulerName ? { schedulerName } : {}),
      containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    },
  } as KubeObject;
}

async function waitForDefaultServiceAccount(cluster: Cluster): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await cluster.client.request('GET', '/api/v1/namespaces/default/serviceaccounts/default');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await settle(20);
    }
  }
}

/** Node objects with allocatable/capacity and Ready=True (status written through the status subresource). */
async function createNodes(client: ApiClient, count: number): Promise<void> {
  const resources = { cpu: '32', memory: '128Gi', pods: '110' };
  await pool(count, IN_FLIGHT, async (i) => {
    const name = `bench-node-${i}`;
    await client.create(NODES, '', { metadata: { name, labels: { 'kubernetes.io/hostname': name } } } as KubeObject);
    const now = new Date().toISOString();
    const status = {
      capacity: resources,
      allocatable: resources,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'bench', lastHeartbeatTime: now, lastTransitionTime: now }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    };
    await client.patch(NODES, '', name, { status }, 'strategic', 'status');
  });
}

/** Calls `onPod` for each pod event of the default namespace until stopped; resolves once the watch is open. */
async function watchPods(client: ApiClient, onPod: (pod: Pod) => void): Promise<WatchStream> {
  const list = await client.list(PODS, 'default', { limit: 1 });
  const stream = client.watch<Pod>('/api/v1/namespaces/default/pods', { resourceVersion: list.metadata?.resourceVersion }, (e) => {
    if (e.type === 'ADDED' || e.type === 'MODIFIED') onPod(e.object as Pod);
  });
  stream.done.catch(() => undefined);
  return stream;
}

interface Run {
  createsMs: number;
  boundMs: number;
  bound: number;
}

/** Creates `count` pods named `<prefix>-<i>`; times the creates and (when scheduled) until all are bound. */
async function createAndBind(client: ApiClient, prefix: string, count: number, schedulerName?: string): Promise<Run> {
  const bound = new Set<string>();
  let lastBound = 0;
  let allBound: () => void = () => {};
  const done = new Promise<void>((r) => (allBound = r));
  const stream = await watchPods(client, (p) => {
    const name = p.metadata.name!;
    if (!name.startsWith(`${prefix}-`) || !p.spec?.nodeName || bound.has(name)) return;
    bound.add(name);
    lastBound = performance.now();
    if (bound.size === count) allBound();
  });
  try {
    const start = performance.now();
    await pool(count, IN_FLIGHT, (i) => client.create(PODS, 'default', benchPod(`${prefix}-${i}`, schedulerName)));
    const createsMs = performance.now() - start;
    if (schedulerName) return { createsMs, boundMs: NaN, bound: 0 };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => (timer = setTimeout(r, DEADLINE_MS)))]);
    clearTimeout(timer);
    return { createsMs, boundMs: bound.size ? lastBound - start : NaN, bound: bound.size };
  } finally {
    stream.stop();
  }
}

async function schedulerRows(): Promise<string[][]> {
  const rows: string[][] = [];
  for (const nodes of NODE_COUNTS) {
    const cluster = await startCluster({ store: 'memory' });
    try {
      await waitForDefaultServiceAccount(cluster);
      const nodeMs = await (async () => {
        const start = performance.now();
        await createNodes(cluster.client, nodes);
        return performance.now() - start;
      })();
      const count = Math.min(PODS_PER_RUN, nodes * PER_NODE);
      // Warm-up, untimed: the scheduler has seen the nodes once it binds these.
      await createAndBind(cluster.client, 'warm', Math.min(20, nodes));
      await settle(500);
      const base = await createAndBind(cluster.client, 'nobody', count, 'nobody');
      await settle(500);
      const run = await createAndBind(cluster.client, 'sched', count);
      const baseRate = (count * 1000) / base.createsMs;
      const createRate = (count * 1000) / run.createsMs;
      const boundRate = (run.bound * 1000) / run.boundMs;
      rows.push([
        nodes.toLocaleString('en-US'),
        count.toLocaleString('en-US'),
        `${run.bound.toLocaleString('en-US')}${run.bound < count ? ' (deadline)' : ''}`,
        ms(run.boundMs),
        perSec(boundRate),
        perSec(createRate),
        perSec(baseRate),
        ratio(boundRate, baseRate),
        ms(nodeMs),
      ]);
    } finally {
      await cluster.stop();
    }
    await settle(300);
  }
  return rows;
}

interface DeploymentRun {
  nodes: number;
  readyNodesMs: number;
  boundMs: number;
  runningMs: number;
  running: number;
}

async function deploymentRun(simNodes: number): Promise<DeploymentRun> {
  const startNodes = performance.now();
  const cluster = await startCluster({ store: 'memory' });
  const stream: { watch?: WatchStream } = {};
  const groups: SimulatedNodes[] = [];
  const clients: ApiClient[] = [];
  try {
    const serving = await issueCertificate(cluster.pki.ca, { commonName: 'system:node:simulated', organizations: ['system:nodes'], hosts: ['localhost', '127.0.0.1'], usage: 'server' });
    for (let g = 0; g * NODES_PER_CLIENT < simNodes; g++) {
      const client = new ApiClient({ server: cluster.server, ca: cluster.pki.ca.certPem, cert: cluster.pki.admin.certPem, key: cluster.pki.admin.keyPem });
      clients.push(client);
      groups.push(
        await startSimulatedNodes({
          client,
          count: Math.min(NODES_PER_CLIENT, simNodes - g * NODES_PER_CLIENT),
          clock: realClock,
          rootDir: `${cluster.dataDir}/simulated-${g}`,
          tls: { ca: cluster.pki.ca.certPem, serving },
          namePrefix: `sim-${g}`,
          log: silentLogger,
        }),
      );
    }
    await waitForDefaultServiceAccount(cluster);
    // All nodes registered and Ready.
    for (;;) {
      const list = await cluster.client.list<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(NODES, '');
      const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      if (ready >= simNodes) break;
      if (performance.now() - startNodes > 60_000) throw new Error(`only ${ready} of ${simNodes} simulated nodes Ready after 60 s`);
      await settle(100);
    }
    const readyNodesMs = performance.now() - startNodes;
    await settle(1_000);

    const bound = new Set<string>();
    const running = new Set<string>();
    let lastBound = 0;
    let lastRunning = 0;
    let allRunning: () => void = () => {};
    const done = new Promise<void>((r) => (allRunning = r));
    stream.watch = await watchPods(cluster.client, (p) => {
      if (p.metadata.labels?.app !== 'deploy-bench') return;
      const name = p.metadata.name!;
      if (p.spec?.nodeName && !bound.has(name)) {
        bound.add(name);
        lastBound = performance.now();
      }
      if (p.status?.phase === 'Running' && !running.has(name)) {
        running.add(name);
        lastRunning = performance.now();
        if (running.size === REPLICAS) allRunning();
      }
    });
    const start = performance.now();
    await cluster.client.create(DEPLOYMENTS, 'default', {
      metadata: { name: 'deploy-bench' },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: 'deploy-bench' } },
        template: {
          metadata: { labels: { app: 'deploy-bench' } },
          spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
        },
      },
    } as KubeObject);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => (timer = setTimeout(r, DEADLINE_MS)))]);
    clearTimeout(timer);
    return { nodes: simNodes, readyNodesMs, boundMs: bound.size ? lastBound - start : NaN, runningMs: running.size ? lastRunning - start : NaN, running: running.size };
  } finally {
    stream.watch?.stop();
    await Promise.all(groups.map((g) => g.stop()));
    for (const c of clients) c.close();
    await cluster.stop();
  }
}

const rows = await schedulerRows();
table(
  `Scheduler throughput, memory store, Node objects without agents (${IN_FLIGHT} creates in flight)`,
  ['nodes', 'pods', 'bound', 'create → all bound', 'bound/s', 'creates/s (scheduled run)', 'creates/s, schedulerName nobody (baseline)', 'bound/s vs baseline', 'nodes created in'],
  rows,
  [
    'bound/s: pods divided by the time from the first create to the last pod seen bound by a watch.',
    `Baseline: the same number of pod creates in the same cluster with schedulerName 'nobody' (no scheduler acts on them).`,
    `At 10 nodes the run uses ${PER_NODE} pods per node at most (the nodes allow 110).`,
    'The scheduler cannot bind faster than pods are created: a ratio near 1.0× means the API bounds the rate.',
  ],
  1,
);

await settle(500);
const deployment = await deploymentRun(SIM_NODES);
table(
  `Deployment of ${REPLICAS.toLocaleString('en-US')} replicas on ${deployment.nodes} simulated nodes (fake runtime, memory store)`,
  ['nodes', 'replicas', 'Running', 'nodes Ready after start', 'create → all bound', 'create → all Running', 'Running pods/s'],
  [
    [
      String(deployment.nodes),
      REPLICAS.toLocaleString('en-US'),
      `${deployment.running.toLocaleString('en-US')}${deployment.running < REPLICAS ? ' (deadline)' : ''}`,
      ms(deployment.readyNodesMs),
      ms(deployment.boundMs),
      ms(deployment.runningMs),
      perSec((deployment.running * 1000) / deployment.runningMs),
    ],
  ],
  [`Times from the Deployment's create to the last pod seen bound / Running by a watch; the deadline is ${num(DEADLINE_MS / 1000)} s.`],
  1,
);
