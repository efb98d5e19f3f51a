import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../../src/api/types.js';
import { ApiError } from '../../src/api/errors.js';
import { ApiClient } from '../../src/client/client.js';
import { Informer } from '../../src/client/informer.js';
import { silentLogger } from '../../src/util/log.js';
import { PodsByNode } from '../../src/controllers/node-lifecycle/pods-by-node.js';
import { PodGcController } from '../../src/controllers/podgc/controller.js';
import { rfc3339, rfc3339Micro } from '../../src/util/clock.js';
import { controllerCluster, eventually, runPod, eventsFor, NODES, PODS, type ControllerCluster } from './job-helpers.js';

const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');
const NS = 'default';
const settle = () => new Promise((r) => setTimeout(r, 150));

function readyConditions(at: string) {
  return [
    { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    { type: 'Ready', status: 'True', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ];
}

/** A node and its lease, as a kubelet registers them. */
async function registerNode(c: ControllerCluster, name: string): Promise<void> {
  const at = rfc3339(c.clock.now());
  await c.client.create(NODES, '', { metadata: { name } });
  await c.client.patch(NODES, '', name, { status: { conditions: readyConditions(at) } }, 'merge', 'status');
  await c.client.create(LEASES, 'kube-node-lease', { metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: rfc3339Micro(c.clock.now()) } });
}

async function renew(c: ControllerCluster, name: string): Promise<void> {
  await c.client.patch(LEASES, 'kube-node-lease', name, { spec: { renewTime: rfc3339Micro(c.clock.now()) } });
}

async function boundPod(c: ControllerCluster, name: string, node: string, tolerations?: unknown[]): Promise<Pod> {
  const pod = await c.client.create<Pod>(PODS, NS, { metadata: { name }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }], ...(tolerations ? { tolerations } : {}) } });
  return runPod(c.client, c.clock, pod);
}

async function advance(c: ControllerCluster, ms: number, step = 5_000, each?: () => Promise<void>): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    await c.clock.advance(Math.min(step, ms - done));
    if (each) await each();
    await settle();
  }
}

const readyOf = (n: Node) => n.status!.conditions!.find((x) => x.type === 'Ready')!;

