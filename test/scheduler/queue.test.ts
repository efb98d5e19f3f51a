// The scheduling queue: priority order, back-off 1 s doubling to 10 s, and unschedulable pods that
// return only on events relevant to the plugins that rejected them.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { FakeClock } from '../../src/util/clock.js';
import { newPodInfo } from '../../src/scheduler/podinfo.js';
import { SchedulingQueue, type QueuedPodInfo } from '../../src/scheduler/queue.js';
import { makePod } from './fixtures.js';

function setup(t: { after(fn: () => unknown): unknown }) {
  const clock = new FakeClock();
  const queue = new SchedulingQueue(clock);
  queue.run();
  t.after(() => queue.close());
  const popNow = async (): Promise<QueuedPodInfo | undefined> => {
    await clock.advance(0);
    return queue.tryPop();
  };
  return { clock, queue, popNow };
}

test('higher priority first, then first come first served', async (t) => {
  const { clock, queue } = setup(t);
  queue.addOrUpdate(newPodInfo(makePod('low-1')));
  await clock.advance(1);
  queue.addOrUpdate(newPodInfo(makePod('high', { priority: 1000 })));
  queue.addOrUpdate(newPodInfo(makePod('low-2')));
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await queue.pop())!.podInfo.pod.metadata.name);
  assert.deepEqual(order, ['high', 'low-1', 'low-2']);
});

test('back-off doubles from 1 s per attempt and stops at 10 s', async (t) => {
  const { queue } = setup(t);
  const q = { podInfo: newPodInfo(makePod('p')), timestamp: 0, attempts: 0, unschedulablePlugins: new Set<string>(), poppedAt: 0 };
  const durations = [1, 2, 3, 4, 5, 6].map((attempts) => queue.backoffDurationMs({ ...q, attempts }));
  assert.deepEqual(durations, [1000, 2000, 4000, 8000, 10_000, 10_000]);
});

test('an unschedulable pod waits for a relevant event, then for the rest of its back-off', async (t) => {
  const { clock, queue, popNow } = setup(t);
  queue.addOrUpdate(newPodInfo(makePod('p')));
  const q = (await popNow())!;
  queue.addUnschedulable(q, new Set(['NodeResourcesFit']));
  assert.deepEqual(queue.length, { active: 0, backoff: 0, unschedulable: 1 });
  queue.onEvent({ label: 'NodeUpdate', plugins: new Set(['TaintToleration']) });
  assert.deepEqual(queue.length, { active: 0, backoff: 0, unschedulable: 1 }, 'a taint change cannot fix missing cpu');
  await clock.advance(60_000);
  assert.equal(await popNow(), undefined, 'no periodic retry before five minutes');
  queue.onEvent({ label: 'AssignedPodDelete', plugins: new Set(['NodeResourcesFit', 'NodePorts']) });
  assert.equal((await popNow())?.podInfo.key, 'default/p', 'the back-off (1 s) is long over');

  const again = queue.length;
  assert.deepEqual(again, { active: 0, backoff: 0, unschedulable: 0 });
});

test('an event that arrives while the pod is being scheduled sends it to back-off, not to wait', async (t) => {
  const { clock, queue, popNow } = setup(t);
  queue.addOrUpdate(newPodInfo(makePod('p')));
  const q = (await popNow())!;
  queue.onEvent({ label: 'NodeAdd', plugins: '*' });
  queue.addUnschedulable(q, new Set(['NodeResourcesFit']));
  assert.deepEqual(queue.length, { active: 0, backoff: 1, unschedulable: 0 });
  await clock.advance(500);
  assert.equal(await popNow(), undefined, 'still backing off');
  await clock.advance(1000);
  assert.equal((await popNow())?.attempts, 2);
});

test('unschedulable pods are retried after five minutes without events; an update to the pod moves it at once', async (t) => {
  const { clock, queue, popNow } = setup(t);
  queue.addOrUpdate(newPodInfo(makePod('a')));
  queue.addOrUpdate(newPodInfo(makePod('b')));
  queue.addUnschedulable((await popNow())!, new Set(['TaintToleration']));
  queue.addUnschedulable((await popNow())!, new Set(['TaintToleration']));
  await clock.advance(2000);
  queue.addOrUpdate(newPodInfo(makePod('b', { tolerations: [{ operator: 'Exists' }] })), true);
  assert.equal((await popNow())?.podInfo.key, 'default/b');
  queue.addOrUpdate(newPodInfo(makePod('a')), false);
  assert.equal(await popNow(), undefined, 'a status-only update changes nothing');
  await clock.advance(5 * 60_000 + 30_000);
  assert.equal((await popNow())?.podInfo.key, 'default/a');
});

test('deleted pods leave every part of the queue', async (t) => {
  const { queue, popNow } = setup(t);
  queue.addOrUpdate(newPodInfo(makePod('a')));
  queue.addOrUpdate(newPodInfo(makePod('b')));
  queue.delete('default/a');
  assert.equal((await popNow())?.podInfo.key, 'default/b');
  assert.equal(await popNow(), undefined);
  assert.equal(queue.has('default/a'), false);
});
