// Filters and the FailedScheduling message: each plugin's reason, in upstream's wording and order.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Diagnosis, fitErrorMessage, unresolvable, unschedulable } from '../../src/scheduler/framework.js';
import { podRequests } from '../../src/scheduler/resources.js';
import { makeNode, makePod, makeWorld } from './fixtures.js';

const CONTROL_PLANE = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const };

function message(world: ReturnType<typeof makeWorld>, pod: ReturnType<typeof makePod>): string {
  const { diagnosis } = world.filter(pod);
  return fitErrorMessage(world.cache.nodeInfos().length, diagnosis);
}

test('the FitError message counts reasons per node and sorts them; PostFilter text follows', () => {
  const d = new Diagnosis();
  d.record('a', { ...unschedulable('Insufficient cpu'), plugin: 'NodeResourcesFit' });
  d.record('b', unresolvable('node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'));
  d.record('c', unresolvable('node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'));
  d.postFilterMsg = 'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.';
  assert.equal(
    fitErrorMessage(3, d),
    '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
  );
  const absent = new Diagnosis();
  absent.record('a', unresolvable("node(s) didn't match Pod's node affinity/selector"));
  absent.absent = unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]");
  assert.equal(fitErrorMessage(4, absent), "0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 3 node(s) didn't satisfy plugin(s) [NodeAffinity].");
});

test('filters stop at the first failing plugin, in the default profile order', () => {
  const world = makeWorld([
    makeNode('cordoned', { unschedulable: true, taints: [CONTROL_PLANE] }),
    makeNode('tainted', { taints: [CONTROL_PLANE], cpu: '100m' }),
    makeNode('small', { cpu: '100m', memory: '64Mi' }),
  ]);
  assert.equal(
    message(world, makePod('p', { cpu: '500m', memory: '128Mi' })),
    '0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) were unschedulable.',
  );
});

test('taints: NoSchedule and NoExecute need tolerations, PreferNoSchedule does not; operators and effects', () => {
  const world = makeWorld([
    makeNode('exec', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] }),
    makeNode('prefer', { taints: [{ key: 'dedicated', value: 'db', effect: 'PreferNoSchedule' }] }),
  ]);
  assert.deepEqual(world.filter(makePod('p')).feasible, ['prefer']);
  assert.equal(message(world, makePod('p')), '0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: db}.');
  assert.deepEqual(world.filter(makePod('eq', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoExecute' }] })).feasible, ['exec', 'prefer']);
  assert.deepEqual(world.filter(makePod('wrongvalue', { tolerations: [{ key: 'dedicated', value: 'web' }] })).feasible, ['prefer']);
  assert.deepEqual(world.filter(makePod('wrongeffect', { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] })).feasible, ['prefer']);
  assert.deepEqual(world.filter(makePod('all', { tolerations: [{ operator: 'Exists' }] })).feasible, ['exec', 'prefer']);
});

test('not-ready and unreachable nodes carry their NoSchedule taints, which pods may tolerate', () => {
  const world = makeWorld([makeNode('down', { ready: 'False' }), makeNode('lost', { ready: 'Unknown' })]);
  assert.equal(
    message(world, makePod('p')),
    '0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }.',
  );
  assert.deepEqual(world.filter(makePod('t', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }] })).feasible, ['down']);
});

test('cordoned nodes take pods that tolerate node.kubernetes.io/unschedulable', () => {
  const world = makeWorld([makeNode('n', { unschedulable: true })]);
  assert.equal(message(world, makePod('p')), '0/1 nodes are available: 1 node(s) were unschedulable.');
  assert.deepEqual(world.filter(makePod('ds', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] })).feasible, ['n']);
});

test('node selector and required node affinity: expressions, Gt/Lt, matchFields, and the PreFilter node set', () => {
  const world = makeWorld([
    makeNode('a', { labels: { disk: 'ssd', cores: '16' } }),
    makeNode('b', { labels: { disk: 'hdd', cores: '4' } }),
    makeNode('c', { labels: { cores: 'many' } }),
  ]);
  const required = (terms: unknown[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } });
  assert.deepEqual(world.filter(makePod('sel', { nodeSelector: { disk: 'ssd' } })).feasible, ['a']);
  assert.deepEqual(world.filter(makePod('notin', { affinity: required([{ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }]) })).feasible, ['b', 'c']);
  assert.deepEqual(world.filter(makePod('gt', { affinity: required([{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] }]) })).feasible, ['a']);
  assert.deepEqual(world.filter(makePod('lt', { affinity: required([{ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['8'] }] }]) })).feasible, ['b']);
  assert.deepEqual(world.filter(makePod('or', { affinity: required([{ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }, { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['a', 'c'] }] }]) })).feasible, ['b', 'c']);
  assert.deepEqual(world.filter(makePod('empty', { affinity: required([{}]) })).feasible, []);
  const named = makePod('named', { nodeSelector: { disk: 'hdd' }, affinity: required([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a', 'b'] }] }]) });
  const r = world.filter(named);
  assert.deepEqual(r.feasible, ['b']);
  assert.equal(r.diagnosis.statuses.has('c'), false, 'c is outside the PreFilter node set');
  assert.equal(
    fitErrorMessage(3, Object.assign(world.filter(makePod('x', { nodeSelector: { disk: 'none' }, affinity: required([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }]) })).diagnosis, { absent: unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]") })),
    "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].",
  );
  const conflict = world.filter(makePod('conflict', { affinity: required([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }, { key: 'metadata.name', operator: 'In', values: ['b'] }] }]) }));
  assert.equal(conflict.diagnosis.preFilterMsg, 'pod affinity terms conflict');
  assert.equal(fitErrorMessage(3, conflict.diagnosis), '0/3 nodes are available: pod affinity terms conflict.');
});

