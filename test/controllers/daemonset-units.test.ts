import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, PodSpec } from '../../src/api/types.js';
import { bindToNode, daemonTolerations, nodeShouldRunDaemonPod, targetNodeName } from '../../src/controllers/daemonset/node-fit.js';
import { planRollingUpdate, rollingBudget } from '../../src/controllers/daemonset/update.js';
import { calculateStatus } from '../../src/controllers/daemonset/status.js';
import { revisionData } from '../../src/controllers/daemonset/history.js';
import { goJson } from '../../src/controllers/shared/hash.js';
import type { DaemonSet } from '../../src/controllers/shared/types.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const node = (name: string, edit: (n: Node) => void = () => {}): Node => {
  const n: Node = { metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {} };
  edit(n);
  return n;
};
const spec = (edit: (s: PodSpec) => void = () => {}): PodSpec => {
  const s: PodSpec = { containers: [{ name: 'c', image: 'x' }] };
  edit(s);
  return s;
};

describe('where daemon pods run', () => {
  test('taints: NoSchedule keeps running pods, NoExecute evicts, daemon tolerations cover node conditions', () => {
    assert.deepEqual(nodeShouldRunDaemonPod(spec(), node('a')), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(spec(), node('a', (n) => (n.spec!.taints = [{ key: 'gpu', effect: 'NoSchedule' }]))), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(spec(), node('a', (n) => (n.spec!.taints = [{ key: 'gpu', effect: 'NoExecute' }]))), { shouldRun: false, shouldContinueRunning: false });
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      assert.equal(nodeShouldRunDaemonPod(spec(), node('a', (n) => (n.spec!.taints = [{ key, effect: 'NoExecute' }]))).shouldRun, true, key);
    }
    for (const key of ['node.kubernetes.io/disk-pressure', 'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/pid-pressure', 'node.kubernetes.io/unschedulable']) {
      assert.equal(nodeShouldRunDaemonPod(spec(), node('a', (n) => (n.spec!.taints = [{ key, effect: 'NoSchedule' }]))).shouldRun, true, key);
    }
    assert.equal(nodeShouldRunDaemonPod(spec(), node('a', (n) => (n.spec!.taints = [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]))).shouldRun, false);
    assert.equal(
      nodeShouldRunDaemonPod(spec((s) => (s.hostNetwork = true)), node('a', (n) => (n.spec!.taints = [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]))).shouldRun,
      true,
      'host-network pods tolerate an unavailable pod network',
    );
    assert.equal(nodeShouldRunDaemonPod(spec(), node('a', (n) => (n.spec!.unschedulable = true))).shouldRun, true, 'cordoned nodes still run daemons');
  });

  test('nodeSelector, required affinity and nodeName', () => {
    const ssd = node('a', (n) => (n.metadata.labels!.disk = 'ssd'));
    assert.equal(nodeShouldRunDaemonPod(spec((s) => (s.nodeSelector = { disk: 'ssd' })), ssd).shouldRun, true);
    assert.deepEqual(nodeShouldRunDaemonPod(spec((s) => (s.nodeSelector = { disk: 'ssd' })), node('b')), { shouldRun: false, shouldContinueRunning: false });
    const gt = spec((s) => (s.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }] } } }));
    assert.equal(nodeShouldRunDaemonPod(gt, node('a', (n) => (n.metadata.labels!.cores = '8'))).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(gt, node('a', (n) => (n.metadata.labels!.cores = '2'))).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(spec((s) => (s.nodeName = 'b')), node('a')).shouldRun, false);
  });

  test('the daemon tolerations are added once, replacing an identical user toleration', () => {
    const t = daemonTolerations(spec((s) => (s.tolerations = [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'x', operator: 'Exists' }])));
    assert.deepEqual(t.slice(0, 2), [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }, { key: 'x', operator: 'Exists' }]);
    assert.equal(t.length, 7);
  });

  test('binding by node affinity replaces the required terms and keeps the rest', () => {
    const affinity = bindToNode({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }], requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [] }] } }, podAntiAffinity: {} }, 'n1');
    assert.deepEqual(affinity, {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }],
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] },
      },
      podAntiAffinity: {},
    });
    assert.equal(targetNodeName(spec((s) => (s.affinity = affinity))), 'n1');
    assert.equal(targetNodeName(spec((s) => (s.nodeName = 'n2'))), 'n2');
  });
});

