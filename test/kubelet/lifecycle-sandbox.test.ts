import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { createHarness, makePod, SteppingClock } from './harness.js';

describe('sandbox changes', () => {
  test('§4.3 §3.5 §9.3 a sandbox lost under a running pod is re-created: event, init containers again, restarts counted', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'setup' }, { exitAfterMs: 1000 });
      const pod = h.add(
        makePod('resilient', { initContainers: [{ name: 'setup', image: 'busybox:1.28' }], containers: [{ name: 'app', image: 'app:1' }] }),
      );
      await h.advance(5000);
      const [sandbox] = await h.runtime.listPodSandboxes();
      const origin = h.clock.now();
      await h.runtime.stopPodSandbox(sandbox!.id);
      await h.advance(5000);
      assert.ok(h.events.find('SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.'));
      assert.deepEqual(h.runtime.callsMatching(['runPodSandbox', 'removeContainer', 'startContainer'], origin), [
        // Old init instances are purged first; init containers run again before the app.
        'removeContainer setup@1',
        'runPodSandbox resilient@1',
        'startContainer setup@1',
        'startContainer app@3',
      ]);
      const sandboxes = (await h.runtime.listPodSandboxes()).sort((a, b) => a.attempt - b.attempt);
      assert.deepEqual(sandboxes.map((s) => [s.attempt, s.state]), [[0, 'NOTREADY'], [1, 'READY']]);
      const status = h.api.lastStatus(pod.metadata.uid!)!;
      assert.equal(status.phase, 'Running');
      assert.equal(status.containerStatuses![0]!.restartCount, 1);
      assert.equal(status.initContainerStatuses![0]!.restartCount, 1);
      assert.equal(status.podIP, sandboxes[1]!.ip);
    } finally {
      await h.close();
    }
  });

  test('§2 on a runtime without pod networking the host-network sandbox is kept and the node IP used', async () => {
    const clock = new SteppingClock();
    const h = await createHarness({ clock, runtime: new FakeRuntime({ clock, podNetwork: false }) });
    try {
      h.add(makePod('flat', { containers: [{ name: 'app', image: 'app:1', env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }] }));
      await h.advance(10_000);
      assert.deepEqual(h.runtime.callsMatching(['runPodSandbox', 'startContainer', 'stopPodSandbox']), ['runPodSandbox flat@0', 'startContainer app@0']);
      const internals = h.runtime as unknown as { containers: Map<string, { config: import('../../src/runtime/types.js').ContainerConfig }> };
      const config = [...internals.containers.values()][0]!.config;
      assert.deepEqual(config.env, [{ name: 'IP', value: '192.168.1.10' }]);
      assert.ok(!config.mounts.some((m) => m.containerPath === '/etc/hosts'));
    } finally {
      await h.close();
    }
  });

  test('§4.3 a finished Never pod whose sandbox went away gets no new sandbox', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'once' }, { exitAfterMs: 1000, exitCode: 0 });
      const pod = h.add(makePod('done', { restartPolicy: 'Never', containers: [{ name: 'once', image: 'job:1' }] }));
      await h.advance(10_000);
      assert.equal(h.api.lastStatus(pod.metadata.uid!)!.phase, 'Succeeded');
      assert.equal(h.runtime.callsMatching(['runPodSandbox']).length, 1);
    } finally {
      await h.close();
    }
  });
});
