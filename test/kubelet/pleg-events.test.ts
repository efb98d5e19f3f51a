import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { RuntimeEventGenerator, type PodLifecycleEvent } from '../../src/kubelet/pleg.js';
import { sandboxConfig, containerConfig } from '../helpers/runtime-configs.js';
import { createHarness, makePod, SteppingClock } from './harness.js';

const initPod = () =>
  makePod('init-events', {
    initContainers: [{ name: 'init', image: 'busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'sleep 2.3'] }],
    containers: [{ name: 'app', image: 'busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
  });

describe('PLEG with runtime container events', () => {
  test('an init container exit starts the next container at once, not at the next relist', async () => {
    const clock = new SteppingClock();
    const runtime = new FakeRuntime({ clock, images: ['busybox:latest'], containerEvents: true });
    runtime.behave({ name: 'init' }, { exitAfterMs: 2_300 });
    const h = await createHarness({ clock, runtime });
    try {
      assert.equal(runtime.containerEventSubscribers, 1);
      h.add(initPod());
      await h.advance(2_500);
      assert.deepEqual(runtime.callsMatching(['startContainer', 'exited', 'createContainer']), [
        'createContainer init@0',
        'startContainer init@0',
        'exited init 0@2.3',
        'createContainer app@2.3',
        'startContainer app@2.3',
      ]);
    } finally {
      await h.close();
    }
    assert.equal(runtime.containerEventSubscribers, 0, 'the agent unsubscribes when it stops');
  });

  /** The init pod's exit and the app's start as the runtime saw them, after `drive` moved the clock. */
  async function exitAndNextStart(runtime: FakeRuntime, clock: SteppingClock, drive: (h: Awaited<ReturnType<typeof createHarness>>) => Promise<void>): Promise<string[]> {
    runtime.behave({ name: 'init' }, { exitAfterMs: 2_300 });
    const h = await createHarness({ clock, runtime });
    try {
      h.add(initPod());
      await drive(h);
      return runtime.callsMatching(['exited', 'startContainer app']);
    } finally {
      await h.close();
    }
  }

  test('a runtime without events still moves on, at the next relist', async () => {
    const clock = new SteppingClock();
    const runtime = new FakeRuntime({ clock, images: ['busybox:latest'] });
    assert.equal(runtime.subscribeContainerEvents, undefined);
    const calls = await exitAndNextStart(runtime, clock, (h) => h.advance(3_500));
    assert.deepEqual(calls, ['exited init 0@2.3', 'startContainer app@3']);
  });

  test('lost events: the periodic relist still sees the exit', async () => {
    const clock = new SteppingClock();
    const runtime = new FakeRuntime({ clock, images: ['busybox:latest'], containerEvents: true });
    const calls = await exitAndNextStart(runtime, clock, async (h) => {
      await h.advance(1_000);
      runtime.pauseContainerEvents(true);
      await h.advance(2_500);
    });
    assert.deepEqual(calls, ['exited init 0@2.3', 'startContainer app@3']);
  });

  test('a burst of exits makes one relist in flight and at most one after it, not one per event', async () => {
    const clock = new SteppingClock();
    const runtime = new FakeRuntime({ clock, images: ['busybox:latest'], containerEvents: true });
    let lists = 0;
    let inflight = 0;
    let maxInflight = 0;
    const list = runtime.listContainers.bind(runtime);
    runtime.listContainers = async (filter) => {
      lists++;
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      try {
        await new Promise((r) => setImmediate(r));
        return await list(filter);
      } finally {
        inflight--;
      }
    };
    const seen: PodLifecycleEvent[] = [];
    const pleg = new RuntimeEventGenerator({ runtime, clock, periodMs: 60_000, onEvents: (e) => seen.push(...e) });
    pleg.start();
    try {
      const config = sandboxConfig('burst', '/tmp/k8ts-pleg-burst', { labels: { 'io.kubernetes.pod.uid': 'uid-burst' } });
      const sandbox = await runtime.runPodSandbox(config);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await runtime.createContainer(sandbox, containerConfig(`c${i}`, ['sleep', '60'], { image: 'busybox:latest', labels: { 'io.kubernetes.pod.uid': 'uid-burst' } }), config));
      for (const id of ids) await runtime.startContainer(id);
      await new Promise((r) => setImmediate(r));
      await pleg.idle();
      assert.equal(lists, 0, "starts are the agent's own doing: no relist for them");
      for (const id of ids) runtime.exitContainer(id, 0);
      await new Promise((r) => setImmediate(r));
      await pleg.idle();
      assert.equal(maxInflight, 1, 'never two relists at once');
      assert.ok(lists >= 1 && lists <= 2, `five exits, ${lists} relists`);
      const died = seen.filter((e) => e.type === 'ContainerDied').map((e) => e.id).sort();
      assert.deepEqual(died, [...ids].sort(), 'every exit reported without waiting for the period');
    } finally {
      await pleg.stop();
    }
  });
});
