// The cri runtime's Status against a real containerd, and the node's runtime health on it: ready
// when containerd and its CNI configuration are there; NetworkReady false (with containerd's own
// reason) while the CNI configuration is missing; a containerd that is stopped (SIGSTOP: the socket
// accepts, nothing answers) makes Status fail, and after 2 minutes without an answer (virtual time)
// the node is "container runtime is down" until containerd answers again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdUnavailable, startTestContainerd } from '../helpers/containerd.js';
import { eventually } from '../helpers/cluster.js';
import { RuntimeHealth } from '../../src/agent/runtime-health.js';
import { FakeClock } from '../../src/util/clock.js';

const unavailable = containerdUnavailable();

test('cri Status: conditions from containerd; the node follows them, and a stopped containerd', { skip: unavailable ?? false, timeout: 180_000 }, async (t) => {
  const h = await startTestContainerd();
  t.after(() => h.cleanup());

  const conditions = await h.runtime.status();
  assert.deepEqual(
    conditions.map((c) => [c.type, c.status]),
    [
      ['RuntimeReady', true],
      ['NetworkReady', true],
    ],
  );
  const clock = new FakeClock(Date.now());
  const health = new RuntimeHealth(h.runtime, clock);
  await health.start();
  t.after(() => health.stop());
  assert.equal(health.notReadyMessage(), undefined);

  await t.test('without its CNI configuration, containerd says NetworkReady false and the node is not ready', async (tt) => {
    const dir = h.containerd.layout.cniConfDir;
    const [file] = readdirSync(dir).filter((f) => f.endsWith('.conflist'));
    assert.ok(file, `a conflist in ${dir}`);
    const text = readFileSync(join(dir, file));
    unlinkSync(join(dir, file));
    let restored = false;
    const restore = () => {
      if (!restored) writeFileSync(join(dir, file), text);
      restored = true;
    };
    tt.after(restore);
    const network = await eventually(async () => {
      const c = (await h.runtime.status()).find((x) => x.type === 'NetworkReady');
      return c && !c.status ? c : undefined;
    }, 30_000, 200);
    assert.ok(network.reason, 'containerd gives a reason');
    await health.check();
    assert.equal(health.notReadyMessage(), `container runtime network not ready: NetworkReady=false reason:${network.reason} message:${network.message}`);

    restore();
    await eventually(async () => (await h.runtime.status()).every((c) => c.status), 30_000, 200);
    await health.check();
    assert.equal(health.notReadyMessage(), undefined);
  });

  await t.test('containerd stopped: Status fails; down after 2 minutes without an answer; ready once it answers', async (tt) => {
    const pid = h.containerd.pid;
    assert.ok(pid);
    process.kill(pid, 'SIGSTOP');
    let resumed = false;
    const resume = () => {
      if (!resumed) process.kill(pid, 'SIGCONT');
      resumed = true;
    };
    tt.after(resume);
    await assert.rejects(h.runtime.status(), (err: Error & { code?: string }) => err.code === 'DeadlineExceeded' || err.code === 'Unavailable');
    await clock.advance(115_000);
    await health.check();
    assert.equal(health.notReadyMessage(), undefined, 'what containerd said last stands within 2 minutes');
    await clock.advance(5_000);
    assert.equal(health.notReadyMessage(), 'container runtime is down');

    resume();
    await eventually(async () => {
      await health.check();
      return health.notReadyMessage() === undefined;
    }, 60_000, 500);
    assert.equal(h.containerd.pid, pid, 'the same containerd answered again');
  });
});