function ds(strategy: DaemonSet['spec']['updateStrategy'] = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }): DaemonSet {
  return { metadata: { name: 'agent', namespace: 'default', generation: 2 }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: spec() }, updateStrategy: strategy } };
}

function dpod(name: string, nodeName: string, hash: string, ready = true): Pod {
  return {
    metadata: { name, namespace: 'default', labels: { app: 'agent', 'controller-revision-hash': hash }, creationTimestamp: new Date(NOW - 60_000).toISOString() },
    spec: { ...spec(), nodeName },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(NOW - 60_000).toISOString() }] },
  };
}

describe('rolling update plan', () => {
  const nodes = [node('a'), node('b'), node('c'), node('d')];
  const old = () => new Map(nodes.map((n) => [n.metadata.name!, [dpod(`old-${n.metadata.name}`, n.metadata.name!, 'h1')]]));

  test('without surge: delete up to maxUnavailable old pods, counting unavailable new ones', () => {
    assert.deepEqual(planRollingUpdate(ds(), nodes, old(), 'h2', NOW).deletePods.map((p) => p.metadata.name), ['old-a']);
    const pods = old();
    pods.set('a', [dpod('new-a', 'a', 'h2', false)]);
    assert.deepEqual(planRollingUpdate(ds(), nodes, pods, 'h2', NOW).deletePods, [], 'the unavailable new pod uses the budget');
    pods.set('b', [dpod('old-b', 'b', 'h1', false)]);
    assert.deepEqual(planRollingUpdate(ds(), nodes, pods, 'h2', NOW).deletePods.map((p) => p.metadata.name), ['old-b'], 'unavailable old pods are always replaced');
    assert.deepEqual(planRollingUpdate(ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%' } }), nodes, old(), 'h2', NOW).deletePods.length, 2);
  });

  test('with surge: new pods beside old ones, old ones deleted when the new one is available', () => {
    const surge = ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    assert.deepEqual(planRollingUpdate(surge, nodes, old(), 'h2', NOW), { deletePods: [], createOn: ['a'] });
    const pods = old();
    pods.set('a', [dpod('old-a', 'a', 'h1'), dpod('new-a', 'a', 'h2', false)]);
    assert.deepEqual(planRollingUpdate(surge, nodes, pods, 'h2', NOW), { deletePods: [], createOn: [] }, 'surge budget in use');
    pods.set('a', [dpod('old-a', 'a', 'h1'), dpod('new-a', 'a', 'h2', true)]);
    const plan = planRollingUpdate(surge, nodes, pods, 'h2', NOW);
    assert.deepEqual(plan.deletePods.map((p) => p.metadata.name), ['old-a']);
    assert.deepEqual(plan.createOn, ['b']);
  });

  test('budgets round up against the eligible nodes; both zero means one unavailable', () => {
    assert.deepEqual(rollingBudget(ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } }), 4), { maxSurge: 0, maxUnavailable: 1 });
    assert.deepEqual(rollingBudget(ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }), 4), { maxSurge: 0, maxUnavailable: 1 });
    assert.deepEqual(rollingBudget(ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '30%' } }), 4), { maxSurge: 2, maxUnavailable: 0 });
  });
});

describe('DaemonSet status and revisions', () => {
  test('counts per node: desired, scheduled, misscheduled, ready, updated', () => {
    const set = ds();
    set.spec.template.spec.nodeSelector = { role: 'edge' };
    const edge = (name: string) => node(name, (n) => (n.metadata.labels!.role = 'edge'));
    const nodes = [edge('a'), edge('b'), edge('c'), node('d')];
    const pods = new Map([
      ['a', [dpod('pa', 'a', 'h2')]],
      ['b', [dpod('pb', 'b', 'h1', false)]],
      ['d', [dpod('pd', 'd', 'h2')]],
    ]);
    assert.deepEqual(calculateStatus(set, nodes, pods, 'h2', NOW), {
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      desiredNumberScheduled: 3,
      numberReady: 1,
      updatedNumberScheduled: 1,
      numberAvailable: 1,
      numberUnavailable: 2,
    });
  });

  test('revision data is the template as a replacing patch, serialized as Go does', () => {
    const set = ds();
    assert.equal(
      goJson(revisionData(set)),
      '{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"image":"x","name":"c"}]}}}}',
    );
  });
});