describe('node lifecycle', () => {
  test('a silent node turns Unknown after the grace period, is tainted, its pods lose Ready and are evicted after their toleration; it recovers when heartbeats return', async (t) => {
    const c = await controllerCluster(t);
    await registerNode(c, 'n1');
    await boundPod(c, 'tolerant-30', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]);
    const standard = await boundPod(c, 'standard', 'n1');
    assert.ok(standard.spec.tolerations!.some((x) => x.key === 'node.kubernetes.io/unreachable' && x.tolerationSeconds === 300));
    await settle();

    // Heartbeats through the Lease keep the node Ready for as long as they come.
    await advance(c, 60_000, 5_000, () => renew(c, 'n1'));
    let node = await c.client.get<Node>(NODES, '', 'n1');
    assert.equal(readyOf(node).status, 'True');
    assert.equal(node.spec?.taints, undefined);

    // Silence: not before the 50 s grace period, but soon after it.
    await advance(c, 45_000);
    node = await c.client.get<Node>(NODES, '', 'n1');
    assert.equal(readyOf(node).status, 'True');
    await advance(c, 15_000);
    node = await eventually(async () => {
      const n = await c.client.get<Node>(NODES, '', 'n1');
      return readyOf(n).status === 'Unknown' && (n.spec?.taints?.length ?? 0) === 2 ? n : undefined;
    });
    for (const cond of node.status!.conditions!) {
      assert.equal(cond.status, 'Unknown', cond.type);
      assert.equal(cond.reason, 'NodeStatusUnknown');
      assert.equal(cond.message, 'Kubelet stopped posting node status.');
    }
    assert.deepEqual(
      node.spec!.taints!.map((x) => [x.key, x.effect, Boolean(x.timeAdded)]),
      [
        ['node.kubernetes.io/unreachable', 'NoSchedule', false],
        ['node.kubernetes.io/unreachable', 'NoExecute', true],
      ],
    );
    const unknownAt = c.clock.now();
    await eventually(async () => {
      const p = await c.client.get<Pod>(PODS, NS, 'standard');
      return p.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'False';
    });
    await eventually(async () => (await eventsFor(c.client, NS, 'n1')).some((e) => e.reason === 'NodeNotReady' && e.message === 'Node n1 status is now: NodeNotReady'));

    // tolerationSeconds 30: evicted 30 s after the taint, with the DisruptionTarget condition.
    const taintedAt = Date.parse(node.spec!.taints![1]!.timeAdded!);
    await advance(c, taintedAt + 25_000 - c.clock.now());
    assert.equal((await c.client.get<Pod>(PODS, NS, 'tolerant-30')).metadata.deletionTimestamp, undefined);
    await advance(c, 10_000);
    const evicted = await eventually(async () => {
      const p = await c.client.get<Pod>(PODS, NS, 'tolerant-30');
      return p.metadata.deletionTimestamp ? p : undefined;
    });
    const target = evicted.status!.conditions!.find((x) => x.type === 'DisruptionTarget')!;
    assert.deepEqual([target.status, target.reason, target.message], ['True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint']);
    assert.equal((await c.client.get<Pod>(PODS, NS, 'standard')).metadata.deletionTimestamp, undefined);
    await eventually(async () => (await eventsFor(c.client, NS, 'tolerant-30')).some((e) => e.reason === 'TaintManagerEviction' && e.message === 'Marking for deletion Pod default/tolerant-30'));

    // The default 300 s.
    await advance(c, taintedAt + 295_000 - c.clock.now(), 20_000);
    assert.equal((await c.client.get<Pod>(PODS, NS, 'standard')).metadata.deletionTimestamp, undefined);
    await advance(c, 10_000);
    await eventually(async () => (await c.client.get<Pod>(PODS, NS, 'standard')).metadata.deletionTimestamp);
    assert.ok(c.clock.now() - unknownAt >= 290_000);

    // Heartbeats return: the kubelet reports Ready, the taints go.
    await c.client.patch(NODES, '', 'n1', { status: { conditions: readyConditions(rfc3339(c.clock.now())) } }, 'strategic', 'status');
    await renew(c, 'n1');
    await settle();
    await advance(c, 5_000);
    await eventually(async () => {
      const n = await c.client.get<Node>(NODES, '', 'n1');
      return readyOf(n).status === 'True' && !n.spec?.taints?.length;
    });
    await eventually(async () => (await eventsFor(c.client, NS, 'n1')).some((e) => e.reason === 'NodeReady'));
  });

  test('pod GC: pods of a node that no longer exists are failed with DeletionByPodGC and deleted; terminated pods beyond the threshold go oldest first', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(PODS, NS, { metadata: { name: 'orphan', finalizers: ['example.com/hold'] }, spec: { nodeName: 'gone', containers: [{ name: 'c', image: 'busybox' }] } });
    await settle();
    await advance(c, 20_000);
    assert.equal((await c.client.get<Pod>(PODS, NS, 'orphan')).status?.phase, 'Pending');
    await advance(c, 60_000, 20_000);
    const failed = await eventually(async () => {
      const p = await c.client.get<Pod>(PODS, NS, 'orphan');
      return p.metadata.deletionTimestamp ? p : undefined;
    });
    assert.equal(failed.status!.phase, 'Failed');
    const cond = failed.status!.conditions!.find((x) => x.type === 'DisruptionTarget')!;
    assert.deepEqual([cond.status, cond.reason, cond.message], ['True', 'DeletionByPodGC', 'PodGC: node no longer exists']);

    // The threshold (12500 in the cluster) with a collector of our own at 2.
    const pods = new Informer<Pod>(c.client, PODS);
    const nodes = new Informer<Node>(c.client, NODES);
    const podsByNode = new PodsByNode(pods);
    pods.start();
    nodes.start();
    t.after(() => {
      pods.stop();
      nodes.stop();
    });
    await Promise.all([pods.synced, nodes.synced]);
    const gc = new PodGcController({ client: c.client, pods, nodes, podsByNode, clock: c.clock, log: silentLogger, terminatedPodThreshold: 2 });
    for (const name of ['t1', 't2', 't3', 't4']) {
      const p = await c.client.create<Pod>(PODS, NS, { metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
      await c.client.patch(PODS, NS, p.metadata.name!, { status: { phase: 'Succeeded' } }, 'merge', 'status');
      await c.clock.advance(1_000);
    }
    await eventually(() => pods.list().filter((p) => p.status?.phase === 'Succeeded').length === 4);
    await gc.collect();
    const left = (await c.client.list<Pod>(PODS, NS)).items.map((p) => p.metadata.name!).filter((n) => n.startsWith('t'));
    assert.deepEqual(left.sort(), ['t3', 't4']);
    try {
      await c.client.get(PODS, NS, 't1');
      assert.fail('t1 should be gone');
    } catch (err) {
      assert.ok(err instanceof ApiError && err.code === 404);
    }
  });
});
