// Two `k8ts server` processes on one etcd (with the same pki): how long a write made through one
// takes to reach a watch on the other (baseline: a watch on the server that took the write, in the
// same run), and how long the control plane is without an active scheduler and controller manager
// when the process leading them is SIGKILLed (the Leases must expire) or stopped (they are released).

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEtcd } from '../test/helpers/etcd.js';
import { ApiClient } from '../src/client/client.js';
import type { KubeObject, Pod } from '../src/api/types.js';
import type { Lease } from '../src/leaderelection/index.js';
import { freePort, readKubeconfig, spawnK8ts, stopChild, waitReady } from './lib/process.js';
import { ms, num, ratio, settle, size, summarize, table } from './lib/stats.js';

const WRITES = size(1_000, 100);
const FAILOVERS = size(3, 1);
const CONFIGMAPS = ApiClient.resourceOf('v1', 'ConfigMap');
const PODS = ApiClient.resourceOf('v1', 'Pod');
const NODES = ApiClient.resourceOf('v1', 'Node');
const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');

interface Server {
  child: ReturnType<typeof spawnK8ts>;
  dataDir: string;
  port: number;
  client: ApiClient;
}

const root = mkdtempSync(join(tmpdir(), 'k8ts-bench-ha-'));
const etcd = await startEtcd(null, { members: 1 });
const storeArgs = ['--store', 'etcd', `--etcd-endpoints=${etcd.endpoints.join(',')}`, '--write-kubeconfig=false', '--log-format', 'json'];

async function startServer(name: string, pkiFrom?: string): Promise<Server> {
  const dataDir = join(root, name);
  if (pkiFrom) cpSync(join(pkiFrom, 'pki'), join(dataDir, 'pki'), { recursive: true });
  const port = await freePort();
  const child = spawnK8ts(['server', '--port', String(port), '--data-dir', dataDir, ...storeArgs]);
  await waitReady(dataDir, port, child);
  const creds = readKubeconfig(join(dataDir, 'kubeconfig'))!;
  return { child, dataDir, port, client: new ApiClient({ server: `https://127.0.0.1:${port}`, ...creds, userAgent: 'bench-ha' }) };
}

async function restart(s: Server): Promise<Server> {
  s.client.close();
  const port = s.port;
  const child = spawnK8ts(['server', '--port', String(port), '--data-dir', s.dataDir, ...storeArgs]);
  await waitReady(s.dataDir, port, child);
  return { ...s, child, client: new ApiClient({ ...s.client.config }) };
}

