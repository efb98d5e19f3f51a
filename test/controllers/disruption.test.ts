import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../src/api/types.js';
import { ApiError } from '../../src/api/errors.js';
import { ApiClient, resourcePath } from '../../src/client/client.js';
import { controllerCluster, eventually, runPod, PODS, NODES, type ControllerCluster } from './job-helpers.js';

const PDBS = ApiClient.resourceOf('policy/v1', 'PodDisruptionBudget');
const RS = ApiClient.resourceOf('apps/v1', 'ReplicaSet');
const NS = 'default';

async function readyPod(c: ControllerCluster, name: string, labels: Record<string, string>, owner?: { apiVersion: string; kind: string; name: string; uid: string }): Promise<Pod> {
  const pod = await c.client.create<Pod>(PODS, NS, {
    metadata: { name, labels, ...(owner ? { ownerReferences: [{ ...owner, controller: true }] } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
  });
  return runPod(c.client, c.clock, pod);
}

function evict(c: ControllerCluster, name: string): Promise<unknown> {
  return c.client.request('POST', resourcePath(PODS, NS, name, 'eviction'), {
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS }, deleteOptions: { gracePeriodSeconds: 0 } },
  });
}

async function pdbStatus(c: ControllerCluster, name: string, want: (s: any) => boolean): Promise<any> {
  return eventually(async () => {
    const s = ((await c.client.get(PDBS, NS, name)) as any).status;
    return s && want(s) ? s : undefined;
  });
}

describe('disruption controller', () => {
  test('minAvailable: status counts healthy pods, and evictions through the API stop at the budget', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(NODES, '', { metadata: { name: 'n1' } });
    for (const n of ['web-a', 'web-b', 'web-c']) await readyPod(c, n, { app: 'web' });
    await c.client.create(PDBS, NS, { metadata: { name: 'web' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
    let s = await pdbStatus(c, 'web', (x) => x.currentHealthy === 3);
    assert.deepEqual({ ...s, conditions: undefined }, { observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, conditions: undefined });
    assert.deepEqual(
      s.conditions.map((x: any) => [x.type, x.status, x.reason, x.message, x.observedGeneration]),
      [['DisruptionAllowed', 'True', 'SufficientPods', '', 1]],
    );

    await evict(c, 'web-a');
    s = await pdbStatus(c, 'web', (x) => x.currentHealthy === 2);
    assert.equal(s.disruptionsAllowed, 0);
    assert.deepEqual([s.conditions[0].status, s.conditions[0].reason], ['False', 'InsufficientPods']);
    await assert.rejects(evict(c, 'web-b'), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 429);
      assert.match(err.message, /Cannot evict pod as it would violate the pod's disruption budget\./);
      return true;
    });
    // A pod that is not Ready is not healthy.
    await runPod(c.client, c.clock, await c.client.get<Pod>(PODS, NS, 'web-b'), { ready: false });
    s = await pdbStatus(c, 'web', (x) => x.currentHealthy === 1);
    assert.equal(s.disruptionsAllowed, 0);
  });

  test('maxUnavailable as a percentage is scaled by the controllers, and pods without a controller fail the sync', async (t) => {
    const c = await controllerCluster(t);
    const rs = await c.client.create(RS, NS, {
      metadata: { name: 'api' },
      spec: { replicas: 4, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api', uid: rs.metadata.uid! };
    // Pods of our own: whether or not a ReplicaSet controller runs, these carry the label it does not select on.
    for (const n of ['api-1', 'api-2', 'api-3']) await readyPod(c, n, { app: 'api', tier: 'x' }, owner);
    await c.client.create(PDBS, NS, { metadata: { name: 'api' }, spec: { maxUnavailable: '25%', selector: { matchLabels: { tier: 'x' } } } });
    const s = await pdbStatus(c, 'api', (x) => x.expectedPods === 4);
    assert.equal(s.desiredHealthy, 3);
    assert.equal(s.currentHealthy, 3);
    assert.equal(s.disruptionsAllowed, 0);

    await readyPod(c, 'loner', { tier: 'y' });
    await c.client.create(PDBS, NS, { metadata: { name: 'loner' }, spec: { maxUnavailable: 1, selector: { matchLabels: { tier: 'y' } } } });
    const f = await pdbStatus(c, 'loner', (x) => x.conditions?.length);
    assert.deepEqual([f.conditions[0].status, f.conditions[0].reason, f.conditions[0].message], ['False', 'SyncFailed', 'found no controllers for pod "loner"']);
    assert.equal(f.disruptionsAllowed, 0);
  });

  test('kubectl drain: evictions a budget forbids are refused and retried; allowed ones drain the node', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(NODES, '', { metadata: { name: 'n1' } });
    await readyPod(c, 'db-a', { app: 'db', pick: 'yes' });
    await readyPod(c, 'db-b', { app: 'db' });
    await c.client.create(PDBS, NS, { metadata: { name: 'db' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'db' } } } });
    await pdbStatus(c, 'db', (x) => x.currentHealthy === 2);
    const refused = await c.kubectl(['drain', 'n1', '--force', '--grace-period=0', '--timeout=3s', '--pod-selector=app=db']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.equal((await c.client.get<Pod>(PODS, NS, 'db-a')).metadata.deletionTimestamp, undefined);
    // Cordoned: the node lifecycle controller adds the unschedulable taint on its next pass.
    await c.clock.advance(5_000);
    await eventually(async () => ((await c.client.get(NODES, '', 'n1')) as any).spec?.taints?.some((x: any) => x.key === 'node.kubernetes.io/unschedulable' && x.effect === 'NoSchedule'));

    await c.client.patch(PDBS, NS, 'db', { spec: { minAvailable: 1 } });
    await pdbStatus(c, 'db', (x) => x.disruptionsAllowed === 1 && x.observedGeneration === 2);
    const drained = await c.kubectl(['drain', 'n1', '--force', '--grace-period=0', '--timeout=20s', '--pod-selector=pick=yes']);
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stdout, /evicting pod default\/db-a/);
    assert.match(drained.stdout, /node\/n1 drained/);
    await assert.rejects(c.client.get(PODS, NS, 'db-a'), (err: unknown) => err instanceof ApiError && err.code === 404);
    const s = await pdbStatus(c, 'db', (x) => x.currentHealthy === 1);
    assert.equal(s.disruptionsAllowed, 0);
  });
});
