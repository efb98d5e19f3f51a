import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, makePod, type Harness } from './harness.js';

function rel(h: Harness, prefixes: string[], origin: number): string[] {
  return h.runtime.callsMatching(prefixes, origin);
}

describe('sidecars and termination order', () => {
  test('§4.1 sidecars start in order, each after the previous one started; mains after all of them', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'init' }, { exitAfterMs: 3000 });
      h.network.tcp = () => true;
      h.add(
        makePod('with-sidecars', {
          initContainers: [
            { name: 'init', image: 'busybox:1.28' },
            { name: 'proxy', image: 'proxy:1', restartPolicy: 'Always', startupProbe: { tcpSocket: { port: 15000 }, periodSeconds: 5 } },
            { name: 'logger', image: 'logger:1', restartPolicy: 'Always' },
          ],
          containers: [
            { name: 'app', image: 'app:1' },
            { name: 'worker', image: 'app:1' },
          ],
        }),
      );
      await h.advance(20_000);
      // proxy waits for its startup probe (its worker ticks every 5 s from the first sync: the run at
      // 5 s succeeds), logger for proxy to be started; app and worker start together once logger runs.
      assert.deepEqual(h.runtime.callsMatching(['startContainer']), [
        'startContainer init@0',
        'startContainer proxy@3',
        'startContainer logger@5',
        'startContainer app@6',
        'startContainer worker@6',
      ]);
    } finally {
      await h.close();
    }
  });

  test('§4.5 on deletion main containers stop first, then sidecars in reverse order, within the grace', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'app' }, { onStopSignal: { afterMs: 3000 } });
      h.runtime.behave({ name: 'logger' }, { onStopSignal: { afterMs: 1000 } });
      h.runtime.behave({ name: 'proxy' }, { onStopSignal: { afterMs: 500 } });
      const pod = h.add(
        makePod('ordered', {
          initContainers: [
            { name: 'proxy', image: 'proxy:1', restartPolicy: 'Always' },
            { name: 'logger', image: 'logger:1', restartPolicy: 'Always' },
          ],
          containers: [{ name: 'app', image: 'app:1' }],
        }),
      );
      await h.advance(10_000);
      const origin = h.clock.now();
      h.deleteGracefully(pod.metadata.uid!, 30);
      await h.advance(40_000);
      assert.deepEqual(rel(h, ['signal', 'exited', 'stopPodSandbox'], origin), [
        'signal app SIGTERM@0',
        'exited app 143@3',
        'signal logger SIGTERM@3',
        'exited logger 143@4',
        'signal proxy SIGTERM@4',
        'exited proxy 143@4.5',
        'stopPodSandbox ordered@4.5',
      ]);
      // The wait is taken from the sidecars' grace: 30 − 3 and 30 − 4 seconds.
      assert.deepEqual(
        h.runtime.callsMatching(['stopContainer'], origin).map((c) => c.split('@')[0]),
        ['stopContainer app 30', 'stopContainer logger 27', 'stopContainer proxy 26'],
      );
      assert.deepEqual(
        h.events.lines((e) => e.reason === 'Killing'),
        ['Normal Killing: Stopping container app', 'Normal Killing: Stopping container logger', 'Normal Killing: Stopping container proxy'],
      );
    } finally {
      await h.close();
    }
  });

  test('§4.5 §1.2 a Job-like pod whose main container exits 0 stops its sidecar and Succeeds', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'main' }, { exitAfterMs: 5000, exitCode: 0 });
      const pod = h.add(
        makePod('job-with-sidecar', {
          restartPolicy: 'Never',
          initContainers: [{ name: 'mesh', image: 'mesh:1', restartPolicy: 'Always' }],
          containers: [{ name: 'main', image: 'job:1' }],
        }),
      );
      await h.advance(20_000);
      assert.deepEqual(h.runtime.callsMatching(['startContainer', 'exited', 'signal']), [
        'startContainer mesh@0',
        'startContainer main@1',
        'exited main 0@6',
        // All regular containers are done: the same sync kills the pod, sidecar included.
        'signal mesh SIGTERM@6',
        'exited mesh 143@6',
      ]);
      const status = h.api.lastStatus(pod.metadata.uid!)!;
      assert.equal(status.phase, 'Succeeded');
      assert.equal(h.runtime.callsMatching(['startContainer mesh']).length, 1);
    } finally {
      await h.close();
    }
  });

  test('§4.2 §5.1 a sidecar that exits is restarted even under restartPolicy Never', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'mesh' }, (_c, n) => (n === 0 ? { exitAfterMs: 4000, exitCode: 1 } : {}));
      h.add(
        makePod('never-with-sidecar', {
          restartPolicy: 'Never',
          initContainers: [{ name: 'mesh', image: 'mesh:1', restartPolicy: 'Always' }],
          containers: [{ name: 'main', image: 'job:1' }],
        }),
      );
      await h.advance(10_000);
      assert.deepEqual(h.runtime.callsMatching(['startContainer']), ['startContainer mesh@0', 'startContainer main@1', 'startContainer mesh@4']);
    } finally {
      await h.close();
    }
  });
});
