// The whole kill sequence on a real multi-host cluster (test/helpers/multi-host-cluster.ts:
// three etcd members, two API servers, three joined node agents, each in a host of its own). After
// each SIGKILL, kubectl pointed at a surviving API server keeps working and no acknowledged write is
// lost; each killed part, restarted, rejoins:
//   1. the etcd Raft leader;
//   2. the standby API server;
//   3. the process holding the kube-scheduler and kube-controller-manager Leases: the other server
//      takes both and schedules new pods;
//   4. a node's host (its agent SIGKILLed, its link cut): the Node goes NotReady after the 50 s
//      node-monitor grace period and its pods are replaced on the other nodes (the pods tolerate an
//      unreachable node for 5 s instead of 300 s); the agent restarted on its host: Node Ready, the
//      evicted pods gone;
//   5. a partitioned node (its link cut, its agent alive): NotReady, pods replaced elsewhere; when the
//      link returns it is Ready again and the ReplicaSet has exactly its replicas, none duplicated.
// The short version (etcd member and API server kills) runs in npm test: multi-host-cluster.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/cluster.js';
import {
  AcknowledgedWrites,
  assertNoWriteLost,
  DEPLOYMENTS,
  CONFIGMAPS,
  LEADER_LEASES,
  LEASES,
  NAMESPACES,
  NODES,
  REPLICASETS,
  SERVICES,
  isReady,
  live,
  moreWrites,
  podReady,
  readyStatus,
  runningWebServers,
  settledWebPods,
  startMultiHostCluster,
  webDeployment,
  webPods,
  webService,
  wgetFromPod,
  type AgentInHost,
  type ServerInHost,
} from '../helpers/multi-host-cluster.js';
import type { KubeObject, Node, Pod } from '../../src/api/types.js';
import type { Lease } from '../../src/leaderelection/index.js';
import type { ApiClient } from '../../src/client/client.js';

const root = process.getuid?.() === 0;

/** Waits until `replicas` web pods are live and ready (terminating ones may remain) and none is on `avoid`. */
async function replacedAway(client: ApiClient, ns: string, replicas: number, avoid: string, timeoutMs = 240_000): Promise<Pod[]> {
  let last: Pod[] = [];
  try {
    return await eventually(async () => {
      last = await webPods(client, ns);
      const running = live(last);
      return running.length === replicas && running.every((p) => podReady(p) && p.spec?.nodeName !== avoid) ? running : undefined;
    }, timeoutMs, 500);
  } catch (err) {
    throw new Error(`${(err as Error).message}:\n${last.map((p) => `${p.metadata.name} on ${p.spec?.nodeName} ready=${podReady(p)}${p.metadata.deletionTimestamp ? ' terminating' : ''}`).join('\n')}`);
  }
}

/** Exactly the API's web pods run a web server on this machine, each once (no evicted pod's container left). */
async function assertContainersMatchPods(client: ApiClient, ns: string, gone: string[]): Promise<void> {
  let running: string[] = [];
  let expected: string[] = [];
  try {
    await eventually(async () => {
      expected = (await webPods(client, ns)).map((p) => p.metadata.name!).sort();
      const ours = new Set([...expected, ...gone]);
      running = (await runningWebServers()).filter((n) => ours.has(n));
      return JSON.stringify(running) === JSON.stringify(expected);
    }, 20_000, 500);
  } catch {
    assert.deepEqual(running, expected, 'web servers running on the machine, by pod name');
  }
}

async function nodeReadyStatus(client: ApiClient, name: string): Promise<string | undefined> {
  return readyStatus(await client.get<Node>(NODES, '', name));
}

/** One ReplicaSet owns every web pod, and no name appears twice. */
async function assertOneReplicaSet(client: ApiClient, ns: string, replicas: number): Promise<void> {
  const pods = await webPods(client, ns);
  assert.equal(pods.length, replicas, pods.map((p) => p.metadata.name).join(' '));
  assert.equal(new Set(pods.map((p) => p.metadata.name)).size, replicas, 'no pod name twice');
  const owners = new Set(pods.map((p) => p.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name));
  assert.equal(owners.size, 1, `one ReplicaSet owns them: ${[...owners].join(' ')}`);
  const rs = await client.get<KubeObject & { status?: { replicas?: number; readyReplicas?: number } }>(REPLICASETS, ns, [...owners][0]!);
  assert.equal(rs.status?.replicas, replicas);
}