test('resources: pod count, cpu, memory, ephemeral storage and extended resources, net of what runs', () => {
  const world = makeWorld(
    [makeNode('gpu', { cpu: '2', extra: { 'example.com/gpu': '2', 'ephemeral-storage': '2Gi' } }), makeNode('full', { pods: '1' })],
    [makePod('running', { nodeName: 'gpu', cpu: '1500m', requests: { 'example.com/gpu': '1' } }), makePod('other', { nodeName: 'full' })],
  );
  assert.equal(message(world, makePod('p', { cpu: '1', requests: { 'example.com/gpu': '2' } })), '0/2 nodes are available: 1 Insufficient cpu, 1 Too many pods, 2 Insufficient example.com/gpu.');
  assert.deepEqual(world.filter(makePod('fits', { cpu: '500m', requests: { 'example.com/gpu': '1' } })).feasible, ['gpu']);
  assert.deepEqual(world.filter(makePod('disk', { requests: { 'ephemeral-storage': '1Gi' } })).feasible, ['gpu']);
  assert.equal(message(world, makePod('disk', { requests: { 'ephemeral-storage': '3Gi' } })), '0/2 nodes are available: 1 Too many pods, 2 Insufficient ephemeral-storage.');
});

test('pod requests: the larger of containers + sidecars and any init container, plus overhead; non-zero defaults', () => {
  const pod = makePod('p', { cpu: '100m', memory: '100Mi' });
  pod.spec.initContainers = [
    { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } },
    { name: 'init', resources: { requests: { cpu: '1', memory: '10Mi' } } },
  ];
  pod.spec.overhead = { cpu: '10m' };
  const r = podRequests(pod);
  assert.equal(r.milliCpu, 1060); // max(100 + 50, 50 + 1000) + 10
  assert.equal(r.memory, 100 * 1024 * 1024);
  const empty = podRequests(makePod('e'), true);
  assert.equal(empty.milliCpu, 100);
  assert.equal(empty.memory, 200 * 1024 * 1024);
  assert.equal(podRequests(makePod('e')).milliCpu, 0);
});

test('host ports: the same port and protocol conflict on the same IP or on 0.0.0.0', () => {
  const world = makeWorld(
    [makeNode('a'), makeNode('b')],
    [makePod('web', { nodeName: 'a', hostPorts: [{ hostPort: 80, hostIP: '10.0.0.1' }] }), makePod('dns', { nodeName: 'b', hostPorts: [{ hostPort: 53, protocol: 'UDP' }] })],
  );
  assert.equal(message(world, makePod('p', { hostPorts: [{ hostPort: 80 }] })), "0/2 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.");
  assert.deepEqual(world.filter(makePod('other-ip', { hostPorts: [{ hostPort: 80, hostIP: '10.0.0.2' }] })).feasible, ['a', 'b']);
  assert.deepEqual(world.filter(makePod('tcp53', { hostPorts: [{ hostPort: 53, protocol: 'TCP' }] })).feasible, ['a', 'b']);
  assert.deepEqual(world.filter(makePod('udp53', { hostPorts: [{ hostPort: 53, hostIP: '10.0.0.9', protocol: 'UDP' }] })).feasible, ['a']);
});

const zoned = () => [
  makeNode('a1', { labels: { 'topology.kubernetes.io/zone': 'a' } }),
  makeNode('a2', { labels: { 'topology.kubernetes.io/zone': 'a' } }),
  makeNode('b1', { labels: { 'topology.kubernetes.io/zone': 'b' } }),
  makeNode('nozone'),
];

