import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeTemplateHash, fnv32a, goJson, safeEncode } from '../../src/controllers/shared/hash.js';
import { scaledValue } from '../../src/controllers/shared/intstr.js';
import type { Deployment, ReplicaSet } from '../../src/controllers/shared/types.js';
import { SyncState, type DeploymentContext } from '../../src/controllers/deployment/context.js';
import { scale } from '../../src/controllers/deployment/sync.js';
import { calculateStatus } from '../../src/controllers/deployment/progress.js';
import { equalIgnoreHash, fenceposts, maxUnavailable, newReplicasFor, setNewReplicaSetAnnotations } from '../../src/controllers/deployment/util.js';
import { FakeClock } from '../../src/util/clock.js';
import type { ApiClient } from '../../src/client/client.js';

function deployment(replicas: number, strategy: Deployment['spec']['strategy'] = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }): Deployment {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1 },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } }, strategy },
  };
}

function rs(name: string, replicas: number, created: string, annotations: Record<string, string> = {}, available = replicas): ReplicaSet {
  return {
    metadata: { name, namespace: 'default', uid: `${name}-uid`, creationTimestamp: created, annotations },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: name }] } } },
    status: { replicas, availableReplicas: available, readyReplicas: available },
  };
}

describe('hashing', () => {
  test('fnv32a and the safe encoding', () => {
    assert.equal(fnv32a(new TextEncoder().encode('Hello world')), 1498229191);
    assert.equal(safeEncode('1498229191'), '58fd66f5f5');
  });

  test('Go JSON: sorted keys, HTML characters escaped', () => {
    assert.equal(goJson({ b: 1, a: { d: '<&>', c: [2, { z: 1, y: 2 }] } }), '{"a":{"c":[2,{"y":2,"z":1}],"d":"\\u003c\\u0026\\u003e"},"b":1}');
  });

  test('the template hash ignores key order and changes with the collision count', () => {
    const a = computeTemplateHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'x' }] } });
    const b = computeTemplateHash({ spec: { containers: [{ image: 'x', name: 'a' }] }, metadata: { labels: { app: 'web' } } });
    assert.equal(a, b);
    assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.notEqual(computeTemplateHash({ spec: {} }, 1), computeTemplateHash({ spec: {} }, 2));
    assert.notEqual(computeTemplateHash({ spec: {} }, 0), computeTemplateHash({ spec: {} }));
  });
});

describe('rollout arithmetic', () => {
  test('percentages round up for surge and down for unavailability', () => {
    assert.equal(scaledValue('25%', 3, true), 1);
    assert.equal(scaledValue('25%', 3, false), 0);
    assert.equal(scaledValue('25%', 10, true), 3);
    assert.equal(scaledValue('25%', 10, false), 2);
    assert.equal(scaledValue(4, 10, false), 4);
    assert.deepEqual(fenceposts(deployment(3)), { surge: 1, unavailable: 0 });
    assert.deepEqual(fenceposts(deployment(3, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '10%' } })), { surge: 0, unavailable: 1 });
    assert.equal(maxUnavailable(deployment(3, { type: 'Recreate' })), 0);
    assert.equal(maxUnavailable(deployment(2, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 5 } })), 2);
  });

  test('the new set grows only within replicas + maxSurge', () => {
    const d = deployment(4); // surge 1
    const old = rs('old', 4, '2026-01-01T00:00:00Z');
    const fresh = rs('new', 0, '2026-01-02T00:00:00Z');
    assert.equal(newReplicasFor(d, [old, fresh], fresh), 1);
    assert.equal(newReplicasFor(d, [rs('old', 3, '2026-01-01T00:00:00Z'), rs('new', 2, '2026-01-02T00:00:00Z')], rs('new', 2, '2026-01-02T00:00:00Z')), 2);
    assert.equal(newReplicasFor(deployment(4, { type: 'Recreate' }), [old, fresh], fresh), 4);
  });

  test('a mid-rollout resize is spread in proportion, leftovers to the largest set', async () => {
    const d = deployment(10, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    d.status = { replicas: 5 };
    const old = rs('old', 3, '2026-01-01T00:00:00Z', { 'deployment.kubernetes.io/max-replicas': '6' });
    const fresh = rs('new', 2, '2026-01-02T00:00:00Z', { 'deployment.kubernetes.io/max-replicas': '6', 'deployment.kubernetes.io/desired-replicas': '5' });
    fresh.spec.template = structuredClone(d.spec.template);
    const writes: ReplicaSet[] = [];
    const events: string[] = [];
    const ctx: DeploymentContext = {
      client: { update: async (_info: unknown, obj: ReplicaSet) => (writes.push(obj), obj) } as unknown as ApiClient,
      recorder: { event: (_o, _t, _r, m) => void events.push(m), flush: async () => {} },
      clock: new FakeClock(),
      requeueAfter: () => {},
    };
    await scale(new SyncState(ctx, 'default/web', d), fresh, [old]);
    assert.deepEqual(
      writes.map((w) => [w.metadata.name, w.spec.replicas, w.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], w.metadata.annotations?.['deployment.kubernetes.io/max-replicas']]),
      [
        ['old', 7, '10', '11'],
        ['new', 4, '10', '11'],
      ],
    );
    assert.deepEqual(events, ['Scaled up replica set old from 3 to 7', 'Scaled up replica set new from 2 to 4']);
  });

  test('status: unavailable counts desired replicas of every set; Available follows maxUnavailable', () => {
    const d = deployment(4);
    const old = rs('old', 3, '2026-01-01T00:00:00Z');
    const fresh = rs('new', 2, '2026-01-02T00:00:00Z', {}, 0);
    const s = calculateStatus(d, [old, fresh], fresh, Date.UTC(2026, 0, 3));
    assert.equal(s.replicas, 5);
    assert.equal(s.updatedReplicas, 2);
    assert.equal(s.availableReplicas, 3);
    assert.equal(s.unavailableReplicas, 2);
    assert.deepEqual(s.conditions?.map((c) => [c.type, c.status, c.reason]), [['Available', 'True', 'MinimumReplicasAvailable']]);
    const low = calculateStatus(deployment(4), [rs('new', 4, '2026-01-02T00:00:00Z', {}, 2)], undefined, 0);
    assert.deepEqual(low.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [['Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.']]);
  });
});

describe('revisions', () => {
  test('a reused set moves to the new revision and remembers the old ones', () => {
    const d = deployment(1);
    d.metadata.annotations = { 'kubernetes.io/change-cause': 'undo', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
    const set = rs('web-abc', 1, '2026-01-01T00:00:00Z', { 'deployment.kubernetes.io/revision': '1' });
    assert.equal(setNewReplicaSetAnnotations(d, set, 3, true), true);
    assert.equal(set.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.equal(set.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(set.metadata.annotations?.['kubernetes.io/change-cause'], 'undo');
    assert.equal(set.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], undefined);
    setNewReplicaSetAnnotations(d, set, 5, true);
    assert.equal(set.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1,3');
    assert.equal(setNewReplicaSetAnnotations(d, set, 4, true), false, 'never lowered');
  });

  test('templates compare without the pod-template-hash label', () => {
    const a = { metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } }, spec: { containers: [] } };
    const b = { metadata: { labels: { app: 'web' } }, spec: { containers: [] } };
    assert.equal(equalIgnoreHash(a, b), true);
    assert.equal(equalIgnoreHash(a, { metadata: { labels: { app: 'api' } }, spec: { containers: [] } }), false);
  });
});
