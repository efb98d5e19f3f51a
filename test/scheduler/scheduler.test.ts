// The scheduler through the API: nodes are plain Node objects (no agents), pods go through
// admission, and everything is observed the way kubectl would see it.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { CoreEvent, Node, Pod } from '../../src/api/types.js';
import { ApiClient } from '../../src/client/client.js';
import { ApiEventSink } from '../../src/agent/api-seams.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { realClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { eventually, testCluster } from '../helpers/cluster.js';
import { makeNode, makePod, type NodeOptions, type PodOptions } from './fixtures.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const NODES = ApiClient.resourceOf('v1', 'Node');
const EVENTS = ApiClient.resourceOf('v1', 'Event');
const SERVICE_ACCOUNTS = ApiClient.resourceOf('v1', 'ServiceAccount');
const PDBS = ApiClient.resourceOf('policy/v1', 'PodDisruptionBudget');

async function cluster(t: { after(fn: () => unknown): unknown }) {
  const c = await testCluster(t, { store: 'memory' });
  const client = c.client;
  await eventually(() => client.get(SERVICE_ACCOUNTS, 'default', 'default').then(() => true));
  const addNode = async (name: string, o: NodeOptions = {}) => {
    const node = makeNode(name, o);
    const created = await client.create<Node>(NODES, '', node);
    // Status is the kubelet's to write: set it through the status subresource.
    await client.patch(NODES, '', name, { status: node.status }, 'merge', 'status');
    return created;
  };
  const createPod = (name: string, o: PodOptions & { priorityClassName?: string } = {}) => {
    const { priorityClassName, ...rest } = o;
    const pod = makePod(name, rest);
    delete pod.status;
    delete pod.metadata.uid;
    if (priorityClassName) pod.spec.priorityClassName = priorityClassName;
    return client.create<Pod>(PODS, 'default', pod);
  };
  const getPod = (name: string) => client.get<Pod>(PODS, 'default', name);
  const boundTo = (name: string) => eventually(async () => (await getPod(name)).spec.nodeName);
  const events = async (name: string, reason: string) =>
    (await client.list<CoreEvent>(EVENTS, 'default')).items.filter((e) => e.involvedObject.name === name && e.reason === reason);
  return { c, client, addNode, createPod, getPod, boundTo, events };
}

