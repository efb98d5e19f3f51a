// Lifecycle rules not covered by the scenario-shaped tests, in virtual time on the fake runtime,
// each citing its section of the lifecycle spec.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { PodStatus } from '../../src/api/types.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import type { PodSandboxConfig } from '../../src/runtime/types.js';
import { createHarness, history, makePod, SteppingClock, type Harness } from './harness.js';

/** Seconds (since the harness started) of the runtime calls with this prefix. */
function at(h: Harness, prefix: string): number[] {
  return h.runtime.callsMatching([prefix]).map((c) => Number(c.split('@')[1]));
}

const statusOf = (s: PodStatus | undefined, name: string) => s?.containerStatuses?.find((c) => c.name === name);

describe('lifecycle rules', () => {
  test('§5.3 the back-off key includes the container hash: a new image starts at once and backs off from 10 s again', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'app' }, { exitAfterMs: 500, exitCode: 1 });
      const pod = h.add(makePod('rehash', { containers: [{ name: 'app', image: 'app:1' }] }));
      await h.advance(40_000);
      // 0, at once, 10 s and 20 s after the exits: in back-off until 32 + 40 s.
      assert.deepEqual(at(h, 'startContainer app'), [0, 1, 11.5, 32]);
      h.update({ ...pod, spec: { ...pod.spec, containers: [{ ...pod.spec.containers[0]!, image: 'app:2' }] } });
      await h.advance(15_000);
      const starts = at(h, 'startContainer app');
      assert.equal(starts.length, 6, `starts: ${starts.join(', ')}`);
      assert.ok(starts[4]! < 41, 'the new image does not wait for the old back-off');
      // Its own first crash restarts at once, its second waits 10 s: a fresh entry.
      // Its first crash waits the initial 10 s (the old entry would have made it 80 s), the next 20 s.
      assert.equal(starts[5]! - at(h, 'exited app ')[4]!, 10);
      await h.advance(25_000);
      const later = at(h, 'startContainer app');
      assert.equal(later[6]! - at(h, 'exited app ')[5]!, 20);
    } finally {
      await h.close();
    }
  });

  test('§5.2 §9.3 a running container whose image changes is killed with "definition changed" and restarted even under Never', async () => {
    const h = await createHarness();
    try {
      const pod = h.add(makePod('redefine', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'app:1' }] }));
      await h.advance(5_000);
      h.update({ ...pod, spec: { ...pod.spec, containers: [{ ...pod.spec.containers[0]!, image: 'app:2' }] } });
      await h.advance(40_000);
      const killing = h.events.events.filter((e) => e.reason === 'Killing').map((e) => e.message);
      assert.deepEqual(killing, ['Container app definition changed, will be restarted']);
      assert.equal(at(h, 'startContainer app').length, 2);
      const status = statusOf(h.api.lastStatus(pod.metadata.uid!), 'app');
      assert.ok(status?.state?.running, 'the new instance runs');
      assert.equal(status?.image, 'app:2');
      assert.equal(status?.restartCount, 1);
      assert.equal(status?.lastState?.terminated?.exitCode, 143);
    } finally {
      await h.close();
    }
  });

  test('§6.3 §6.4 §7.3 under Never a liveness kill says so without "will be restarted" and runs preStop first; the container stays dead', async () => {
    const h = await createHarness();
    try {
      h.runtime.onExec('healthy', { exitCode: 1, stdout: 'sick' });
      h.runtime.onExec('goodbye', { exitCode: 0, durationMs: 3_000 });
      const pod = h.add(
        makePod('sick', {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'app',
              image: 'app:1',
              livenessProbe: { exec: { command: ['healthy'] }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 1, successThreshold: 1, initialDelaySeconds: 0 },
              lifecycle: { preStop: { exec: { command: ['goodbye'] } } },
            },
            // A container that keeps running: the kubelet kills only the failing one (with all of them
            // dead it kills the pod instead, with "Stopping container").
            { name: 'other', image: 'app:1' },
          ],
        }),
      );
      await h.advance(60_000);
      assert.equal(h.events.find('Killing')?.message, 'Container app failed liveness probe');
      const [hook] = h.runtime.callsMatching(['execSync app goodbye', 'exec app goodbye']);
      const [stop] = at(h, 'stopContainer app');
      assert.ok(hook, 'preStop ran');
      assert.ok(stop !== undefined && Number(hook.split('@')[1]) < stop, 'preStop before the stop signal');
      assert.equal(at(h, 'startContainer app').length, 1, 'not restarted under Never');
      const status = h.api.lastStatus(pod.metadata.uid!)!;
      assert.equal(status.phase, 'Running', 'one running, one stopped');
      assert.equal(statusOf(status, 'app')?.state?.terminated?.exitCode, 143);
      assert.equal(statusOf(status, 'app')?.restartCount, 0);
    } finally {
      await h.close();
    }
  });

  test('§8.3 deletion ignores restartPolicy: exit 0 on SIGTERM ends Succeeded, 143 ends Failed; then the pod is removed', async () => {
    for (const [exitCode, phase, reason] of [[0, 'Succeeded', 'Completed'], [143, 'Failed', 'Error']] as const) {
      const h = await createHarness();
      try {
        h.runtime.behave({ name: 'app' }, { onStopSignal: { afterMs: 1_000, exitCode } });
        const pod = h.add(makePod(`stop-${exitCode}`, { containers: [{ name: 'app', image: 'app:1' }] }));
        await h.advance(5_000);
        h.deleteGracefully(pod.metadata.uid!, 30);
        await h.advance(10_000);
        assert.equal(h.events.find('Killing')?.message, 'Stopping container app');
        const writes = h.api.writes.get(pod.metadata.uid!)!;
        assert.deepEqual(history(writes, (s) => s.phase), ['Pending', 'Running', phase]);
        const final = writes.at(-1)!.status;
        assert.equal(statusOf(final, 'app')?.state?.terminated?.reason, reason);
        assert.equal(h.api.pods.has(pod.metadata.uid!), false, 'removed once terminal');
      } finally {
        await h.close();
      }
    }
  });

  test('§4.6 an ephemeral container starts before initialization completes and is never restarted', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'setup' }, { exitAfterMs: 60_000, exitCode: 0 });
      h.runtime.behave({ name: 'debugger' }, { exitAfterMs: 2_000, exitCode: 1 });
      const pod = h.add(makePod('debugged', { initContainers: [{ name: 'setup', image: 'busybox:1.36' }], containers: [{ name: 'app', image: 'app:1' }] }));
      await h.advance(5_000);
      h.update({ ...pod, spec: { ...pod.spec, ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }] } });
      await h.advance(120_000);
      const [debuggerStart] = at(h, 'startContainer debugger');
      const [appStart] = at(h, 'startContainer app');
      assert.ok(debuggerStart !== undefined && debuggerStart < 60, `the debugger started at ${debuggerStart}, during the init container`);
      assert.ok(appStart !== undefined && appStart >= 60, 'the app waits for the init container');
      assert.equal(at(h, 'startContainer debugger').length, 1, 'never restarted');
      const status = h.api.lastStatus(pod.metadata.uid!)!;
      const debuggerStatus = status.ephemeralContainerStatuses?.find((c) => c.name === 'debugger');
      assert.equal(debuggerStatus?.state?.terminated?.exitCode, 1);
      assert.equal(status.phase, 'Running', 'an ephemeral container does not affect the phase');
      assert.equal(status.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'nor readiness');
    } finally {
      await h.close();
    }
  });

  test('§7.2 while postStart runs the container is published as waiting ContainerCreating; the next container waits', async () => {
    const h = await createHarness();
    try {
      h.runtime.onExec('warm-up', { exitCode: 0, durationMs: 20_000 });
      const pod = h.add(
        makePod('warming', {
          containers: [
            { name: 'first', image: 'app:1', lifecycle: { postStart: { exec: { command: ['warm-up'] } } } },
            { name: 'second', image: 'app:1' },
          ],
        }),
      );
      await h.advance(10_000);
      const during = h.api.lastStatus(pod.metadata.uid!);
      assert.equal(statusOf(during, 'first')?.state?.waiting?.reason, 'ContainerCreating');
      assert.equal(at(h, 'startContainer second').length, 0);
      await h.advance(15_000);
      assert.ok(statusOf(h.api.lastStatus(pod.metadata.uid!), 'first')?.state?.running);
      const [second] = at(h, 'startContainer second');
      assert.ok(second !== undefined && second >= 20, `second started at ${second}, after the hook`);
    } finally {
      await h.close();
    }
  });

  test('§4.1 a sidecar failing its startup probe is killed with "Init container … failed startup probe" and restarted; the main container waits', async () => {
    const h = await createHarness();
    try {
      h.runtime.onExec('ready-yet', { exitCode: 1 });
      h.add(
        makePod('slow-sidecar', {
          restartPolicy: 'Never',
          initContainers: [
            {
              name: 'proxy',
              image: 'proxy:1',
              restartPolicy: 'Always',
              startupProbe: { exec: { command: ['ready-yet'] }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 1, successThreshold: 1, initialDelaySeconds: 0 },
            },
          ],
          containers: [{ name: 'app', image: 'app:1' }],
        }),
      );
      await h.advance(30_000);
      const killing = h.events.events.filter((e) => e.reason === 'Killing');
      assert.ok(killing.length > 0);
      assert.equal(killing[0]!.message, 'Init container proxy failed startup probe');
      assert.equal(killing[0]!.involvedObject.fieldPath, 'spec.initContainers{proxy}');
      assert.ok(at(h, 'startContainer proxy').length >= 2, 'restarted although the pod is Never');
      assert.deepEqual(at(h, 'startContainer app'), [], 'the main container waits for a started sidecar');
    } finally {
      await h.close();
    }
  });

  test('§9.3 a sandbox that cannot be created: FailedCreatePodSandBox with the error, then a retry', async () => {
    const clock = new SteppingClock();
    let failures = 1;
    const runtime = new (class extends FakeRuntime {
      override async runPodSandbox(config: PodSandboxConfig): Promise<string> {
        if (failures-- > 0) throw new Error('network plugin is not ready');
        return super.runPodSandbox(config);
      }
    })({ clock });
    const h = await createHarness({ clock, runtime });
    try {
      const pod = h.add(makePod('no-net', { containers: [{ name: 'app', image: 'app:1' }] }));
      await h.advance(30_000);
      const failed = h.events.find('FailedCreatePodSandBox');
      assert.equal(failed?.type, 'Warning');
      assert.equal(failed?.message, 'Failed to create pod sandbox: network plugin is not ready');
      assert.equal(failed?.involvedObject.fieldPath, undefined, 'about the pod, not a container');
      assert.ok(statusOf(h.api.lastStatus(pod.metadata.uid!), 'app')?.state?.running, 'the retry succeeds');
    } finally {
      await h.close();
    }
  });

  test('§4.3 OnFailure: after the sandbox is re-created, a container that succeeded is not run again', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'once' }, { exitAfterMs: 1_000, exitCode: 0 });
      const pod = h.add(makePod('partial', { restartPolicy: 'OnFailure', containers: [{ name: 'once', image: 'app:1' }, { name: 'server', image: 'app:1' }] }));
      await h.advance(5_000);
      const [sandbox] = await h.runtime.listPodSandboxes();
      await h.runtime.stopPodSandbox(sandbox!.id);
      await h.advance(10_000);
      assert.ok(h.events.find('SandboxChanged'));
      assert.equal((await h.runtime.listPodSandboxes()).length, 2, 'a new sandbox for the server');
      assert.equal(at(h, 'startContainer once').length, 1);
      assert.equal(at(h, 'startContainer server').length, 2);
      const status = h.api.lastStatus(pod.metadata.uid!)!;
      assert.equal(statusOf(status, 'once')?.state?.terminated?.exitCode, 0);
      assert.ok(statusOf(status, 'server')?.state?.running);
    } finally {
      await h.close();
    }
  });

  test('§4.3 OnFailure: when every container succeeded, a lost sandbox is not re-created', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'once' }, { exitAfterMs: 1_000, exitCode: 0 });
      const pod = h.add(makePod('finished', { restartPolicy: 'OnFailure', containers: [{ name: 'once', image: 'app:1' }] }));
      await h.advance(5_000);
      assert.equal(h.api.lastStatus(pod.metadata.uid!)?.phase, 'Succeeded');
      const [sandbox] = await h.runtime.listPodSandboxes();
      if (sandbox!.state === 'READY') await h.runtime.stopPodSandbox(sandbox!.id);
      await h.advance(10_000);
      assert.equal(h.runtime.callsMatching(['runPodSandbox']).length, 1);
      assert.equal(at(h, 'startContainer once').length, 1);
    } finally {
      await h.close();
    }
  });
});
