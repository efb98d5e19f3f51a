// A highly available control plane on one machine: one real etcd, two `k8ts server` processes on
// it with the same pki. Watches on one server see writes made through the other, resourceVersions
// agree, one scheduler and one controller manager are active, and when the process leading them
// is SIGKILLed the other takes over and the cluster keeps working through it (kubectl included).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startEtcd } from '../helpers/etcd.js';
import { eventually } from '../helpers/cluster.js';
import { clientFromKubeconfig, startK8ts, startK8tsServer, tempDir, type K8tsServer } from '../helpers/cli.js';
import { ApiClient, type WatchEventOf } from '../../src/client/client.js';
import type { KubeObject, Pod } from '../../src/api/types.js';
import type { Lease } from '../../src/leaderelection/index.js';
import { rfc3339, rfc3339Micro } from '../../src/util/clock.js';

const CONFIGMAPS = ApiClient.resourceOf('v1', 'ConfigMap');
const NAMESPACES = ApiClient.resourceOf('v1', 'Namespace');
const NODES = ApiClient.resourceOf('v1', 'Node');
const PODS = ApiClient.resourceOf('v1', 'Pod');
const REPLICASETS = ApiClient.resourceOf('apps/v1', 'ReplicaSet');
const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');
const EVENTS = ApiClient.resourceOf('v1', 'Event');
const COMPONENTS = ['kube-scheduler', 'kube-controller-manager'] as const;

type After = { after(fn: () => unknown): unknown };

/** The identities a server process campaigns with, from its log ("started leading" lines). */
function ledBy(server: K8tsServer, lease: string): string[] {
  return [...server.stderr().matchAll(new RegExp(`started leading lease=${lease} identity=(\\S+)`, 'g'))].map((m) => m[1]!);
}

/** A Node object kept Ready by renewing its Lease and heartbeat, as a node agent would. */
function heartbeatNode(t: After, client: () => ApiClient, name: string): void {
  const beat = async () => {
    const now = Date.now();
    await client().patch(NODES, '', name, { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: rfc3339(now), lastTransitionTime: rfc3339(now) }] } }, 'strategic', 'status').catch(() => undefined);
    const lease = { metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: rfc3339Micro(now) } };
    await client().patch(LEASES, 'kube-node-lease', name, lease, 'merge').catch(() => client().create(LEASES, 'kube-node-lease', lease).catch(() => undefined));
  };
  const timer = setInterval(() => void beat(), 5_000);
  t.after(() => clearInterval(timer));
  void beat();
}

