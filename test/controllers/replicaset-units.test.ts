import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../src/api/types.js';
import { Expectations, EXPECTATIONS_TTL_MS } from '../../src/controllers/shared/expectations.js';
import { isPodAvailable, msUntilAvailable, podsToDelete, slowStartBatch } from '../../src/controllers/shared/pods.js';
import { calculateStatus } from '../../src/controllers/replicaset/status.js';
import type { ReplicaSet } from '../../src/controllers/shared/types.js';
import { FakeClock } from '../../src/util/clock.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function pod(name: string, o: { node?: string; phase?: Pod['status'] extends infer S ? (S extends { phase?: infer P } ? P : never) : never; readySince?: number; created?: number; restarts?: number; cost?: number } = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: iso(o.created ?? NOW - 3600_000),
      ...(o.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } } : {}),
    },
    spec: { containers: [], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.readySince !== undefined ? [{ type: 'Ready', status: 'True', lastTransitionTime: iso(o.readySince) }] : [],
      containerStatuses: [{ name: 'c', ready: true, restartCount: o.restarts ?? 0, image: '', imageID: '' }],
    },
  };
}

describe('which pods a ReplicaSet deletes first', () => {
  const pick = (pods: Pod[], n: number, related = pods) => podsToDelete(pods, related, n, NOW).map((p) => p.metadata.name);

  test('unassigned, then pending, then not ready, then ready', () => {
    const pods = [pod('ready', { node: 'a', readySince: NOW - 60_000 }), pod('notready', { node: 'a' }), pod('pending', { node: 'a', phase: 'Pending' }), pod('unassigned', { phase: 'Pending' })];
    assert.deepEqual(pick(pods, 3), ['unassigned', 'pending', 'notready']);
  });

  test('lower deletion cost first, then doubled-up nodes, then ready for less time', () => {
    assert.deepEqual(pick([pod('dear', { node: 'a', readySince: NOW, cost: 10 }), pod('cheap', { node: 'b', readySince: NOW - 86_400_000, cost: -5 })], 1), ['cheap']);
    const alone = pod('alone', { node: 'a', readySince: NOW - 1000 });
    const crowded = pod('crowded', { node: 'b', readySince: NOW - 86_400_000 });
    assert.deepEqual(pick([alone, crowded], 1, [alone, crowded, pod('sibling', { node: 'b', readySince: NOW })]), ['crowded']);
    assert.deepEqual(pick([pod('old', { node: 'a', readySince: NOW - 86_400_000 }), pod('young', { node: 'b', readySince: NOW - 5000 })], 1), ['young']);
  });

  test('more restarts first, then the newer pod', () => {
    const t = NOW - 60_000;
    assert.deepEqual(pick([pod('steady', { node: 'a', readySince: t }), pod('flaky', { node: 'b', readySince: t, restarts: 4 })], 1), ['flaky']);
    assert.deepEqual(pick([pod('elder', { node: 'a', readySince: t, created: NOW - 86_400_000 }), pod('newer', { node: 'b', readySince: t, created: NOW - 10_000 })], 1), ['newer']);
  });

  test('availability waits for minReadySeconds', () => {
    const p = pod('p', { readySince: NOW - 5000 });
    assert.equal(isPodAvailable(p, 0, NOW), true);
    assert.equal(isPodAvailable(p, 5, NOW), true);
    assert.equal(isPodAvailable(p, 6, NOW), false);
    assert.equal(isPodAvailable(pod('q'), 0, NOW), false);
    // The controller's next look: when the soonest ready pod becomes available.
    assert.equal(msUntilAvailable([p, pod('r', { readySince: NOW - 2000 }), pod('q')], 6, NOW), 1000);
    assert.equal(msUntilAvailable([p], 5, NOW), undefined, 'already available');
    assert.equal(msUntilAvailable([p], 0, NOW), undefined);
  });
});

describe('expectations', () => {
  test('met once every create and expected delete is observed, or after the TTL', async () => {
    const clock = new FakeClock();
    const e = new Expectations(clock);
    assert.equal(e.satisfied('ns/rs'), true);
    e.expectCreations('ns/rs', 2);
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), true);

    e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rs', 'ns/other');
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/a');
    assert.equal(e.satisfied('ns/rs'), false, 'only the expected pods count, each once');
    await clock.advance(EXPECTATIONS_TTL_MS + 1);
    assert.equal(e.satisfied('ns/rs'), true);
  });
});

describe('slow start', () => {
  test('batches of 1, 2, 4, ... stop after the first failing batch', async () => {
    let calls = 0;
    const r = await slowStartBatch(20, 1, async () => {
      if (++calls === 5) throw new Error('quota');
    });
    assert.equal(calls, 7, '1 + 2 + 4 calls');
    assert.equal(r.successes, 6);
    assert.equal((r.error as Error).message, 'quota');
    let all = 0;
    assert.deepEqual(await slowStartBatch(5, 1, async () => void all++), { successes: 5 });
    assert.equal(all, 5);
  });
});

describe('ReplicaSet status', () => {
  test('counts fully labeled, ready and available pods, and reports create failures', () => {
    const rs: ReplicaSet = {
      metadata: { name: 'web', generation: 2 },
      spec: { replicas: 3, minReadySeconds: 10, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [] } } },
      status: { replicas: 0, observedGeneration: 1 },
    };
    const full = { app: 'web', tier: 'fe' };
    const pods = [pod('a', { readySince: NOW - 60_000 }), pod('b', { readySince: NOW - 1000 }), pod('c')];
    pods[0]!.metadata.labels = full;
    pods[1]!.metadata.labels = full;
    pods[2]!.metadata.labels = { app: 'web' };
    assert.deepEqual(calculateStatus(rs, pods, undefined, NOW), { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 1 });
    const failed = calculateStatus(rs, pods.slice(0, 2), new Error('pods "web-x" is forbidden: exceeded quota'), NOW);
    assert.deepEqual(failed.conditions, [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: iso(NOW), reason: 'FailedCreate', message: 'pods "web-x" is forbidden: exceeded quota' }]);
    assert.equal(calculateStatus({ ...rs, status: failed }, pods, undefined, NOW).conditions, undefined, 'cleared once managing succeeds');
  });
});
