import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from '../../src/controllers/shared/types.js';
import { DEPLOYMENTS, REPLICA_SETS, activePods, container, eventually, events, watchWhile, keepReady, readyAll, setReady, workloadCluster } from './replicaset-helpers.js';

async function setsOf(client: import('../../src/client/client.js').ApiClient, name: string): Promise<ReplicaSet[]> {
  const list = await client.list<ReplicaSet>(REPLICA_SETS, 'default');
  return list.items
    .filter((rs) => rs.metadata.ownerReferences?.some((r) => r.kind === 'Deployment' && r.name === name))
    .sort((a, b) => Number(a.metadata.annotations?.['deployment.kubernetes.io/revision']) - Number(b.metadata.annotations?.['deployment.kubernetes.io/revision']));
}

function deployment(name: string, spec: Partial<Deployment['spec']> = {}): Deployment {
  return {
    metadata: { name },
    spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: container() } }, ...spec },
  };
}

test('Deployment controller', async (t) => {
  const cluster = await workloadCluster(t);
  const { client } = cluster;
  const kubectl = async (...args: string[]) => {
    const r = await cluster.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  await t.test('kubectl create deployment: a hashed ReplicaSet, revision 1, rollout status succeeds', async () => {
    await kubectl('create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3');
    const [rs] = await eventually(async () => {
      const sets = await setsOf(client, 'web');
      return sets.length === 1 && sets;
    });
    const hash = rs!.metadata.labels!['pod-template-hash']!;
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    assert.equal(rs!.metadata.name, `web-${hash}`);
    assert.deepEqual(rs!.spec.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
    assert.equal(rs!.spec.template.metadata?.labels?.['pod-template-hash'], hash);
    assert.equal(rs!.spec.replicas, 3);
    assert.deepEqual(
      Object.fromEntries(Object.entries(rs!.metadata.annotations ?? {}).filter(([k]) => k.startsWith('deployment.kubernetes.io/'))),
      { 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' },
    );
    assert.equal(rs!.metadata.ownerReferences?.[0]?.blockOwnerDeletion, true);
    const ev = await eventually(async () => (await events(client, 'default', 'web')).find((e) => e.reason === 'ScalingReplicaSet'));
    assert.equal(ev.message, `Scaled up replica set web-${hash} from 0 to 3`);
    assert.equal(ev.source?.component, 'deployment-controller');

    const pods = await eventually(async () => {
      const ps = await activePods(client, 'default', 'app=web');
      return ps.length === 3 && ps;
    });
    assert.ok(pods.every((p) => p.metadata.name!.startsWith(`web-${hash}-`)));
    const waiting = await cluster.kubectl(['rollout', 'status', 'deployment/web', '--timeout=1s']);
    assert.notEqual(waiting.code, 0, 'not rolled out before pods are ready');
    assert.match(waiting.stdout, /Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available/);

    await readyAll(client, 'default', 'app=web');
    assert.match(await kubectl('rollout', 'status', 'deployment/web', '--timeout=20s'), /deployment "web" successfully rolled out/);
    const d = await eventually(async () => {
      const cur = await client.get<Deployment>(DEPLOYMENTS, 'default', 'web');
      return cur.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable' && cur;
    });
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    const { conditions, ...counts } = d.status!;
    assert.deepEqual(counts, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    assert.deepEqual(
      conditions!.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
        ['Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "web-${hash}" has successfully progressed.`],
      ],
    );
    assert.match(await kubectl('get', 'deploy', 'web', '--no-headers'), /^web\s+3\/3\s+3\s+3\s+/);
    const both = await kubectl('get', 'deploy,rs', '--no-headers');
    assert.match(both, /^deployment\.apps\/web\s+3\/3\s+3\s+3\s+/m);
    assert.match(both, new RegExp(`^replicaset\\.apps/web-${hash}\\s+3\\s+3\\s+3\\s+`, 'm'));
    // kubectl describe finds the new set through the owner references and lists the events.
    const described = await kubectl('describe', 'deployment', 'web');
    assert.match(described, new RegExp(`NewReplicaSet:\\s+web-${hash} \\(3/3 replicas created\\)`));
    assert.match(described, new RegExp(`Normal\\s+ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled up replica set web-${hash} from 0 to 3`));
  });

  await t.test('kubectl set image rolls within maxSurge and maxUnavailable; history lists both revisions', async () => {
    const ready = keepReady(client, 'default', 'app=web', t);
    let worstTotal = 0;
    const watcher = watchWhile(t, async () => {
      const sets = await setsOf(client, 'web');
      worstTotal = Math.max(worstTotal, sets.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0));
    });
    await kubectl('set', 'image', 'deployment/web', 'nginx=nginx:1.26');
    // The change cause is recorded after the change, as users do: it is copied to the new set only.
    await kubectl('annotate', 'deployment', 'web', 'kubernetes.io/change-cause=nginx 1.26');
    assert.match(await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s'), /successfully rolled out/);
    await watcher.stop();
    ready.stop();
    assert.ok(worstTotal <= 4, `never more than replicas + maxSurge (saw ${worstTotal})`);
    const sets = await eventually(async () => {
      const s = await setsOf(client, 'web');
      return s.length === 2 && s[0]!.spec.replicas === 0 && !!s[1]!.metadata.annotations?.['kubernetes.io/change-cause'] && s;
    });
    assert.equal(sets[1]!.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal(sets[1]!.metadata.annotations?.['kubernetes.io/change-cause'], 'nginx 1.26');
    assert.equal(sets[1]!.spec.template.spec.containers[0]!.image, 'nginx:1.26');
    const scaled = (await events(client, 'default', 'web')).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    assert.ok(scaled.some((m) => m === `Scaled down replica set ${sets[0]!.metadata.name} from 3 to 2`), scaled.join('\n'));
    const history = await kubectl('rollout', 'history', 'deployment/web');
    assert.match(history, /^1\s+<none>$/m);
    assert.match(history, /^2\s+nginx 1\.26$/m);
  });

  await t.test('kubectl rollout undo goes back to revision 1 as revision 3', async () => {
    const before = await setsOf(client, 'web');
    const ready = keepReady(client, 'default', 'app=web', t);
    assert.match(await kubectl('rollout', 'undo', 'deployment/web'), /deployment.apps\/web rolled back/);
    assert.match(await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s'), /successfully rolled out/);
    ready.stop();
    const sets = await eventually(async () => {
      const s = await setsOf(client, 'web');
      return s.length === 2 && s.find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3') && s;
    });
    const reverted = sets.find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3')!;
    assert.equal(reverted.metadata.uid, before[0]!.metadata.uid, 'the revision-1 set was reused');
    assert.equal(reverted.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(reverted.spec.replicas, 3);
    const d = await client.get<Deployment>(DEPLOYMENTS, 'default', 'web');
    assert.equal(d.spec.template.spec.containers[0]!.image, 'nginx:1.25');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
  });

  await t.test('pause holds a template change; resume rolls it; restart makes a new revision', async () => {
    await kubectl('rollout', 'pause', 'deployment/web');
    await eventually(async () => {
      const d = await client.get<Deployment>(DEPLOYMENTS, 'default', 'web');
      const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
      return c?.status === 'Unknown' && c.reason === 'DeploymentPaused' && c.message === 'Deployment is paused';
    });
    await kubectl('set', 'image', 'deployment/web', 'nginx=nginx:1.27');
    await eventually(async () => {
      const d = await client.get<Deployment>(DEPLOYMENTS, 'default', 'web');
      return d.status?.observedGeneration === d.metadata.generation;
    });
    assert.equal((await setsOf(client, 'web')).length, 2, 'no new ReplicaSet while paused');
    const ready = keepReady(client, 'default', 'app=web', t);
    await kubectl('rollout', 'resume', 'deployment/web');
    assert.match(await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s'), /successfully rolled out/);
    assert.equal((await setsOf(client, 'web')).length, 3);

    await kubectl('rollout', 'restart', 'deployment/web');
    assert.match(await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s'), /successfully rolled out/);
    ready.stop();
    const sets = await setsOf(client, 'web');
    const newest = sets.at(-1)!;
    assert.equal(newest.metadata.annotations?.['deployment.kubernetes.io/revision'], '5');
    assert.ok(newest.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']);
  });

  await t.test('kubectl scale resizes the current set and its annotations', async () => {
    await kubectl('create', 'deployment', 'sc', '--image=nginx:1.25', '--replicas=2');
    const ready = keepReady(client, 'default', 'app=sc', t);
    await kubectl('rollout', 'status', 'deployment/sc', '--timeout=30s');
    assert.match(await kubectl('scale', 'deployment', 'sc', '--replicas=5'), /deployment.apps\/sc scaled/);
    const rs = await eventually(async () => {
      const [only] = await setsOf(client, 'sc');
      return only?.spec.replicas === 5 && only;
    });
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '5');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '7');
    const ev = await eventually(async () => (await events(client, 'default', 'sc')).find((e) => e.message === `Scaled up replica set ${rs.metadata.name} from 2 to 5`));
    assert.equal(ev.type, 'Normal');
    assert.match(await kubectl('rollout', 'status', 'deployment/sc', '--timeout=30s'), /successfully rolled out/);
    ready.stop();
  });

  await t.test('revisionHistoryLimit keeps only that many old sets', async () => {
    await client.create(DEPLOYMENTS, 'default', deployment('hist', { revisionHistoryLimit: 1, replicas: 1 }));
    const ready = keepReady(client, 'default', 'app=hist', t);
    for (const image of ['nginx:1', 'nginx:2', 'nginx:3']) {
      await kubectl('rollout', 'status', 'deployment/hist', '--timeout=30s');
    await kubectl('set', 'image', 'deployment/hist', `app=${image}`);
    }
    await kubectl('rollout', 'status', 'deployment/hist', '--timeout=30s');
    ready.stop();
    const sets = await eventually(async () => {
      const s = await setsOf(client, 'hist');
      return s.length === 2 && s;
    });
    assert.deepEqual(sets.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision']), ['3', '4']);
  });

  await t.test('Recreate scales the old set to zero before the new one appears', async () => {
    await client.create(DEPLOYMENTS, 'default', deployment('rec', { strategy: { type: 'Recreate' } }));
    const ready = keepReady(client, 'default', 'app=rec', t);
    await kubectl('rollout', 'status', 'deployment/rec', '--timeout=30s');
    let overlap = false;
    const watcher = watchWhile(t, async () => {
      const sets = await setsOf(client, 'rec');
      if (sets.filter((rs) => (rs.spec.replicas ?? 0) > 0).length > 1) overlap = true;
    });
    await kubectl('set', 'image', 'deployment/rec', 'app=nginx:2');
    assert.match(await kubectl('rollout', 'status', 'deployment/rec', '--timeout=30s'), /successfully rolled out/);
    await watcher.stop();
    ready.stop();
    assert.equal(overlap, false, 'old and new sets never both had replicas');
    const pods = await activePods(client, 'default', 'app=rec');
    assert.ok(pods.every((p) => p.spec.containers[0]!.image === 'nginx:2'));
  });

  await t.test('no progress within progressDeadlineSeconds: ProgressDeadlineExceeded, and rollout status fails', async () => {
    await client.create(DEPLOYMENTS, 'default', deployment('stuck', { progressDeadlineSeconds: 1, replicas: 1 }));
    const d = await eventually(
      async () => {
        const cur = await client.get<Deployment>(DEPLOYMENTS, 'default', 'stuck');
        return cur.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'ProgressDeadlineExceeded' && cur;
      },
      15_000,
    );
    const c = d.status!.conditions!.find((x) => x.type === 'Progressing')!;
    const rs = (await setsOf(client, 'stuck'))[0]!;
    assert.equal(c.status, 'False');
    assert.equal(c.message, `ReplicaSet "${rs.metadata.name}" has timed out progressing.`);
    const r = await cluster.kubectl(['rollout', 'status', 'deployment/stuck', '--timeout=5s']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployment "stuck" exceeded its progress deadline/);
  });

  await t.test('minReadySeconds: ready pods count as available only after it', async () => {
    await client.create(DEPLOYMENTS, 'default', deployment('slowready', { minReadySeconds: 30, replicas: 1 }));
    const [pod] = await eventually(async () => {
      const ps = await activePods(client, 'default', 'app=slowready');
      return ps.length === 1 && ps;
    });
    await setReady(client, pod!);
    const early = await eventually(async () => {
      const cur = await client.get<Deployment>(DEPLOYMENTS, 'default', 'slowready');
      return cur.status?.readyReplicas === 1 && cur;
    });
    assert.equal(early.status?.availableReplicas ?? 0, 0, 'ready for less than 30 s is not available');
    assert.equal(early.status?.conditions?.find((c) => c.type === 'Available')?.status, 'False');
    // Ready since 29 s ago: nothing but the controller's own timer can notice the second left.
    await setReady(client, pod!, true, new Date(Date.now() - 29_000));
    const later = await eventually(async () => {
      const cur = await client.get<Deployment>(DEPLOYMENTS, 'default', 'slowready');
      return cur.status?.availableReplicas === 1 && cur;
    });
    assert.equal(later.status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');
  });

  await t.test('a ReplicaSet that cannot create pods reports ReplicaFailure on the Deployment', async () => {
    await client.create(DEPLOYMENTS, 'default', deployment('nosa', { template: { metadata: { labels: { app: 'nosa' } }, spec: { containers: container(), serviceAccountName: 'missing' } } }));
    const d = await eventually(async () => {
      const cur = await client.get<Deployment>(DEPLOYMENTS, 'default', 'nosa');
      return cur.status?.conditions?.some((c) => c.type === 'ReplicaFailure') && cur;
    });
    const [rs] = await setsOf(client, 'nosa');
    const fromSet = rs!.status!.conditions!.find((c) => c.type === 'ReplicaFailure')!;
    const c = d.status!.conditions!.find((x) => x.type === 'ReplicaFailure')!;
    assert.deepEqual(c, {
      type: 'ReplicaFailure',
      status: 'True',
      lastUpdateTime: fromSet.lastTransitionTime,
      lastTransitionTime: fromSet.lastTransitionTime,
      reason: 'FailedCreate',
      message: fromSet.message,
    });
  });
});
