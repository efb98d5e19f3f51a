import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, history, makePod } from './harness.js';

describe('init containers', () => {
  test('§4.1 02: the init container runs to completion, then the main container starts', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'init-container' }, { exitAfterMs: 10_000, exitCode: 0 });
      const pod = h.add(
        makePod('init-pod-demo', {
          initContainers: [{ name: 'init-container', image: 'busybox:latest', imagePullPolicy: 'Always', command: ['sh', '-c', 'date && sleep 10'] }],
          containers: [{ name: 'busybox-container', image: 'busybox:latest', imagePullPolicy: 'Always', command: ['sh', '-c', 'date && sleep 3600'], ports: [{ containerPort: 80 }] }],
        }),
      );
      await h.advance(15_000);

      assert.deepEqual(h.runtime.callsMatching(['runPodSandbox', 'pullImage', 'createContainer', 'startContainer', 'exited']), [
        'runPodSandbox init-pod-demo@0',
        'pullImage busybox:latest@0',
        'createContainer init-container@0',
        'startContainer init-container@0',
        'exited init-container 0@10',
        'pullImage busybox:latest@10',
        'createContainer busybox-container@10',
        'startContainer busybox-container@10',
      ]);
      const pulled = 'Normal Pulled: Successfully pulled image "busybox:latest" in 0s (0s including waiting). Image size: 1048576 bytes.';
      assert.deepEqual(h.events.lines(), [
        'Normal Pulling: Pulling image "busybox:latest"',
        pulled,
        'Normal Created: Created container: init-container',
        'Normal Started: Started container init-container',
        'Normal Pulling: Pulling image "busybox:latest"',
        pulled,
        'Normal Created: Created container: busybox-container',
        'Normal Started: Started container busybox-container',
      ]);
      assert.deepEqual(
        h.events.events.map((e) => e.involvedObject.fieldPath),
        [...Array(4).fill('spec.initContainers{init-container}'), ...Array(4).fill('spec.containers{busybox-container}')],
      );
      assert.equal(h.events.events[0]!.source?.host, 'node-1');

      const uid = pod.metadata.uid!;
      const status = h.api.lastStatus(uid)!;
      assert.equal(status.phase, 'Running');
      assert.equal(status.initContainerStatuses![0]!.state!.terminated!.reason, 'Completed');
      assert.equal(status.initContainerStatuses![0]!.state!.terminated!.exitCode, 0);
      assert.ok(status.containerStatuses![0]!.state!.running);
      assert.match(status.podIP ?? '', /^10\.88\./);
      assert.deepEqual(
        history(h.api.writes.get(uid), (s) => s.initContainerStatuses?.[0]?.state && Object.keys(s.initContainerStatuses[0].state)[0]),
        ['waiting', 'running', 'terminated'],
      );
    } finally {
      await h.close();
    }
  });

  test('§4.1 §4.2 §5.3 04: a failing init container is retried with back-off; the next one waits for its success', async () => {
    const h = await createHarness();
    try {
      // task1 fails twice, then succeeds.
      h.runtime.behave({ name: 'task1' }, (_c, n) => ({ exitAfterMs: 2000, exitCode: n < 2 ? 1 : 0 }));
      h.runtime.behave({ name: 'task2' }, { exitAfterMs: 0, exitCode: 0 });
      const pod = h.add(
        makePod('web1', {
          initContainers: [
            { name: 'task1', image: 'myos:latest', command: ['sh'], args: ['-c', 'exit $((id%2))'] },
            { name: 'task2', image: 'myos:latest', command: ['sh', '-c', 'echo task2 done'] },
          ],
          containers: [{ name: 'web', image: 'myos:httpd' }],
        }),
      );
      await h.advance(40_000);
      // First failure restarts at once, the second waits 10 s from its exit.
      assert.deepEqual(h.runtime.callsMatching(['startContainer', 'exited']), [
        'startContainer task1@0',
        'exited task1 1@2',
        'startContainer task1@2',
        'exited task1 1@4',
        'startContainer task1@14',
        'exited task1 0@16',
        'startContainer task2@16',
        'exited task2 0@16',
        'startContainer web@17',
      ]);
      const uid = pod.metadata.uid!;
      const backoff = h.events.find('BackOff');
      assert.equal(backoff?.type, 'Warning');
      assert.equal(backoff?.message, `Back-off restarting failed container task1 in pod web1_default(${uid})`);
      assert.equal(backoff?.involvedObject.fieldPath, 'spec.initContainers{task1}');
      const waiting = history(h.api.writes.get(uid), (s) => s.initContainerStatuses?.[0]?.state?.waiting?.reason);
      assert.ok(waiting.includes('CrashLoopBackOff'), `waiting reasons ${JSON.stringify(waiting)}`);
      const crashLoop = h.api.writes.get(uid)!.find((w) => w.status.initContainerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff')!;
      assert.equal(crashLoop.status.initContainerStatuses![0]!.state!.waiting!.message, `back-off 10s restarting failed container=task1 pod=web1_default(${uid})`);
      assert.equal(crashLoop.status.phase, 'Pending');
      const status = h.api.lastStatus(uid)!;
      assert.equal(status.phase, 'Running');
      assert.equal(status.initContainerStatuses![0]!.restartCount, 2);
    } finally {
      await h.close();
    }
  });

  test('§4.2 §1.2 04 with restartPolicy Never: the first init failure fails the pod and web never starts', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'task1' }, { exitAfterMs: 2000, exitCode: 1 });
      const pod = h.add(
        makePod('web1', {
          restartPolicy: 'Never',
          initContainers: [
            { name: 'task1', image: 'myos:latest' },
            { name: 'task2', image: 'myos:latest' },
          ],
          containers: [{ name: 'web', image: 'myos:httpd' }],
        }),
      );
      await h.advance(30_000);
      assert.deepEqual(h.runtime.callsMatching(['startContainer', 'exited', 'stopPodSandbox']), [
        'startContainer task1@0',
        'exited task1 1@2',
        'stopPodSandbox web1@2',
      ]);
      const status = h.api.lastStatus(pod.metadata.uid!)!;
      assert.equal(status.phase, 'Failed');
      assert.equal(status.initContainerStatuses![0]!.state!.terminated!.exitCode, 1);
      assert.equal(status.initContainerStatuses![0]!.restartCount, 0);
      assert.ok(!h.events.lines().some((l) => l.includes('web')));
    } finally {
      await h.close();
    }
  });
});