const servers: Server[] = [];
try {
  servers.push(await startServer('a'));
  servers.push(await startServer('b', servers[0]!.dataDir));
  const [a, b] = servers as [Server, Server];

  // Watch delay: each write through A, timed from just before the request to its event on A's
  // own watch (the baseline) and on B's.
  const arrivals = { a: new Map<string, number>(), b: new Map<string, number>() };
  const list = await a.client.list(CONFIGMAPS, 'default');
  const watches = (['a', 'b'] as const).map((k) =>
    (k === 'a' ? a : b).client.watch<KubeObject>('/api/v1/namespaces/default/configmaps', { resourceVersion: list.metadata.resourceVersion }, (e) => {
      if (e.type === 'ADDED') arrivals[k].set(e.object.metadata.name!, performance.now());
    }),
  );
  await settle(500);
  const sent = new Map<string, number>();
  const waitFor = async (name: string) => {
    while (!arrivals.a.has(name) || !arrivals.b.has(name)) await new Promise((r) => setImmediate(r));
  };
  for (let i = 0; i < WRITES; i++) {
    const name = `cm-${i}`;
    sent.set(name, performance.now());
    await a.client.create(CONFIGMAPS, 'default', { metadata: { name }, data: { i: String(i) } });
    await waitFor(name);
  }
  for (const w of watches) w.stop();
  const delay = (k: 'a' | 'b') => summarize([...sent].map(([name, at]) => arrivals[k].get(name)! - at));
  const same = delay('a');
  const cross = delay('b');
  table(
    `Watch delay across API servers (${num(WRITES)} ConfigMap creates through A, one at a time; 1 etcd member)`,
    ['watch on', 'p50', 'p99', 'max', 'p50 vs same server', 'p99 vs same server'],
    [
      ['A (the server written to: baseline)', ms(same.p50), ms(same.p99), ms(same.max), '1.0×', '1.0×'],
      ['B (another server)', ms(cross.p50), ms(cross.p99), ms(cross.max), ratio(cross.p50, same.p50), ratio(cross.p99, same.p99)],
    ],
    ['Timed from just before each create request to the ADDED event; target under 50 ms on B.'],
  );

  // Failover. A Node object lets a new pod be scheduled: "acting" is a pod created after the kill
  // being bound by the standby's scheduler.
  await a.client.create(NODES, '', { metadata: { name: 'bench-ha-node' }, status: { conditions: [{ type: 'Ready', status: 'True' }], allocatable: { cpu: '64', memory: '256Gi', pods: '1000' }, capacity: { cpu: '64', memory: '256Gi', pods: '1000' } } });
  const holder = async (c: ApiClient, lease: string) => (await c.get<Lease>(LEASES, 'kube-system', lease)).spec?.holderIdentity ?? '';
  const rows: string[][] = [];
  const results: Record<'SIGKILL' | 'SIGTERM', { lease: number[]; acting: number[] }> = { SIGKILL: { lease: [], acting: [] }, SIGTERM: { lease: [], acting: [] } };
  let round = 0;
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    for (let i = 0; i < FAILOVERS; i++) {
      // The leader is the process whose log says it started leading with the holder's identity.
      const scheduler = await holder(b.client, 'kube-scheduler');
      const leaderIndex = servers.findIndex((s) => s.child.output().includes(`"msg":"started leading","lease":"kube-scheduler","identity":"${scheduler}"`));
      if (leaderIndex < 0) throw new Error(`no server logged leading with ${JSON.stringify(scheduler)}`);
      const leader = servers[leaderIndex]!;
      const survivor = servers[1 - leaderIndex]!;
      const start = performance.now();
      if (signal === 'SIGKILL') {
        leader.child.kill('SIGKILL');
        await new Promise((r) => leader.child.once('exit', r));
      } else {
        await stopChild(leader.child);
      }
      const pod = `after-${signal.toLowerCase()}-${round++}`;
      // The Node has no agent, so it turns unreachable: the pod tolerates that.
      await survivor.client.create(PODS, 'default', { metadata: { name: pod }, spec: { containers: [{ name: 'c', image: 'busybox:1.28' }], tolerations: [{ operator: 'Exists' }] } });
      let leaseAt = 0;
      let actingAt = 0;
      while (!leaseAt || !actingAt) {
        if (performance.now() - start > 120_000) throw new Error(`no failover within 120 s after ${signal}`);
        if (!leaseAt && (await holder(survivor.client, 'kube-scheduler')) !== scheduler && (await holder(survivor.client, 'kube-scheduler')) !== '') leaseAt = performance.now();
        if (!actingAt && (await survivor.client.get<Pod>(PODS, 'default', pod)).spec?.nodeName) actingAt = performance.now();
        await new Promise((r) => setTimeout(r, 20));
      }
      results[signal].lease.push(leaseAt - start);
      results[signal].acting.push(actingAt - start);
      servers[leaderIndex] = await restart(leader);
      await settle(3_000);
    }
    const lease = summarize(results[signal].lease);
    const acting = summarize(results[signal].acting);
    rows.push([signal === 'SIGKILL' ? 'leader SIGKILLed (Leases expire)' : 'leader stopped (Leases released)', String(lease.n), ms(lease.p50), ms(lease.max), ms(acting.p50), ms(acting.max)]);
  }
  const kill = summarize(results.SIGKILL.acting);
  const term = summarize(results.SIGTERM.acting);
  rows.push(['SIGKILL vs stop (acting, p50)', '', '', '', ratio(kill.p50, term.p50), '']);
  table(
    'Failover of the scheduler and controller manager between two servers (15 s Leases, 2 s retry)',
    ['how the leader went', 'rounds', 'Lease taken p50', 'Lease taken max', 'standby acting p50', 'standby acting max'],
    rows,
    ['From the signal to the standby holding the kube-scheduler Lease, and to a pod created after the signal being bound.'],
  );
} finally {
  for (const s of servers) {
    s.client.close();
    await stopChild(s.child);
  }
  await etcd.stop();
  rmSync(root, { recursive: true, force: true });
}