test('required pod affinity: the topology must hold a matching pod, unless the pod is the first of its group', () => {
  const term = { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'topology.kubernetes.io/zone' };
  const affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
  const world = makeWorld(zoned(), [makePod('db', { nodeName: 'a2', labels: { app: 'db' } })]);
  assert.deepEqual(world.filter(makePod('web', { affinity })).feasible, ['a1', 'a2']);
  assert.equal(message(world, makePod('web', { affinity })), "0/4 nodes are available: 2 node(s) didn't match pod affinity rules.");
  const empty = makeWorld(zoned());
  assert.deepEqual(empty.filter(makePod('web', { affinity })).feasible, [], 'no db pod anywhere, and web is no db');
  assert.deepEqual(empty.filter(makePod('db-0', { affinity, labels: { app: 'db' } })).feasible, ['a1', 'a2', 'b1'], 'the first db may go to any node with the topology');
  const other = makeWorld(zoned(), [makePod('db', { nodeName: 'a2', namespace: 'other', labels: { app: 'db' } })], { other: { team: 'x' } });
  assert.deepEqual(other.filter(makePod('web', { affinity })).feasible, [], 'a pod in another namespace does not count by default');
  const bySelector = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ ...term, namespaceSelector: { matchLabels: { team: 'x' } } }] } };
  assert.deepEqual(other.filter(makePod('web', { affinity: bySelector })).feasible, ['a1', 'a2']);
  const byName = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ ...term, namespaces: ['other'] }] } };
  assert.deepEqual(other.filter(makePod('web', { affinity: byName })).feasible, ['a1', 'a2']);
});

test('required anti-affinity, of the pod and of the pods already running', () => {
  const anti = (app: string) => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' }] } });
  const world = makeWorld(zoned(), [makePod('web-0', { nodeName: 'a1', labels: { app: 'web' }, affinity: anti('web') }), makePod('cache', { nodeName: 'b1', labels: { app: 'cache' } })]);
  assert.equal(message(world, makePod('web-1', { labels: { app: 'web' }, affinity: anti('web') })), "0/4 nodes are available: 1 node(s) didn't match pod anti-affinity rules.");
  assert.equal(message(world, makePod('web-2', { labels: { app: 'web' } })), "0/4 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules.");
  assert.deepEqual(world.filter(makePod('no-cache', { affinity: anti('cache') })).feasible, ['a1', 'a2', 'nozone']);
});

test('topology spread (DoNotSchedule): skew, missing label, and minDomains', () => {
  const spread = (extra: Record<string, unknown> = {}) => [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...extra }];
  const world = makeWorld(zoned(), [makePod('w0', { nodeName: 'a1', labels: { app: 'web' } })]);
  const pod = (extra?: Record<string, unknown>) => makePod('w1', { labels: { app: 'web' }, topologySpreadConstraints: spread(extra) });
  assert.deepEqual(world.filter(pod()).feasible, ['b1']);
  assert.equal(
    message(world, pod()),
    "0/4 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label), 2 node(s) didn't match pod topology spread constraints.",
  );
  const both = makeWorld(zoned(), [makePod('w0', { nodeName: 'a1', labels: { app: 'web' } }), makePod('w9', { nodeName: 'b1', labels: { app: 'web' } })]);
  assert.deepEqual(both.filter(pod()).feasible, ['a1', 'a2', 'b1']);
  assert.deepEqual(both.filter(pod({ minDomains: 3 })).feasible, [], 'with fewer domains than minDomains the global minimum is 0');
  assert.deepEqual(world.filter(pod({ maxSkew: 2 })).feasible, ['a1', 'a2', 'b1']);
  const onlyA = makePod('w1', { labels: { app: 'web' }, nodeSelector: { 'topology.kubernetes.io/zone': 'a' }, topologySpreadConstraints: spread() });
  assert.deepEqual(world.filter(onlyA).feasible, ['a1', 'a2'], 'zone b is outside the node affinity, so it does not lower the minimum');
});

test('volume restrictions: the same disk twice on a node, unless every user mounts it read-only', () => {
  const withVolume = (name: string, volume: Record<string, unknown>, nodeName?: string) => {
    const pod = makePod(name, nodeName ? { nodeName } : {});
    pod.spec.volumes = [{ name: 'disk', ...volume }];
    return pod;
  };
  const world = makeWorld(
    [makeNode('a'), makeNode('b')],
    [withVolume('pd', { gcePersistentDisk: { pdName: 'data', readOnly: true } }, 'a'), withVolume('ebs', { awsElasticBlockStore: { volumeID: 'vol-1' } }, 'b')],
  );
  assert.deepEqual(world.filter(withVolume('ro', { gcePersistentDisk: { pdName: 'data', readOnly: true } })).feasible, ['a', 'b']);
  assert.equal(message(world, withVolume('rw', { gcePersistentDisk: { pdName: 'data' } })), '0/2 nodes are available: 1 node(s) had no available disk.');
  assert.deepEqual(world.filter(withVolume('ebs2', { awsElasticBlockStore: { volumeID: 'vol-1', readOnly: true } })).feasible, ['a']);
  assert.deepEqual(world.filter(withVolume('other', { awsElasticBlockStore: { volumeID: 'vol-2' } })).feasible, ['a', 'b']);
});
