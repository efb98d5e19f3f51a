// The kubelet's image semantics on the fake runtime, in virtual time: pull-policy defaulting, the
// Pulling/Pulled events and their wording, ErrImageNeverPull, InvalidImageName, and the pull
// back-off from 10 s doubling to 300 s.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { applyDefaultImageTag, defaultPullPolicy } from '../../src/kubelet/images.js';
import { createHarness, makePod, SteppingClock } from './harness.js';

const waiting = (h: Awaited<ReturnType<typeof createHarness>>, uid: string, name: string) =>
  h.api.lastStatus(uid)!.containerStatuses!.find((c) => c.name === name)!.state!.waiting;

describe('image pulls', () => {
  test('the default pull policy: Always for :latest and untagged names, IfNotPresent for tags and digests', () => {
    assert.equal(defaultPullPolicy('busybox'), 'Always');
    assert.equal(defaultPullPolicy('busybox:latest'), 'Always');
    assert.equal(defaultPullPolicy('127.0.0.1:5000/app'), 'Always');
    assert.equal(defaultPullPolicy('busybox:1.28'), 'IfNotPresent');
    assert.equal(defaultPullPolicy('127.0.0.1:5000/app:v1'), 'IfNotPresent');
    assert.equal(defaultPullPolicy(`busybox@sha256:${'a'.repeat(64)}`), 'IfNotPresent');
    assert.equal(applyDefaultImageTag('busybox'), 'busybox:latest');
    assert.equal(applyDefaultImageTag('busybox:1.28'), 'busybox:1.28');
    assert.throws(() => applyDefaultImageTag('Busybox'), /repository name must be lowercase/);
  });

  test('a present image with IfNotPresent or Never is not pulled; an untagged one is pulled as :latest even when present', async () => {
    const clock = new SteppingClock();
    const runtime = new FakeRuntime({ clock, images: ['busybox:1.28', 'busybox:latest'], pullDelayMs: 1234 });
    runtime.setPullSize('busybox:latest', 4_321_000);
    const h = await createHarness({ clock, runtime });
    try {
      const pod = h.add(
        makePod('present', {
          containers: [
            { name: 'tagged', image: 'busybox:1.28', imagePullPolicy: undefined },
            { name: 'never', image: 'busybox:1.28', imagePullPolicy: 'Never' },
            { name: 'untagged', image: 'busybox', imagePullPolicy: undefined },
          ],
        }),
      );
      await h.advance(5000);
      assert.deepEqual(h.runtime.callsMatching(['pullImage']).map((c) => c.replace(/@.*/, '')), ['pullImage busybox:latest']);
      const lines = h.events.lines();
      assert.equal(lines.filter((l) => l === 'Normal Pulled: Container image "busybox:1.28" already present on machine').length, 2, lines.join('\n'));
      assert.ok(lines.includes('Normal Pulling: Pulling image "busybox"'), lines.join('\n'));
      assert.ok(lines.includes('Normal Pulled: Successfully pulled image "busybox" in 1.234s (1.234s including waiting). Image size: 1048576 bytes.'), lines.join('\n'));
      const statuses = h.api.lastStatus(pod.metadata.uid!)!.containerStatuses!;
      assert.deepEqual(statuses.map((s) => Boolean(s.state?.running)), [true, true, true]);
    } finally {
      await h.close();
    }
  });

  test('the Pulled event reports the pulled image size', async () => {
    const clock = new SteppingClock();
    const runtime = new FakeRuntime({ clock, pullDelayMs: 250 });
    runtime.setPullSize('app:2', 7_340_032);
    const h = await createHarness({ clock, runtime });
    try {
      h.add(makePod('sized', { containers: [{ name: 'app', image: 'app:2' }] }));
      await h.advance(3000);
      assert.ok(h.events.find('Pulled', 'Successfully pulled image "app:2" in 250ms (250ms including waiting). Image size: 7340032 bytes.'), h.events.lines().join('\n'));
    } finally {
      await h.close();
    }
  });

  test('Never without the image: ErrImageNeverPull, and no pull', async () => {
    const h = await createHarness();
    try {
      const pod = h.add(makePod('never', { containers: [{ name: 'app', image: 'absent:1', imagePullPolicy: 'Never' }] }));
      await h.advance(3000);
      assert.deepEqual(waiting(h, pod.metadata.uid!, 'app'), { reason: 'ErrImageNeverPull', message: 'Container image "absent:1" is not present with pull policy of Never' });
      assert.ok(h.events.find('ErrImageNeverPull', 'Container image "absent:1" is not present with pull policy of Never'));
      assert.equal(h.runtime.callsMatching(['pullImage']).length, 0);
    } finally {
      await h.close();
    }
  });

  test('an image name the reference grammar refuses: InvalidImageName, an InspectFailed event, and no pull', async () => {
    const h = await createHarness();
    try {
      const pod = h.add(makePod('invalid', { containers: [{ name: 'app', image: 'Repo/App:1' }] }));
      await h.advance(3000);
      const message = 'Failed to apply default image tag "Repo/App:1": couldn\'t parse image name "Repo/App:1": repository name must be lowercase';
      assert.deepEqual(waiting(h, pod.metadata.uid!, 'app'), { reason: 'InvalidImageName', message });
      assert.ok(h.events.find('InspectFailed', message), h.events.lines().join('\n'));
      assert.ok(h.events.find('Failed', 'Error: InvalidImageName'));
      assert.equal(h.runtime.callsMatching(['pullImage', 'createContainer']).length, 0);
    } finally {
      await h.close();
    }
  });

  test('failed pulls back off 10 s, 20 s, 40 s … up to 300 s, then a pull that works starts the container', async () => {
    const h = await createHarness();
    try {
      const error = 'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/gone:1": not found';
      h.runtime.failPull('gone:1', error);
      const pod = h.add(makePod('backoff', { containers: [{ name: 'app', image: 'gone:1' }] }));
      const uid = pod.metadata.uid!;
      await h.advance(6000);
      const reasons = h.api.writes.get(uid)!.map((w) => w.status.containerStatuses?.[0]?.state?.waiting).filter((w) => w?.reason?.includes('Image'));
      assert.deepEqual(reasons[0], { reason: 'ErrImagePull', message: error });
      assert.deepEqual(waiting(h, uid, 'app'), { reason: 'ImagePullBackOff', message: `Back-off pulling image "gone:1": ErrImagePull: ${error}` });
      await h.advance(1000_000);
      const times = h.runtime.callsMatching(['pullImage gone:1']).map((c) => Number(c.slice(c.indexOf('@') + 1)));
      const waits = times.slice(1).map((t, i) => Math.round(t - times[i]));
      assert.deepEqual(waits.slice(0, 7), [10, 20, 40, 80, 160, 300, 300], `pulls at ${times.join(', ')}`);
      assert.ok(h.events.find('BackOff', 'Back-off pulling image "gone:1"'));
      assert.ok(h.events.find('Failed', `Failed to pull image "gone:1": ${error}`));
      assert.ok(h.events.find('Failed', 'Error: ErrImagePull'));
      assert.ok(h.events.find('Failed', 'Error: ImagePullBackOff'));

      h.runtime.failPull('gone:1', undefined);
      await h.advance(301_000);
      assert.ok(h.api.lastStatus(uid)!.containerStatuses![0]!.state!.running, JSON.stringify(h.api.lastStatus(uid)));
      assert.equal(h.api.lastStatus(uid)!.containerStatuses![0]!.restartCount, 0);
    } finally {
      await h.close();
    }
  });
});
