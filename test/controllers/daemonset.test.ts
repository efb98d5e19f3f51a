import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Taint } from '../../src/api/types.js';
import type { ApiClient } from '../../src/client/client.js';
import type { ControllerRevision, DaemonSet } from '../../src/controllers/shared/types.js';
import { DAEMON_SETS, NODES, PODS, REVISIONS, activePods, container, eventually, events, finishTerminating, watchWhile, keepReady, readyAll, workloadCluster } from './replicaset-helpers.js';

async function addNode(client: ApiClient, name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Promise<void> {
  await client.create<Node>(NODES, '', { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints } });
  await client.patch(
    NODES,
    '',
    name,
    {
      status: {
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
      },
    },
    'merge',
    'status',
  );
}

function daemonSet(name: string, edit: (ds: DaemonSet) => void = () => {}): DaemonSet {
  const ds: DaemonSet = {
    metadata: { name },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: container() } } },
  };
  edit(ds);
  return ds;
}

const target = (p: Pod) =>
  (p.spec.affinity as { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: { matchFields: { values: string[] }[] }[] } } }).nodeAffinity
    .requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]!.matchFields[0]!.values[0];

async function podsByNode(client: ApiClient, app: string): Promise<Map<string, Pod[]>> {
  const out = new Map<string, Pod[]>();
  for (const p of await activePods(client, 'default', `app=${app}`)) {
    const n = target(p)!;
    out.set(n, [...(out.get(n) ?? []), p]);
  }
  return out;
}

async function revisionsOf(client: ApiClient, app: string): Promise<ControllerRevision[]> {
  const list = await client.list<ControllerRevision>(REVISIONS, 'default', { labelSelector: `app=${app}` });
  return list.items.sort((a, b) => a.revision - b.revision);
}

