import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../src/api/types.js';
import type { ReplicaSet } from '../../src/controllers/shared/types.js';
import { PODS, REPLICA_SETS, activePods, container, eventually, events, setReady, workloadCluster } from './replicaset-helpers.js';

function replicaSet(name: string, replicas: number, labels = { app: name }): ReplicaSet {
  return {
    metadata: { name },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: container() } } },
  };
}

test('ReplicaSet controller', async (t) => {
  const cluster = await workloadCluster(t);
  const { client } = cluster;

  await t.test('creates the replicas it owns, records events and status', async () => {
    const rs = await client.create<ReplicaSet>(REPLICA_SETS, 'default', replicaSet('web', 3));
    const created = await eventually(async () => {
      const ps = await activePods(client, 'default', 'app=web');
      return ps.length === 3 && ps;
    });
    for (const p of created) {
      assert.match(p.metadata.name!, /^web-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata.ownerReferences, [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    const status = await eventually(async () => {
      const cur = await client.get<ReplicaSet>(REPLICA_SETS, 'default', 'web');
      return cur.status?.replicas === 3 && cur.status.observedGeneration === cur.metadata.generation && cur.status;
    });
    assert.deepEqual(status, { replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
    const evs = await eventually(async () => {
      const es = (await events(client, 'default', 'web')).filter((e) => e.reason === 'SuccessfulCreate');
      return es.length === 3 && es;
    });
    assert.deepEqual(evs.map((e) => e.message).sort(), created.map((p) => `Created pod: ${p.metadata.name}`).sort());
    assert.equal(evs[0]!.source?.component, 'replicaset-controller');
    // Nothing more is created once the count is met.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await activePods(client, 'default', 'app=web')).length, 3);
  });

  await t.test('readiness feeds readyReplicas and availableReplicas', async () => {
    const ps = await activePods(client, 'default', 'app=web');
    await setReady(client, ps[0]!);
    await setReady(client, ps[1]!);
    const status = await eventually(async () => {
      const cur = await client.get<ReplicaSet>(REPLICA_SETS, 'default', 'web');
      return cur.status?.readyReplicas === 2 && cur.status;
    });
    assert.deepEqual(status, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
  });

  await t.test('kubectl scale down deletes the not-ready pod first', async () => {
    const before = await activePods(client, 'default', 'app=web');
    const notReady = before.find((p) => !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))!;
    const r = await cluster.kubectl(['scale', 'rs/web', '--replicas=2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'replicaset.apps/web scaled');
    const after = await eventually(async () => {
      const ps = await activePods(client, 'default', 'app=web');
      return ps.length === 2 && ps;
    });
    assert.ok(!after.some((p) => p.metadata.name === notReady.metadata.name), 'the not-ready pod went first');
    const evs = await eventually(async () => (await events(client, 'default', 'web')).find((e) => e.reason === 'SuccessfulDelete'));
    assert.equal(evs.message, `Deleted pod: ${notReady.metadata.name}`);
    const status = await eventually(async () => {
      const cur = await client.get<ReplicaSet>(REPLICA_SETS, 'default', 'web');
      return cur.status?.observedGeneration === 2 && cur.status.replicas === 2 && cur.status;
    });
    assert.equal(status.readyReplicas, 2);
  });

  await t.test('kubectl get rs shows the counts', async () => {
    const r = await cluster.kubectl(['get', 'rs', 'web', '--no-headers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^web\s+2\s+2\s+2\s+/);
  });

  await t.test('adopts a matching orphan instead of creating, and releases a pod that stops matching', async () => {
    await client.create<Pod>(PODS, 'default', { metadata: { name: 'stray', labels: { app: 'api' } }, spec: { containers: container() } });
    const rs = await client.create<ReplicaSet>(REPLICA_SETS, 'default', replicaSet('api', 2));
    const owned = await eventually(async () => {
      const ps = await activePods(client, 'default', 'app=api');
      return ps.length === 2 && ps.every((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid) && ps;
    });
    assert.ok(owned.some((p) => p.metadata.name === 'stray'), 'the orphan was adopted');
    const stray = owned.find((p) => p.metadata.name === 'stray')!;
    assert.deepEqual(stray.metadata.ownerReferences, [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);

    // Relabel it: released, and a replacement is created.
    await client.patch(PODS, 'default', 'stray', { metadata: { labels: { app: 'other' } } });
    const released = await eventually(async () => {
      const p = await client.get<Pod>(PODS, 'default', 'stray');
      return !p.metadata.ownerReferences?.length && p;
    });
    assert.equal(released.metadata.labels?.app, 'other');
    const replaced = await eventually(async () => {
      const ps = await activePods(client, 'default', 'app=api');
      return ps.length === 2 && ps.every((p) => p.metadata.name !== 'stray') && ps;
    });
    assert.equal(replaced.length, 2);
  });

  await t.test('a pod controlled by another owner is left alone', async () => {
    const other = await client.create<ReplicaSet>(REPLICA_SETS, 'default', replicaSet('solo', 0, { app: 'solo' }));
    await client.create<Pod>(PODS, 'default', {
      metadata: { name: 'owned-elsewhere', labels: { app: 'solo' }, ownerReferences: [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'x', uid: '00000000-0000-0000-0000-000000000001', controller: true }] },
      spec: { containers: container() },
    });
    await client.patch(REPLICA_SETS, 'default', 'solo', { spec: { replicas: 1 } });
    const ps = await eventually(async () => {
      const list = await activePods(client, 'default', 'app=solo');
      return list.length === 2 && list;
    });
    const mine = ps.filter((p) => p.metadata.ownerReferences?.[0]?.uid === other.metadata.uid);
    assert.equal(mine.length, 1, 'one pod of its own was created');
    assert.equal((await client.get<Pod>(PODS, 'default', 'owned-elsewhere')).metadata.ownerReferences?.[0]?.kind, 'ReplicationController');
  });

  await t.test('a deleted pod is replaced', async () => {
    const [victim] = await activePods(client, 'default', 'app=web');
    await client.delete(PODS, 'default', victim!.metadata.name!, { gracePeriodSeconds: 0 });
    const ps = await eventually(async () => {
      const list = await activePods(client, 'default', 'app=web');
      return list.length === 2 && !list.some((p) => p.metadata.name === victim!.metadata.name) && list;
    });
    assert.equal(ps.length, 2);
  });

  await t.test('a failing create sets ReplicaFailure and a FailedCreate event', async () => {
    const bad = replicaSet('bad', 1);
    // Admission refuses pods whose service account does not exist.
    bad.spec.template.spec.serviceAccountName = 'missing';
    await client.create<ReplicaSet>(REPLICA_SETS, 'default', bad);
    const status = await eventually(async () => {
      const cur = await client.get<ReplicaSet>(REPLICA_SETS, 'default', 'bad');
      return (cur.status?.conditions?.length ?? 0) > 0 && cur.status;
    });
    const cond = status.conditions![0]!;
    assert.equal(cond.type, 'ReplicaFailure');
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message!, /serviceaccount/i);
    const ev = await eventually(async () => (await events(client, 'default', 'bad')).find((e) => e.reason === 'FailedCreate'));
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, `Error creating: ${cond.message}`);
  });

  await t.test('hundreds of replicas: created exactly once each, in slow-start batches', async () => {
    const added = new Set<string>();
    let deleted = 0;
    const stream = client.watch<Pod>('/api/v1/namespaces/default/pods', { labelSelector: 'app=many' }, (e) => {
      if (e.type === 'ADDED') added.add(e.object.metadata.name!);
      if (e.type === 'DELETED') deleted++;
    });
    t.after(() => stream.stop());
    await client.create<ReplicaSet>(REPLICA_SETS, 'default', replicaSet('many', 400));
    await eventually(async () => (await client.get<ReplicaSet>(REPLICA_SETS, 'default', 'many')).status?.replicas === 400, 60_000);
    // Let any surplus the controller might have made show itself.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await activePods(client, 'default', 'app=many')).length, 400);
    assert.equal(added.size, 400, 'no pod was created beyond the 400');
    assert.equal(deleted, 0, 'so none had to be deleted');
  });
});
