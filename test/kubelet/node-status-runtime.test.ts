// The node's Ready condition follows the container runtime's Status, as the kubelet's
// updateRuntimeUp and ReadyCondition setter make it: checked every 5 s; RuntimeReady or NetworkReady
// false makes Ready False at once with the condition in the message; a runtime that does not answer
// keeps what it said last until 2 minutes have passed, then "container runtime is down".
// RuntimeHealth runs on the fake runtime in virtual time; the reporter writes to a real API server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../../src/cluster.js';
import type { Node } from '../../src/api/types.js';
import { ApiClient } from '../../src/client/client.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { RuntimeHealth } from '../../src/agent/runtime-health.js';
import { NodeStatusReporter } from '../../src/agent/node-status.js';
import type { EventRecorder } from '../../src/kubelet/types.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const ready = (type: string) => ({ type, status: true, reason: '', message: '' });
const CNI_DOWN = { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: cni plugin not initialized' };

test('RuntimeHealth: conditions and an unanswered Status as the kubelet words them', async () => {
  const clock = new FakeClock();
  const runtime = new FakeRuntime({ clock });
  const errors: unknown[] = [];
  const health = new RuntimeHealth(runtime, clock, (err) => errors.push(err));
  assert.equal(health.notReadyMessage(), 'container runtime status check may not have completed yet');
  await health.start();
  try {
    assert.equal(health.notReadyMessage(), undefined);

    runtime.setStatus([ready('RuntimeReady'), CNI_DOWN]);
    await clock.advance(5_000);
    assert.equal(health.notReadyMessage(), 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized');

    runtime.setStatus([{ type: 'RuntimeReady', status: false, reason: 'Broken', message: 'no shim' }, CNI_DOWN]);
    await clock.advance(5_000);
    assert.equal(
      health.notReadyMessage(),
      '[container runtime not ready: RuntimeReady=false reason:Broken message:no shim, container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized]',
    );

    runtime.setStatus([ready('RuntimeReady')]);
    await clock.advance(5_000);
    assert.equal(health.notReadyMessage(), 'container runtime network not ready: <nil>', 'a missing NetworkReady is not ready');

    // The runtime stops answering: what it said last stands for 2 minutes from its last good answer.
    runtime.setStatus([ready('RuntimeReady'), ready('NetworkReady')]);
    await clock.advance(5_000);
    assert.equal(health.notReadyMessage(), undefined);
    runtime.setStatus(new Error('connection refused'));
    await clock.advance(115_000);
    assert.equal(health.notReadyMessage(), undefined);
    await clock.advance(5_000);
    assert.equal(health.notReadyMessage(), 'container runtime is down');
    assert.equal(errors.length, 1, 'a runtime that stays unreachable is reported once');

    runtime.setStatus([ready('RuntimeReady'), ready('NetworkReady')]);
    await clock.advance(5_000);
    assert.equal(health.notReadyMessage(), undefined);
  } finally {
    health.stop();
  }
});

test('the Node: Ready False with reason KubeletNotReady while the runtime is down, True again once it answers', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster();
  t.after(() => cluster.stop());
  const clock = new FakeClock(Date.now());
  const runtime = new FakeRuntime({ clock });
  const health = new RuntimeHealth(runtime, clock);
  await health.start();
  t.after(() => health.stop());
  const events: string[] = [];
  const recorder: EventRecorder = { event: (_ref, type, reason, message) => void events.push(`${type} ${reason}: ${message}`) };
  const reporter = new NodeStatusReporter(
    cluster.client,
    { name: 'rt-node', addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], kubeletPort: 10250, runtimeVersion: 'fake://0.1.0' },
    clock,
    cluster.dataDir,
    recorder,
    silentLogger,
    health,
  );
  await reporter.start();
  t.after(() => reporter.stop());

  const readyCondition = async () => (await cluster.client.get<Node>(NODES, '', 'rt-node')).status?.conditions?.find((c) => c.type === 'Ready');
  /** Steps virtual time 5 s at a time (each step's report finishing over the network) until `want` holds. */
  const stepUntil = async (want: (c: Awaited<ReturnType<typeof readyCondition>>) => boolean, maxMs: number) => {
    for (let elapsed = 0; elapsed <= maxMs; elapsed += 5_000) {
      const c = await readyCondition();
      if (want(c)) return { c, elapsed };
      await clock.advance(5_000);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`not within ${maxMs} ms of virtual time: ${JSON.stringify(await readyCondition())}`);
  };

  const first = await readyCondition();
  assert.deepEqual([first?.status, first?.reason, first?.message], ['True', 'KubeletReady', 'kubelet is posting ready status']);

  runtime.setStatus(new Error('connection refused'));
  const down = await stepUntil((c) => c?.status === 'False', 180_000);
  assert.ok(down.elapsed >= 120_000, `Ready stayed True until 2 minutes without an answer (False after ${down.elapsed} ms)`);
  assert.deepEqual([down.c?.reason, down.c?.message], ['KubeletNotReady', 'container runtime is down']);

  runtime.setStatus([ready('RuntimeReady'), CNI_DOWN]);
  const network = await stepUntil((c) => c?.message !== 'container runtime is down', 30_000);
  assert.deepEqual([network.c?.status, network.c?.reason, network.c?.message], [
    'False',
    'KubeletNotReady',
    'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
  ]);

  runtime.setStatus([ready('RuntimeReady'), ready('NetworkReady')]);
  const back = await stepUntil((c) => c?.status === 'True', 30_000);
  assert.deepEqual([back.c?.reason, back.c?.message], ['KubeletReady', 'kubelet is posting ready status']);
  assert.notEqual(back.c?.lastTransitionTime, first?.lastTransitionTime, 'the transition back to True is stamped anew');
  assert.deepEqual(
    events.filter((e) => /NodeReady|NodeNotReady/.test(e)),
    ['Normal NodeReady: Node rt-node status is now: NodeReady', 'Normal NodeNotReady: Node rt-node status is now: NodeNotReady', 'Normal NodeReady: Node rt-node status is now: NodeReady'],
  );
});