test('DaemonSet controller', async (t) => {
  const cluster = await workloadCluster(t);
  const { client } = cluster;
  const kubectl = async (...args: string[]) => {
    const r = await cluster.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await addNode(client, 'n1');
  await addNode(client, 'n2', { disk: 'ssd' });
  await addNode(client, 'n3', {}, [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }]);

  await t.test('one pod per eligible node, bound by node affinity, with the daemon tolerations', async () => {
    const ds = await client.create<DaemonSet>(DAEMON_SETS, 'default', daemonSet('agent'));
    const byNode = await eventually(async () => {
      const m = await podsByNode(client, 'agent');
      return m.size === 2 && m;
    });
    assert.deepEqual([...byNode.keys()].sort(), ['n1', 'n2'], 'the tainted node gets none');
    const [rev] = await eventually(async () => {
      const rs = await revisionsOf(client, 'agent');
      return rs.length === 1 && rs;
    });
    const hash = rev!.metadata.labels!['controller-revision-hash']!;
    assert.equal(rev!.metadata.name, `agent-${hash}`);
    assert.equal(rev!.revision, 1);
    assert.equal(rev!.metadata.ownerReferences?.[0]?.uid, ds.metadata.uid);
    const data = rev!.data as { spec: { template: Record<string, unknown> } };
    assert.equal(data.spec.template.$patch, 'replace');
    assert.deepEqual(Object.keys(data), ['spec']);
    for (const [node, [pod]] of byNode) {
      assert.match(pod!.metadata.name!, /^agent-[a-z0-9]{5}$/);
      assert.equal(pod!.metadata.labels?.['controller-revision-hash'], hash);
      assert.deepEqual(pod!.spec.affinity, {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } },
      });
      assert.deepEqual(pod!.spec.tolerations, [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ]);
      assert.deepEqual(pod!.metadata.ownerReferences, [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    // The scheduler binds each pod where its affinity says.
    await eventually(async () => {
      const m = await podsByNode(client, 'agent');
      return [...m].every(([node, [p]]) => p!.spec.nodeName === node);
    });
    const status = await eventually(async () => {
      const cur = await client.get<DaemonSet>(DAEMON_SETS, 'default', 'agent');
      return cur.status?.desiredNumberScheduled === 2 && cur.status.currentNumberScheduled === 2 && cur.status;
    });
    assert.deepEqual(status, {
      currentNumberScheduled: 2,
      numberMisscheduled: 0,
      desiredNumberScheduled: 2,
      numberReady: 0,
      observedGeneration: 1,
      updatedNumberScheduled: 2,
      numberUnavailable: 2,
    });
    const created = (await events(client, 'default', 'agent')).filter((e) => e.reason === 'SuccessfulCreate');
    assert.equal(created.length, 2);
    assert.match(created[0]!.message!, /^Created pod: agent-[a-z0-9]{5}$/);
    assert.equal(created[0]!.source?.component, 'daemonset-controller');
  });

  await t.test('readiness, kubectl rollout status and kubectl get ds', async () => {
    await readyAll(client, 'default', 'app=agent');
    assert.match(await kubectl('rollout', 'status', 'ds/agent', '--timeout=20s'), /daemon set "agent" successfully rolled out/);
    const cur = await client.get<DaemonSet>(DAEMON_SETS, 'default', 'agent');
    assert.equal(cur.status?.numberReady, 2);
    assert.equal(cur.status?.numberAvailable, 2);
    assert.equal(cur.status?.numberUnavailable, undefined);
    assert.match(await kubectl('get', 'ds', 'agent', '--no-headers'), /^agent\s+2\s+2\s+2\s+2\s+2\s+/);
  });

  await t.test('tolerations, nodeSelector and required node affinity choose the nodes', async () => {
    await client.create(DAEMON_SETS, 'default', daemonSet('everywhere', (ds) => (ds.spec.template.spec.tolerations = [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }])));
    await client.create(DAEMON_SETS, 'default', daemonSet('ssd', (ds) => (ds.spec.template.spec.nodeSelector = { disk: 'ssd' })));
    await client.create(
      DAEMON_SETS,
      'default',
      daemonSet('notn1', (ds) => {
        ds.spec.template.spec.affinity = {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['n1'] }] }] } },
        };
      }),
    );
    const nodesOf = async (app: string) => [...(await podsByNode(client, app)).keys()].sort();
    await eventually(async () => (await nodesOf('everywhere')).length === 3);
    assert.deepEqual(await nodesOf('everywhere'), ['n1', 'n2', 'n3']);
    await eventually(async () => (await nodesOf('ssd')).length === 1);
    assert.deepEqual(await nodesOf('ssd'), ['n2']);
    await eventually(async () => (await nodesOf('notn1')).length === 1);
    assert.deepEqual(await nodesOf('notn1'), ['n2'], 'n1 excluded by affinity, n3 by its taint');
    // The affinity the pod is bound with replaces the template's terms.
    const [p] = (await podsByNode(client, 'notn1')).get('n2')!;
    assert.equal(target(p!), 'n2');

    // The node loses its label: the pod no longer belongs there and is deleted.
    await client.patch(NODES, '', 'n2', { metadata: { labels: { disk: null } } });
    await eventually(async () => (await nodesOf('ssd')).length === 0);
    const ev = await eventually(async () => (await events(client, 'default', 'ssd')).find((e) => e.reason === 'SuccessfulDelete'));
    assert.match(ev.message!, /^Deleted pod: ssd-/);
  });

  await t.test('a deleted daemon pod is recreated on its node', async () => {
    const before = (await podsByNode(client, 'agent')).get('n1')![0]!;
    await client.delete(PODS, 'default', before.metadata.name!, { gracePeriodSeconds: 0 });
    const after = await eventually(async () => {
      const p = (await podsByNode(client, 'agent')).get('n1')?.[0];
      return p && p.metadata.name !== before.metadata.name && p;
    });
    assert.equal(target(after), 'n1');
  });

  await t.test('RollingUpdate replaces one node at a time; history and undo work through ControllerRevisions', async () => {
    const ready = keepReady(client, 'default', 'app=agent', t);
    await kubectl('rollout', 'status', 'ds/agent', '--timeout=20s');
    const [first] = await revisionsOf(client, 'agent');
    let worst = 0;
    const watcher = watchWhile(t, async () => {
      const ds = await client.get<DaemonSet>(DAEMON_SETS, 'default', 'agent');
      const pods = await activePods(client, 'default', 'app=agent');
      const missing = 2 - new Set(pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map(target)).size;
      if (ds.status?.observedGeneration === ds.metadata.generation) worst = Math.max(worst, missing);
    });
    await kubectl('set', 'image', 'ds/agent', 'app=nginx:1.26');
    assert.match(await kubectl('rollout', 'status', 'ds/agent', '--timeout=30s'), /successfully rolled out/);
    await watcher.stop();
    assert.ok(worst <= 1, `at most maxUnavailable=1 node without a ready pod (saw ${worst})`);
    const revs = await revisionsOf(client, 'agent');
    assert.deepEqual(revs.map((r) => r.revision), [1, 2]);
    const hash = revs[1]!.metadata.labels!['controller-revision-hash'];
    const pods = await activePods(client, 'default', 'app=agent');
    assert.equal(pods.length, 2);
    assert.ok(pods.every((p) => p.metadata.labels?.['controller-revision-hash'] === hash && p.spec.containers[0]!.image === 'nginx:1.26'));
    assert.match(await kubectl('rollout', 'history', 'ds/agent'), /^1\s+<none>\n2\s+<none>/m);

    assert.match(await kubectl('rollout', 'undo', 'ds/agent'), /daemonset.apps\/agent rolled back/);
    assert.match(await kubectl('rollout', 'status', 'ds/agent', '--timeout=30s'), /successfully rolled out/);
    const afterUndo = await eventually(async () => {
      const rs = await revisionsOf(client, 'agent');
      return rs.length === 2 && rs.at(-1)!.revision === 3 && rs;
    });
    assert.equal(afterUndo.at(-1)!.metadata.name, first!.metadata.name, 'the first revision is reused as revision 3');
    ready.stop();
    const images = (await activePods(client, 'default', 'app=agent')).map((p) => p.spec.containers[0]!.image);
    assert.deepEqual(images, ['nginx:1.25', 'nginx:1.25']);
  });

  await t.test('OnDelete replaces a pod only when it is deleted', async () => {
    await client.create(DAEMON_SETS, 'default', daemonSet('ondel', (ds) => (ds.spec.updateStrategy = { type: 'OnDelete' })));
    await eventually(async () => (await podsByNode(client, 'ondel')).size === 2);
    await kubectl('set', 'image', 'ds/ondel', 'app=nginx:2');
    const status = await eventually(async () => {
      const cur = await client.get<DaemonSet>(DAEMON_SETS, 'default', 'ondel');
      return cur.status?.observedGeneration === 2 && cur.status;
    });
    assert.equal(status.updatedNumberScheduled, undefined, 'no pod is up to date');
    const pods = await activePods(client, 'default', 'app=ondel');
    assert.ok(pods.every((p) => p.spec.containers[0]!.image === 'nginx:1.25'));
    await client.delete(PODS, 'default', pods[0]!.metadata.name!, { gracePeriodSeconds: 0 });
    const replaced = await eventually(async () => {
      const ps = await activePods(client, 'default', 'app=ondel');
      return ps.length === 2 && ps.some((p) => p.spec.containers[0]!.image === 'nginx:2') && ps;
    });
    assert.equal(replaced.filter((p) => p.spec.containers[0]!.image === 'nginx:2').length, 1);
    await eventually(async () => (await client.get<DaemonSet>(DAEMON_SETS, 'default', 'ondel')).status?.updatedNumberScheduled === 1);
  });

  await t.test('maxSurge starts the new pod beside the old one before deleting it', async () => {
    await client.create(
      DAEMON_SETS,
      'default',
      daemonSet('surge', (ds) => (ds.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } })),
    );
    const ready = keepReady(client, 'default', 'app=surge', t);
    await kubectl('rollout', 'status', 'ds/surge', '--timeout=20s');
    let sawTwoOnANode = false;
    let lostReady = false;
    const watcher = watchWhile(t, async () => {
      const m = await podsByNode(client, 'surge');
      for (const ps of m.values()) if (ps.length === 2) sawTwoOnANode = true;
      const readyNodes = new Set(
        (await activePods(client, 'default', 'app=surge')).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map(target),
      );
      if (readyNodes.size < 2) lostReady = true;
    });
    await kubectl('set', 'image', 'ds/surge', 'app=nginx:2');
    assert.match(await kubectl('rollout', 'status', 'ds/surge', '--timeout=30s'), /successfully rolled out/);
    await watcher.stop();
    ready.stop();
    assert.ok(sawTwoOnANode, 'a new pod ran beside an old one');
    assert.equal(lostReady, false, 'every node kept a ready pod throughout');
    const pods = await activePods(client, 'default', 'app=surge');
    assert.deepEqual(pods.map((p) => p.spec.containers[0]!.image), ['nginx:2', 'nginx:2']);
  });

  await t.test('a failed daemon pod is killed and replaced', async () => {
    const [victim] = (await podsByNode(client, 'agent')).get('n2')!;
    await client.patch(PODS, 'default', victim!.metadata.name!, { status: { phase: 'Failed' } }, 'merge', 'status');
    const ev = await eventually(async () => (await events(client, 'default', 'agent')).find((e) => e.reason === 'FailedDaemonPod'));
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, `Found failed daemon pod default/${victim!.metadata.name} on node n2, will try to kill it`);
    await finishTerminating(client, 'default', 'app=agent');
    const replacement = await eventually(async () => {
      const p = (await podsByNode(client, 'agent')).get('n2')?.find((x) => x.metadata.name !== victim!.metadata.name && x.status?.phase !== 'Failed');
      return p;
    });
    assert.equal(target(replacement), 'n2');
  });
});