test('two API servers on one etcd: shared watches and revisions, one active scheduler and controller manager, failover on SIGKILL', { timeout: 180_000 }, async (t) => {
  const run = randomBytes(3).toString('hex');
  const etcd = await startEtcd(t, { members: 1 });
  const storeArgs = ['--store', 'etcd', `--etcd-endpoints=${etcd.endpoints.join(',')}`, '--write-kubeconfig=false'];
  const dirA = tempDir(t, 'k8ts-ha-a-');
  const dirB = tempDir(t, 'k8ts-ha-b-');
  const a = await startK8tsServer(t, ['--data-dir', dirA, ...storeArgs]);
  // The second server gets a copy of the first one's pki, as kubeadm users copy /etc/kubernetes/pki.
  const pkiB = join(tempDir(t, 'k8ts-ha-pki-'), 'pki');
  cpSync(join(dirA, 'pki'), pkiB, { recursive: true });
  const b = await startK8tsServer(t, ['--data-dir', dirB, '--pki-dir', pkiB, ...storeArgs]);
  const clientA = clientFromKubeconfig(join(dirA, 'kubeconfig'));
  const clientB = clientFromKubeconfig(join(dirB, 'kubeconfig'));
  t.after(() => {
    clientA.close();
    clientB.close();
  });

  await t.test('a server with a CA of its own is refused on the same store', async (t) => {
    const other = startK8ts(t, ['server', '--port', '0', '--data-dir', tempDir(t, 'k8ts-ha-c-'), ...storeArgs]);
    const { code } = await other.exited;
    assert.equal(code, 1);
    assert.match(other.stderr(), /k8ts: this store belongs to a cluster with another CA \(sha256:[0-9a-f]{64};.*copy the pki directory of the first server/);
  });

  await t.test('a watch on server B sees a write made on server A, with the same resourceVersion', async () => {
    const ns = `ha-${run}`;
    await clientA.create(NAMESPACES, '', { metadata: { name: ns } });
    const seen: WatchEventOf<KubeObject>[] = [];
    const list = await clientB.list(CONFIGMAPS, ns);
    const watch = clientB.watch<KubeObject>(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: list.metadata.resourceVersion }, (e) => seen.push(e));
    try {
      const created = await clientA.create(CONFIGMAPS, ns, { metadata: { name: 'from-a' }, data: { k: 'v' } });
      const event = await eventually(async () => seen.find((e) => e.type === 'ADDED' && e.object.metadata.name === 'from-a'), 10_000, 100, 'the ADDED event on B');
      assert.equal(event.object.metadata.resourceVersion, created.metadata.resourceVersion);
      const readOnB = await clientB.get(CONFIGMAPS, ns, 'from-a');
      assert.equal(readOnB.metadata.resourceVersion, created.metadata.resourceVersion);
      const updatedOnB = await clientB.update(CONFIGMAPS, { ...readOnB, data: { k: 'v2' } });
      const readOnA = await clientA.get(CONFIGMAPS, ns, 'from-a');
      assert.equal(readOnA.metadata.resourceVersion, updatedOnB.metadata.resourceVersion);
      assert.ok(Number(updatedOnB.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    } finally {
      watch.stop();
    }
  });

  // Which process leads: both Leases' holders are identities that exactly one process logged.
  const holders = async () =>
    Object.fromEntries(await Promise.all(COMPONENTS.map(async (c) => [c, (await clientB.get<Lease>(LEASES, 'kube-system', c)).spec?.holderIdentity ?? ''] as const)));
  let leader: K8tsServer = a;
  let standby: K8tsServer = b;

  await t.test('exactly one scheduler and one controller manager are active', async () => {
    const now = await holders();
    for (const c of COMPONENTS) {
      const onA = ledBy(a, c).includes(now[c]!);
      const onB = ledBy(b, c).includes(now[c]!);
      assert.ok(onA !== onB, `${c} is led by exactly one server (holder ${now[c]})`);
      assert.equal(ledBy(a, c).length + ledBy(b, c).length, 1, `${c} started leading once in the whole cluster`);
    }
    // The first server took both free Leases at its start.
    assert.ok(COMPONENTS.every((c) => ledBy(a, c).includes(now[c]!)));
    leader = a;
    standby = b;
  });

  const node = `ha-node-${run}`;
  let client = clientB;
  heartbeatNode(t, () => client, node);
  await clientA.create(NODES, '', { metadata: { name: node, labels: { 'kubernetes.io/hostname': node } }, status: { capacity: { cpu: '8', memory: '16Gi', pods: '110' }, allocatable: { cpu: '8', memory: '16Gi', pods: '110' } } });
  const ns = `ha-${run}`;

  const scheduledOnce = async (name: string, via: ApiClient) => {
    const pod = await eventually(async () => {
      const p = await via.get<Pod>(PODS, ns, name);
      return p.spec?.nodeName ? p : undefined;
    }, 30_000, 100, `pod ${name} scheduled`);
    assert.equal(pod.spec?.nodeName, node);
    const events = await eventually(async () => {
      const list = await via.list<any>(EVENTS, ns, { fieldSelector: `involvedObject.name=${name}` });
      const scheduled = list.items.filter((e) => e.reason === 'Scheduled');
      return scheduled.length ? scheduled : undefined;
    }, 30_000, 100, 'its Scheduled event');
    assert.equal(events.length, 1, 'scheduled by one scheduler, once');
    assert.equal(events[0].count ?? 1, 1);
  };
  const podSpec = { containers: [{ name: 'c', image: 'busybox:1.28', command: ['sleep', '3600'] }] };
  const replicaSet = (replicas: number) => ({
    metadata: { name: 'web' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec } },
  });
  const replicaPods = async (via: ApiClient, n: number) =>
    eventually(async () => {
      const list = await via.list<Pod>(PODS, ns, { labelSelector: 'app=web' });
      const live = list.items.filter((p) => !p.metadata.deletionTimestamp);
      return live.length === n ? live : undefined;
    }, 30_000, 100, `${n} ReplicaSet pods`);

  await t.test('a pod is scheduled once and a ReplicaSet reconciled, through either server', async () => {
    await clientB.create(PODS, ns, { metadata: { name: 'first' }, spec: podSpec });
    await scheduledOnce('first', clientA);
    await clientA.create(REPLICASETS, ns, replicaSet(2));
    await replicaPods(clientB, 2);
  });

  await t.test('SIGKILL of the leading process: the standby takes both Leases and acts', async () => {
    const before = await holders();
    const transitionsBefore = (await clientB.get<Lease>(LEASES, 'kube-system', 'kube-scheduler')).spec?.leaseTransitions ?? 0;
    client = standby === b ? clientB : clientA;
    await leader.stop('SIGKILL');
    // The waiting window: the 15 s lease duration, the standby's retry period with jitter (up to
    // 4.4 s), and generous slack.
    const after = await eventually(
      async () => {
        const now = await holders();
        return COMPONENTS.every((c) => now[c] !== before[c] && ledBy(standby, c).includes(now[c]!)) ? now : undefined;
      },
      60_000,
      100,
      'the standby leading both',
    );
    assert.ok(COMPONENTS.every((c) => after[c] !== ''));
    const transitionsAfter = (await client.get<Lease>(LEASES, 'kube-system', 'kube-scheduler')).spec?.leaseTransitions ?? 0;
    assert.equal(transitionsAfter, transitionsBefore + 1);

    await client.create(PODS, ns, { metadata: { name: 'after-failover' }, spec: podSpec });
    await scheduledOnce('after-failover', client);
    await client.patch(REPLICASETS, ns, 'web', { spec: { replicas: 3 } });
    await replicaPods(client, 3);
  });

  await t.test('the killed server, restarted, rejoins as a standby', async (t) => {
    const killedDir = leader === a ? dirA : dirB;
    const held = await holders();
    const again = await startK8tsServer(t, ['--data-dir', killedDir, ...(leader === b ? ['--pki-dir', pkiB] : []), ...storeArgs]);
    const rejoined = clientFromKubeconfig(join(killedDir, 'kubeconfig'));
    t.after(() => rejoined.close());
    const pods = await rejoined.list<Pod>(PODS, ns);
    assert.ok(pods.items.some((p) => p.metadata.name === 'after-failover'), 'serves what was written while it was down');
    // A server reports itself running only after its first try for each Lease: it tried and lost.
    for (const c of COMPONENTS) assert.deepEqual(ledBy(again, c), [], `${c} not led by the restarted server`);
    assert.deepEqual(await holders(), held);
  });

  await t.test('kubectl pointed at the survivor keeps working', async () => {
    const survivorDir = standby === b ? dirB : dirA;
    const out = await new Promise<string>((resolve, reject) =>
      execFile('kubectl', ['--kubeconfig', join(survivorDir, 'kubeconfig'), 'get', 'pods', '-n', ns, '-o', 'name'], (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))),
    );
    const names = out.trim().split('\n').sort();
    assert.ok(names.includes('pod/first') && names.includes('pod/after-failover'), out);
    assert.equal(names.filter((n) => n.startsWith('pod/web-')).length, 3, out);
  });
});
