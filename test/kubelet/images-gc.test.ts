// Image garbage collection by disk usage on the fake runtime's simulated image filesystem.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/util/clock.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { ImageGarbageCollector, validateImageGCPolicy, DEFAULT_IMAGE_GC_POLICY } from '../../src/kubelet/image-gc.js';
import type { EventRecorder } from '../../src/kubelet/types.js';
import { createHarness, makePod, SteppingClock } from './harness.js';
import { containerConfig, sandboxConfig } from '../helpers/runtime-configs.js';

const MB = 1_000_000;

function setup(capacity = 1000 * MB) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime({ clock, imageFsCapacityBytes: capacity });
  const events: string[] = [];
  const recorder: EventRecorder = { event: (ref, type, reason, message) => events.push(`${ref.kind}/${ref.name} ${type} ${reason}: ${message}`) };
  const gc = new ImageGarbageCollector({ runtime, clock, recorder, nodeName: 'node-1', stats: () => runtime.imageFsStats() });
  return { clock, runtime, events, gc };
}

const names = async (runtime: FakeRuntime) => (await runtime.listImages()).map((i) => i.repoTags[0]!.replace('docker.io/library/', '')).sort();
const idOf = async (runtime: FakeRuntime, image: string) => (await runtime.imageStatus(image))!.id;

describe('image garbage collection', () => {
  test('below the high threshold nothing is removed', async () => {
    const { clock, runtime, gc } = setup();
    runtime.addImage('a:1', 400 * MB).addImage('b:1', 440 * MB); // 84 %
    await gc.garbageCollect();
    await clock.advance(10 * 60_000);
    assert.equal(await gc.garbageCollect(), 0);
    assert.deepEqual(await names(runtime), ['a:1', 'b:1']);
  });

  test('at 85 % the least recently used images go until usage is at 80 %, never one a container uses', async () => {
    const { clock, runtime, gc, events } = setup();
    runtime.addImage('old:1', 100 * MB).addImage('older:1', 100 * MB).addImage('used:1', 500 * MB).addImage('recent:1', 100 * MB);
    runtime.setImageFsOtherUsage(50 * MB); // 850 MB of 1000: 85 %
    const sandbox = await runtime.runPodSandbox(sandboxConfig('p', '/nonexistent', { podUid: 'u' }));
    const older = await idOf(runtime, 'older:1');
    await gc.garbageCollect(); // first sight of every image
    await clock.advance(60_000);
    gc.markUsed(older);
    await clock.advance(30_000);
    gc.markUsed((await runtime.imageStatus('old:1'))!.id);
    gc.markUsed((await runtime.imageStatus('recent:1'))!.id);
    await runtime.createContainer(sandbox, containerConfig('c', [], { image: 'used:1' }), undefined as never);
    await clock.advance(60_000);
    // Must free 1000*20% - 150 = 50 MB: the least recently used unused image (older) is enough.
    assert.equal(await gc.garbageCollect(), 100 * MB);
    assert.deepEqual(await names(runtime), ['old:1', 'recent:1', 'used:1']);
    assert.deepEqual(runtime.callsMatching(['removeImage']).map((c) => c.replace(/@.*/, '')), [`removeImage ${older}`]);
    // The first collection, when every image was new, could free nothing.
    assert.equal(events.length, 1);
    assert.match(events[0]!, /FreeDiskSpaceFailed: .* Attempted to free 50000000 bytes, but only found 0 bytes eligible to free\.$/);
  });

  test('images younger than the minimum age and the sandbox image are kept, and a shortfall is reported on the node', async () => {
    const { clock, runtime, gc, events } = setup();
    runtime.addImage('big:1', 850 * MB).addImage('registry.k8s.io/pause:3.10', 50 * MB);
    await gc.garbageCollect();
    await clock.advance(DEFAULT_IMAGE_GC_POLICY.minAgeMs - 1000);
    assert.equal(await gc.garbageCollect(), 0);
    assert.deepEqual(await names(runtime), ['big:1', 'registry.k8s.io/pause:3.10']);
    assert.deepEqual(events, [
      'Node/node-1 Warning FreeDiskSpaceFailed: Failed to garbage collect required amount of images. Attempted to free 100000000 bytes, but only found 0 bytes eligible to free.',
      'Node/node-1 Warning FreeDiskSpaceFailed: Failed to garbage collect required amount of images. Attempted to free 100000000 bytes, but only found 0 bytes eligible to free.',
    ]);
    await clock.advance(2000);
    assert.equal(await gc.garbageCollect(), 850 * MB);
    assert.deepEqual(await names(runtime), ['registry.k8s.io/pause:3.10'], 'the sandbox image stays');
  });

  test('thresholds are validated as the kubelet validates them', () => {
    assert.throws(() => validateImageGCPolicy({ ...DEFAULT_IMAGE_GC_POLICY, highThresholdPercent: 101 }), /invalid HighThresholdPercent 101, must be in range \[0-100\]/);
    assert.throws(() => validateImageGCPolicy({ ...DEFAULT_IMAGE_GC_POLICY, lowThresholdPercent: 90 }), /LowThresholdPercent 90 can not be higher than HighThresholdPercent 85/);
  });

  test('the kubelet collects every five minutes and keeps the image of a running pod', async () => {
    const clock = new SteppingClock();
    const runtime = new FakeRuntime({ clock, imageFsCapacityBytes: 1000 * MB, images: [] });
    runtime.addImage('stale:1', 600 * MB).addImage('app:1', 300 * MB);
    const h = await createHarness({ clock, runtime });
    try {
      const pod = h.add(makePod('keeps', { containers: [{ name: 'app', image: 'app:1' }] }));
      await h.advance(3000);
      assert.ok(h.api.lastStatus(pod.metadata.uid!)!.containerStatuses![0]!.state!.running);
      assert.deepEqual(await names(runtime), ['app:1', 'stale:1']);
      await h.advance(6 * 60_000);
      assert.deepEqual(await names(runtime), ['app:1']);
      // At start every image was new (younger than the minimum age): nothing could go then.
      assert.deepEqual(h.events.lines((e) => e.involvedObject.kind === 'Node'), [
        'Warning FreeDiskSpaceFailed: Failed to garbage collect required amount of images. Attempted to free 100000000 bytes, but only found 0 bytes eligible to free.',
      ]);
    } finally {
      await h.close();
    }
  });
});

test('on a CRI runtime the image filesystem is measured at the mount point ImageFsInfo reports', async () => {
  const { imageFsStatsOf } = await import('../../src/kubelet/image-gc.js');
  const { statfsSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const cri = { imageFsInfo: async () => [{ mountpoint: tmpdir(), usedBytes: 0, inodesUsed: 0 }] } as unknown as FakeRuntime;
  const stats = await imageFsStatsOf(cri)!();
  const st = statfsSync(tmpdir());
  assert.equal(stats.capacityBytes, st.blocks * st.bsize);
  assert.ok(stats.availableBytes > 0 && stats.availableBytes <= stats.capacityBytes);
  const none = { imageFsInfo: async () => [] } as unknown as FakeRuntime;
  await assert.rejects(imageFsStatsOf(none)!(), /the runtime reports no image filesystem/);
  assert.equal(imageFsStatsOf({} as FakeRuntime), undefined, 'no image filesystem, no image GC');
});