test('multi-host cluster: the whole kill sequence (etcd member, API server, leader, node host) and a partitioned node', { skip: !root && 'needs root for network namespaces and the process runtime', timeout: 1_200_000 }, async (t) => {
  const c = await startMultiHostCluster(t);
  const [a, b] = c.servers as [ServerInHost, ServerInHost];
  const ns = `mh-${c.run}`;
  await a.client.create(NAMESPACES, '', { metadata: { name: ns } });
  const writes = new AcknowledgedWrites(ns, () => c.servers.filter((s) => s.running()).map((s) => s.client));
  t.after(() => writes.stop());
  let replicas = 6;
  const survivorIndex = () => c.servers.findIndex((s) => s.running());

  await t.test('a Deployment of 6 spreads over the three nodes and answers across nodes', async () => {
    await a.client.create(DEPLOYMENTS, ns, webDeployment(replicas));
    await a.client.create(SERVICES, ns, webService);
    const pods = await settledWebPods(b.client, ns, replicas);
    const nodes = new Set(pods.map((p) => p.spec!.nodeName));
    assert.equal(nodes.size, 3, `pods on every node: ${[...nodes].join(' ')}`);
    const from = pods.find((p) => p.spec!.nodeName === c.agents[0]!.nodeName)!;
    const to = pods.find((p) => p.spec!.nodeName === c.agents[1]!.nodeName)!;
    assert.deepEqual(await wgetFromPod(c, 0, ns, from.metadata.name!, `http://${to.status!.podIP}:8080/`), [to.metadata.name]);
  });

  await t.test('1. SIGKILL of the etcd leader, then its restart', async () => {
    await writes.write(10);
    writes.start();
    const victim = await eventually(async () => {
      for (const m of c.etcd) if (await m.isLeader().catch(() => false)) return m;
      return undefined;
    });
    await victim.kill();
    await moreWrites(writes, 10);
    const r = await c.kubectl(0, ['get', 'pods', '-n', ns, '-l', 'app=web', '--no-headers']);
    assert.equal(r.stdout.trim().split('\n').length, replicas, r.stdout + r.stderr);
    const whileDown = await b.client.create<KubeObject>(CONFIGMAPS, ns, { metadata: { name: 'while-etcd-down' } });
    await writes.stop();
    await assertNoWriteLost(c, 0, ns, writes);
    await victim.restart();
    await eventually(async () => (await victim.revision()) >= Number(whileDown.metadata.resourceVersion), 60_000);
  });

  await t.test('2. SIGKILL of the standby API server, then its restart', async () => {
    const leader = await c.leader(a.client);
    const victim = leader === a ? b : a;
    const s = c.servers.indexOf(leader);
    writes.start();
    await victim.kill();
    await moreWrites(writes, 10);
    const r = await c.kubectl(s, ['get', 'nodes', '--no-headers']);
    assert.equal(r.stdout.trim().split('\n').filter((l) => /\sReady\s/.test(l)).length, 3, r.stdout + r.stderr);
    await writes.stop();
    await assertNoWriteLost(c, s, ns, writes);
    await victim.restart();
    await assertNoWriteLost(c, c.servers.indexOf(victim), ns, writes);
  });

  await t.test('3. SIGKILL of the process holding the scheduler and controller-manager Leases: the standby takes over', async () => {
    const leader = await c.leader(a.client);
    const standby = leader === a ? b : a;
    const s = c.servers.indexOf(standby);
    const holdersBefore = await Promise.all(LEADER_LEASES.map(async (l) => (await standby.client.get<Lease>(LEASES, 'kube-system', l)).spec?.holderIdentity));
    writes.start();
    await leader.kill();
    await eventually(async () => (await c.leader(standby.client)) === standby, 90_000, 500);
    const holdersAfter = await Promise.all(LEADER_LEASES.map(async (l) => (await standby.client.get<Lease>(LEASES, 'kube-system', l)).spec?.holderIdentity));
    for (const [k, l] of LEADER_LEASES.entries()) {
      assert.notEqual(holdersAfter[k], holdersBefore[k], `${l} holder changed`);
      assert.ok(standby.ledLeases(l).includes(holdersAfter[k]!), `${l} held by ${standby.name}`);
    }
    // New pods get scheduled, by the new leader's scheduler (the old one is dead).
    replicas += 2;
    const scaled = await c.kubectl(s, ['scale', 'deployment', 'web', '-n', ns, `--replicas=${replicas}`]);
    assert.equal(scaled.code, 0, scaled.stderr);
    await eventually(async () => {
      const pods = live(await webPods(standby.client, ns));
      return pods.length === replicas && pods.every((p) => p.spec?.nodeName);
    }, 60_000, 500);
    await moreWrites(writes, 5);
    await writes.stop();
    await assertNoWriteLost(c, s, ns, writes);

    // Restarted, the old leader serves again as a standby; the pods run (the agents joined
    // through server A reach the API again if it was the one killed).
    await leader.restart();
    await assertNoWriteLost(c, c.servers.indexOf(leader), ns, writes);
    await settledWebPods(leader.client, ns, replicas);
    assert.equal(await c.leader(leader.client), standby);
  });

  const nodeAt = (i: number): AgentInHost => c.agents[i]!;

  await t.test('4. a node host killed (agent SIGKILLed, link cut): NotReady, its pods replaced elsewhere; restarted, it is Ready again', async () => {
    const lost = nodeAt(2);
    const via = survivorIndex();
    const client = c.servers[via]!.client;
    const before = await webPods(client, ns);
    const onLost = before.filter((p) => p.spec?.nodeName === lost.nodeName).map((p) => p.metadata.name!);
    assert.ok(onLost.length > 0, `pods on ${lost.nodeName}`);
    writes.start();
    await lost.kill();
    await lost.host.disconnect();
    await eventually(async () => (await nodeReadyStatus(client, lost.nodeName)) === 'Unknown', 120_000, 1000);
    const get = await c.kubectl(via, ['get', 'node', lost.nodeName, '--no-headers']);
    assert.match(get.stdout, /\sNotReady\s/, get.stdout + get.stderr);
    const node = await client.get<Node>(NODES, '', lost.nodeName);
    assert.ok(node.spec?.taints?.some((x) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute'), JSON.stringify(node.spec?.taints));
    // After TOLERATION_SECONDS the pods are evicted and the ReplicaSet replaces them on the others.
    const replaced = await replacedAway(client, ns, replicas, lost.nodeName);
    for (const name of onLost) assert.ok(!replaced.some((p) => p.metadata.name === name), `${name} replaced`);
    const evicted = (await webPods(client, ns)).filter((p) => onLost.includes(p.metadata.name!));
    assert.ok(evicted.every((p) => p.metadata.deletionTimestamp), 'the lost node\'s pods are being deleted');
    await writes.stop();
    await assertNoWriteLost(c, via, ns, writes);

    await lost.host.reconnect();
    await lost.restart();
    await eventually(async () => isReady(await client.get<Node>(NODES, '', lost.nodeName)), 120_000, 1000);
    // The restarted agent finishes the evicted pods' deletion: exactly the replicas remain.
    await settledWebPods(client, ns, replicas, 180_000);
    await assertOneReplicaSet(client, ns, replicas);
    await assertContainersMatchPods(client, ns, onLost);
    // The node lifecycle controller lifts the unreachable taints at its next pass over a Ready node.
    await eventually(async () => !(await client.get<Node>(NODES, '', lost.nodeName)).spec?.taints?.some((x) => x.key.startsWith('node.kubernetes.io/unreachable')), 30_000, 500);
  });

  await t.test('5. a partitioned node (link cut, agent alive): NotReady, pods replaced; back when the link returns, no duplicate pods', async () => {
    const cut = nodeAt(1);
    const via = survivorIndex();
    const client = c.servers[via]!.client;
    const onCut = (await webPods(client, ns)).filter((p) => p.spec?.nodeName === cut.nodeName).map((p) => p.metadata.name!);
    assert.ok(onCut.length > 0, `pods on ${cut.nodeName}`);
    await cut.host.disconnect();
    await eventually(async () => (await nodeReadyStatus(client, cut.nodeName)) === 'Unknown', 120_000, 1000);
    assert.ok(cut.running(), 'the partitioned agent still runs');
    await replacedAway(client, ns, replicas, cut.nodeName);
    await cut.host.reconnect();
    await eventually(async () => isReady(await client.get<Node>(NODES, '', cut.nodeName)), 120_000, 1000);
    const settled = await settledWebPods(client, ns, replicas, 180_000);
    for (const name of onCut) assert.ok(!settled.some((p) => p.metadata.name === name), `${name} is gone after the partition`);
    await assertOneReplicaSet(client, ns, replicas);
    await assertContainersMatchPods(client, ns, onCut);
    const rs = await c.kubectl(via, ['get', 'rs', '-n', ns, '-l', 'app=web', '--no-headers']);
    assert.match(rs.stdout, new RegExp(`^web-\\S+\\s+${replicas}\\s+${replicas}\\s+${replicas}\\s`, 'm'), rs.stdout + rs.stderr);
  });
});
