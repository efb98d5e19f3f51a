// A real multi-host cluster on one machine (test/helpers/multi-host-cluster.ts): three etcd members,
// two API servers and three node agents, each in a host of its own (a network namespace on a test
// bridge), the agents joined with a bootstrap token. A Deployment of 6 spreads over the nodes, its
// pods reach each other across nodes by pod IP and through a Service; then an etcd member (the Raft
// leader) and an API server are SIGKILLed and restarted while writes go on: kubectl pointed at a
// survivor keeps working and no acknowledged write is lost.
//
// The rest of the kill sequence (the leading scheduler/controller manager, a node's host, a
// partitioned node) waits out the 50 s node-monitor grace period: multi-host-cluster.long.test.ts.
// Refused joins (wrong token, wrong or malformed CA pin) and the rest of a node credential's limits
// are tested in agent-bootstrap.test.ts; here only that one node cannot delete another's pod.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { eventually, run } from '../helpers/cluster.js';
import {
  AcknowledgedWrites,
  assertNoWriteLost,
  CONFIGMAPS,
  DEPLOYMENTS,
  ENDPOINTSLICES,
  NAMESPACES,
  NODES,
  PODS,
  SERVICES,
  settledWebPods,
  startMultiHostCluster,
  webDeployment,
  webService,
  wgetFromPod,
  moreWrites,
  type MultiHostCluster,
} from '../helpers/multi-host-cluster.js';
import type { KubeObject, Node, Pod } from '../../src/api/types.js';

const root = process.getuid?.() === 0;