test('an unschedulable pod gets PodScheduled=False and FailedScheduling with the exact message, then schedules when a node fits', async (t) => {
  const { addNode, createPod, getPod, boundTo, events } = await cluster(t);
  await addNode('small', { cpu: '500m' });
  await addNode('cp1', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
  await addNode('cp2', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
  await createPod('big', { cpu: '1' });
  const expected =
    '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.';
  const condition = await eventually(async () => (await getPod('big')).status?.conditions?.find((c) => c.type === 'PodScheduled'));
  assert.equal(condition.status, 'False');
  assert.equal(condition.reason, 'Unschedulable');
  assert.equal(condition.message, expected);
  assert.equal(condition.lastProbeTime, null);
  const failed = await eventually(async () => (await events('big', 'FailedScheduling'))[0]);
  assert.equal(failed.type, 'Warning');
  assert.equal(failed.message, expected);
  assert.equal(failed.source?.component, 'default-scheduler');

  await addNode('roomy', { cpu: '2' });
  assert.equal(await boundTo('big'), 'roomy');
  const scheduled = await eventually(async () => (await events('big', 'Scheduled'))[0]);
  assert.equal(scheduled.message, 'Successfully assigned default/big to roomy');
  assert.equal(scheduled.type, 'Normal');
});

test('pods naming another scheduler are left alone; resources are accounted across pods', async (t) => {
  const { client, addNode, createPod, getPod, boundTo, events } = await cluster(t);
  await addNode('a', { cpu: '1' });
  await addNode('b', { cpu: '1' });
  await createPod('mine-1', { cpu: '600m' });
  await createPod('mine-2', { cpu: '600m' });
  await createPod('theirs', { schedulerName: 'other-scheduler' });
  const n1 = await boundTo('mine-1');
  const n2 = await boundTo('mine-2');
  assert.notEqual(n1, n2, 'the second pod does not fit next to the first');
  await createPod('mine-3', { cpu: '600m' });
  await eventually(async () => (await getPod('mine-3')).status?.conditions?.some((c) => c.reason === 'Unschedulable'));
  const theirs = await getPod('theirs');
  assert.equal(theirs.spec.nodeName, undefined);
  assert.equal(theirs.status?.conditions?.some((c) => c.type === 'PodScheduled') ?? false, false);
  // A second scheduler takes exactly the pods that name it.
  const other = new Scheduler(client, realClock, new ApiEventSink(client), silentLogger, 'other-scheduler');
  await other.start();
  t.after(() => other.stop());
  assert.ok(await boundTo('theirs'));
  const scheduled = await eventually(async () => (await events('theirs', 'Scheduled'))[0]);
  assert.equal(scheduled.source?.component, 'other-scheduler');
  const failures = await events('mine-3', 'FailedScheduling');
  assert.ok(failures.length > 0);
  assert.deepEqual([...new Set(failures.map((e) => e.source?.component))], ['default-scheduler'], 'the other scheduler leaves default-scheduler pods alone');
});

test('preemption: the victim gets DisruptionTarget and is deleted, the preemptor is nominated and then bound', async (t) => {
  const { client, addNode, createPod, getPod, boundTo, events } = await cluster(t);
  await addNode('only', { cpu: '1' });
  await createPod('low', { cpu: '800m', labels: { app: 'low' } });
  assert.equal(await boundTo('low'), 'only');
  const high = await createPod('high', { cpu: '500m', priorityClassName: 'system-cluster-critical' });
  const victim = await eventually(async () => {
    const p = await getPod('low');
    return p.metadata.deletionTimestamp ? p : undefined;
  });
  const dt = victim.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
  assert.equal(dt?.status, 'True');
  assert.equal(dt?.reason, 'PreemptionByScheduler');
  assert.equal(dt?.message, 'default-scheduler: preempting to accommodate a higher priority pod');
  const preemptor = await eventually(async () => {
    const p = await getPod('high');
    return p.status?.nominatedNodeName ? p : undefined;
  });
  assert.equal(preemptor.status?.nominatedNodeName, 'only');
  assert.equal(preemptor.spec.nodeName, undefined, 'not bound while the victim terminates');
  assert.equal(preemptor.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message, '0/1 nodes are available: 1 Insufficient cpu.');
  const preempted = await eventually(async () => (await events('low', 'Preempted'))[0]);
  assert.equal(preempted.message, `Preempted by pod ${high.metadata.uid} on node only`);
  // A low-priority newcomer must not take the room being freed for the nominee.
  await createPod('sneaky', { cpu: '600m' });
  // Play the kubelet: finish the victim's termination.
  await client.delete(PODS, 'default', 'low', { gracePeriodSeconds: 0 });
  assert.equal(await boundTo('high'), 'only');
  const sneaky = await eventually(async () => {
    const p = await getPod('sneaky');
    return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False') ? p : undefined;
  });
  assert.equal(sneaky.spec.nodeName, undefined);
});

test('preemption respects a PodDisruptionBudget when another node offers victims without violating it', async (t) => {
  const { client, addNode, createPod, getPod, boundTo } = await cluster(t);
  await addNode('guarded', { cpu: '1' });
  await createPod('db', { cpu: '800m', labels: { app: 'db' } });
  assert.equal(await boundTo('db'), 'guarded');
  await addNode('free', { cpu: '1' });
  await createPod('batch', { cpu: '800m', labels: { app: 'batch' } });
  assert.equal(await boundTo('batch'), 'free');
  await client.create(PDBS, 'default', { metadata: { name: 'db' }, spec: { selector: { matchLabels: { app: 'db' } }, maxUnavailable: 0 } });
  // No disruption controller in this cluster: publish the budget's status as it would.
  await client.patch(PDBS, 'default', 'db', { status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1, observedGeneration: 1 } }, 'merge', 'status');
  await createPod('urgent', { cpu: '500m', priorityClassName: 'system-cluster-critical' });
  const victim = await eventually(async () => {
    const [db, batch] = await Promise.all([getPod('db'), getPod('batch')]);
    return db.metadata.deletionTimestamp ? 'db' : batch.metadata.deletionTimestamp ? 'batch' : undefined;
  });
  assert.equal(victim, 'batch');
  assert.equal((await getPod('urgent')).status?.nominatedNodeName ?? (await eventually(async () => (await getPod('urgent')).status?.nominatedNodeName)), 'free');
});

test('a pod whose gates are lifted, or whose node appears later, is scheduled', async (t) => {
  const { client, addNode, createPod, getPod, boundTo } = await cluster(t);
  const pod = makePod('gated');
  delete pod.status;
  delete pod.metadata.uid;
  pod.spec.schedulingGates = [{ name: 'example.com/wait' }];
  await client.create(PODS, 'default', pod);
  await createPod('early');
  await eventually(async () => (await getPod('early')).status?.conditions?.find((c) => c.type === 'PodScheduled'));
  const early = await getPod('early');
  assert.equal(early.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message, 'no nodes available to schedule pods');
  await addNode('late');
  assert.equal(await boundTo('early'), 'late');
  assert.equal((await getPod('gated')).spec.nodeName, undefined);
  await client.patch(PODS, 'default', 'gated', { spec: { schedulingGates: null } }, 'merge');
  assert.equal(await boundTo('gated'), 'late');
});
