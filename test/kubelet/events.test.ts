import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/util/clock.js';
import { KubeletEventRecorder } from '../../src/kubelet/events.js';
import type { ObjectReference } from '../../src/api/types.js';
import { MemoryEvents } from './harness.js';

const pod: ObjectReference = { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u1', apiVersion: 'v1' };
const container: ObjectReference = { ...pod, fieldPath: 'spec.containers{web}' };

function setup() {
  const clock = new FakeClock();
  const sink = new MemoryEvents();
  const recorder = new KubeletEventRecorder({ sink, clock, component: 'kubelet', host: 'node-1' });
  return { clock, sink, recorder };
}

describe('§9.1 event recorder', () => {
  test('creates a core/v1 Event with the kubelet as source', async () => {
    const { sink, recorder, clock } = setup();
    recorder.event(container, 'Normal', 'Started', 'Started container web');
    await recorder.flush();
    const [e] = sink.events;
    assert.equal(e!.metadata.namespace, 'default');
    assert.match(e!.metadata.name!, /^web\.[0-9a-f]+$/);
    assert.deepEqual(e!.source, { component: 'kubelet', host: 'node-1' });
    assert.deepEqual(e!.involvedObject, container);
    assert.equal(e!.count, 1);
    assert.equal(e!.firstTimestamp, new Date(clock.now()).toISOString().replace('.000Z', 'Z'));
    assert.equal(e!.lastTimestamp, e!.firstTimestamp);
  });

  test('an identical event updates count and lastTimestamp of the first', async () => {
    const { sink, recorder, clock } = setup();
    recorder.event(container, 'Warning', 'Unhealthy', 'Liveness probe failed: HTTP probe failed with statuscode: 500');
    await clock.advance(3000);
    recorder.event(container, 'Warning', 'Unhealthy', 'Liveness probe failed: HTTP probe failed with statuscode: 500');
    await clock.advance(3000);
    recorder.event(container, 'Warning', 'Unhealthy', 'Liveness probe failed: HTTP probe failed with statuscode: 500');
    await recorder.flush();
    assert.equal(sink.events.length, 1);
    assert.equal(sink.updates.length, 2);
    const e = sink.events[0]!;
    assert.equal(e.count, 3);
    assert.notEqual(e.lastTimestamp, e.firstTimestamp);
    assert.equal(Date.parse(e.lastTimestamp!) - Date.parse(e.firstTimestamp!), 6000);
  });

  test('different field paths are different events', async () => {
    const { sink, recorder } = setup();
    recorder.event(container, 'Normal', 'Pulled', 'x');
    recorder.event({ ...pod, fieldPath: 'spec.containers{other}' }, 'Normal', 'Pulled', 'x');
    await recorder.flush();
    assert.equal(sink.events.length, 2);
  });

  test('the tenth distinct message with the same reason is combined into one aggregate event', async () => {
    const { sink, recorder } = setup();
    for (let i = 0; i < 12; i++) recorder.event(pod, 'Warning', 'FailedMount', `volume ${i} failed`);
    await recorder.flush();
    assert.equal(sink.events.length, 10);
    const aggregate = sink.events[9]!;
    assert.equal(aggregate.message, '(combined from similar events): volume 11 failed');
    assert.equal(aggregate.count, 3);
  });

  test('more than 25 events about one object are dropped until tokens refill (1 per 5 minutes)', async () => {
    const { sink, recorder, clock } = setup();
    for (let i = 0; i < 30; i++) recorder.event(pod, 'Normal', `Reason${i}`, 'm');
    await recorder.flush();
    assert.equal(sink.events.length, 25);
    await clock.advance(300_000);
    recorder.event(pod, 'Normal', 'Late', 'm');
    recorder.event(pod, 'Normal', 'TooLate', 'm');
    await recorder.flush();
    assert.deepEqual(sink.events.slice(25).map((e) => e.reason), ['Late']);
  });
});