test('multi-host cluster: 3 etcd members, 2 API servers, 3 joined nodes; a Deployment across nodes; an etcd member and an API server killed and restarted', { skip: !root && 'needs root for network namespaces and the process runtime', timeout: 240_000 }, async (t) => {
  const c = await startMultiHostCluster(t);
  const [a, b] = c.servers as [MultiHostCluster['servers'][0], MultiHostCluster['servers'][0]];
  const ns = `mh-${c.run}`;
  await a.client.create(NAMESPACES, '', { metadata: { name: ns } });
  const writes = new AcknowledgedWrites(ns, () => c.servers.filter((s) => s.running()).map((s) => s.client));
  t.after(() => writes.stop());

  await t.test('the nodes joined with the bootstrap token, each on its host with its own pod subnet', async () => {
    const csrs = await c.kubectl(0, ['get', 'csr', '--no-headers']);
    assert.equal(csrs.code, 0, csrs.stderr);
    const issued = csrs.stdout.split('\n').filter((l) => /\skubernetes\.io\/kube-apiserver-client-kubelet\s+system:bootstrap:[a-z0-9]{6}\s.*Approved,Issued$/.test(l));
    assert.equal(issued.length, 3, csrs.stdout);
    const nodes = (await b.client.list<Node>(NODES, '')).items;
    const cidrs = new Set<string>();
    for (const agent of c.agents) {
      const node = nodes.find((n) => n.metadata.name === agent.nodeName);
      assert.ok(node, `Node ${agent.nodeName}`);
      assert.equal(node.status?.addresses?.find((x) => x.type === 'InternalIP')?.address, agent.host.address);
      assert.ok(node.spec?.podCIDR, `${agent.nodeName} has a pod subnet`);
      assert.equal(node.spec.podCIDR.split('.').slice(0, 2).join('.'), c.clusterCidr.split('.').slice(0, 2).join('.'), `${node.spec.podCIDR} inside ${c.clusterCidr}`);
      cidrs.add(node.spec.podCIDR);
    }
    assert.equal(cidrs.size, 3, 'three distinct pod subnets');
    const get = await c.kubectl(1, ['get', 'nodes', '--no-headers']);
    for (const agent of c.agents) assert.match(get.stdout, new RegExp(`^${agent.nodeName}\\s+Ready\\s`, 'm'));
  });

  let pods: Pod[] = [];
  await t.test('a Deployment of 6 replicas spreads over the three nodes', async () => {
    await a.client.create(DEPLOYMENTS, ns, webDeployment(6));
    await a.client.create(SERVICES, ns, webService);
    pods = await settledWebPods(b.client, ns, 6);
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
    for (const agent of c.agents) assert.ok((perNode.get(agent.nodeName) ?? 0) >= 1, `a pod on ${agent.nodeName}: ${JSON.stringify([...perNode])}`);
  });

  await t.test('pods reach pods on the other nodes by pod IP', async () => {
    const on = (i: number) => pods.find((p) => p.spec!.nodeName === c.agents[i]!.nodeName)!;
    for (const [from, to] of [[0, 1], [1, 2], [2, 0]] as const) {
      const source = on(from);
      const target = on(to);
      // Each node installs its routes to the others' subnets from its Node informer: allow it a moment.
      const answers = await eventually(async () => {
        const got = await wgetFromPod(c, from % 2, ns, source.metadata.name!, `http://${target.status!.podIP}:8080/`);
        return got[0] === 'FAILED' ? undefined : got;
      }, 30_000, 1000).catch(() => wgetFromPod(c, from % 2, ns, source.metadata.name!, `http://${target.status!.podIP}:8080/`));
      assert.deepEqual(answers, [target.metadata.name], `${source.metadata.name} (${c.agents[from]!.nodeName}) → ${target.status!.podIP} (${c.agents[to]!.nodeName})`);
    }
  });

  await t.test('pods on every node reach the Service, answered by pods on other nodes too', async () => {
    const service = await a.client.get<KubeObject & { spec: { clusterIP: string } }>(SERVICES, ns, 'web');
    await eventually(async () => {
      const slices = await a.client.list<KubeObject & { endpoints?: { conditions?: { ready?: boolean } }[] }>(ENDPOINTSLICES, ns, { labelSelector: 'kubernetes.io/service-name=web' });
      return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).length === 6;
    }, 60_000);
    const nodeOf = new Map(pods.map((p) => [p.metadata.name!, p.spec!.nodeName!]));
    for (const agent of c.agents) {
      const client = pods.find((p) => p.spec!.nodeName === agent.nodeName)!;
      // The proxy on each node is fed by its own informers: wait until its rules answer.
      const answers = await eventually(async () => {
        const got = await wgetFromPod(c, 0, ns, client.metadata.name!, `http://${service.spec.clusterIP}/`, 20);
        return got.every((x) => nodeOf.has(x)) ? got : undefined;
      }, 60_000, 1000);
      const elsewhere = answers.filter((x) => nodeOf.get(x) !== agent.nodeName);
      assert.ok(elsewhere.length > 0, `from ${agent.nodeName}, answers by pods on other nodes: ${answers.join(' ')}`);
    }
  });

  await t.test("a node's credential cannot delete another node's pod", async () => {
    const mine = c.agents[0]!;
    const theirs = pods.find((p) => p.spec!.nodeName === c.agents[1]!.nodeName)!;
    const r = await run('kubectl', ['--kubeconfig', join(mine.dataDir, 'kubeconfig'), 'delete', 'pod', '-n', ns, theirs.metadata.name!, '--wait=false']);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr, `Error from server (Forbidden): pods "${theirs.metadata.name}" is forbidden: node "${mine.nodeName}" can only delete pods with spec.nodeName set to itself\n`);
    assert.equal((await a.client.get<Pod>(PODS, ns, theirs.metadata.name!)).metadata.deletionTimestamp, undefined);
  });

  await t.test('SIGKILL of the etcd leader: writes go on, kubectl works, nothing acknowledged is lost; the restarted member catches up', async () => {
    await writes.write(10);
    writes.start();
    const leaderIndex = await eventually(async () => {
      for (const [i, m] of c.etcd.entries()) if (await m.isLeader().catch(() => false)) return i + 1;
      return undefined;
    });
    const victim = c.etcd[leaderIndex - 1]!;
    await victim.kill();
    await moreWrites(writes, 10);
    // The survivors elected a new leader among themselves.
    await eventually(async () => {
      for (const m of c.etcd) if (m !== victim && (await m.isLeader().catch(() => false))) return true;
      return false;
    });
    const get = await c.kubectl(1, ['get', 'deployment', 'web', '-n', ns, '-o', 'jsonpath={.status.readyReplicas}']);
    assert.equal(get.stdout, '6', get.stderr);
    const whileDown = await a.client.create<KubeObject>(CONFIGMAPS, ns, { metadata: { name: 'while-etcd-member-down' } });
    await writes.stop();
    await assertNoWriteLost(c, 0, ns, writes);
    await assertNoWriteLost(c, 1, ns, writes);

    await victim.restart();
    const revision = Number(whileDown.metadata.resourceVersion);
    await eventually(async () => (await victim.revision()) >= revision, 60_000);
  });

  await t.test('SIGKILL of an API server: the other keeps serving kubectl and the cluster; the restarted one serves again', async () => {
    // The standby: the servers' roles are the Leases' business, killing the leader is the long test's.
    const leader = await c.leader(a.client);
    const victim = leader === a ? b : a;
    const survivor = leader;
    const v = c.servers.indexOf(victim);
    const s = c.servers.indexOf(survivor);
    writes.start();
    await victim.kill();
    await moreWrites(writes, 10);
    const scaled = await c.kubectl(s, ['scale', 'deployment', 'web', '-n', ns, '--replicas=7']);
    assert.equal(scaled.code, 0, scaled.stderr);
    await settledWebPods(survivor.client, ns, 7);
    const nodes = await c.kubectl(s, ['get', 'nodes', '--no-headers']);
    assert.equal(nodes.stdout.trim().split('\n').filter((l) => /\sReady\s/.test(l)).length, 3, nodes.stdout);
    await writes.stop();
    await assertNoWriteLost(c, s, ns, writes);

    await victim.restart();
    // It serves what was written while it was down, to kubectl too.
    await assertNoWriteLost(c, v, ns, writes);
    const replicas = await c.kubectl(v, ['get', 'deployment', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}']);
    assert.equal(replicas.stdout, '7', replicas.stderr);
    assert.equal(await c.leader(victim.client), survivor, 'the leader did not change');
  });
});
