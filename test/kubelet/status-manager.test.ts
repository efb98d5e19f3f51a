import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodCondition, PodStatus } from '../../src/api/types.js';
import { StatusManager } from '../../src/kubelet/status/manager.js';
import { isStatusEqualForKubelet, jsonEqual } from '../../src/kubelet/status/normalize.js';
import type { PodStatusWriter } from '../../src/kubelet/types.js';
import { FakeClock } from '../../src/util/clock.js';

class RecordingWriter implements PodStatusWriter {
  writes: PodStatus[] = [];
  deletes: string[] = [];
  failNext = 0;
  private rv = 100;

  async writeStatus(pod: Pod, status: PodStatus): Promise<Pod | undefined> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connection refused');
    }
    this.writes.push(status);
    this.rv = Math.max(this.rv, Number(pod.metadata.resourceVersion)) + 1;
    return { ...pod, metadata: { ...pod.metadata, resourceVersion: String(this.rv) }, status };
  }

  async deletePod(pod: Pod): Promise<void> {
    this.deletes.push(pod.metadata.uid!);
  }
}

function makePod(over: Partial<Pod['metadata']> = {}, restartPolicy: Pod['spec']['restartPolicy'] = 'Always'): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', resourceVersion: '1', ...over },
    spec: { restartPolicy, containers: [{ name: 'main', image: 'nginx' }] },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

function status(phase: PodStatus['phase'], ready: PodCondition['status'], state: 'running' | 'exited0' | 'exited1' = 'running', message?: string): PodStatus {
  const containerState =
    state === 'running'
      ? { running: { startedAt: '2026-01-01T00:00:00.123Z' } }
      : { terminated: { exitCode: state === 'exited0' ? 0 : 1, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:09.900Z' } };
  return {
    phase,
    qosClass: 'BestEffort',
    conditions: [
      { type: 'Ready', status: ready, ...(message ? { reason: 'ContainersNotReady', message } : {}) },
      { type: 'ContainersReady', status: ready },
      { type: 'PodScheduled', status: 'True' },
    ],
    containerStatuses: [{ name: 'main', ready: ready === 'True', restartCount: 0, image: 'nginx', imageID: '', state: containerState }],
  };
}

function setup(opts: { canBeDeleted?: boolean; running?: boolean } = {}) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 0));
  const writer = new RecordingWriter();
  const manager = new StatusManager({
    writer,
    clock,
    canBeDeleted: () => opts.canBeDeleted ?? true,
    ...(opts.running !== undefined ? { couldHaveRunningContainers: () => opts.running! } : {}),
  });
  manager.start();
  return { clock, writer, manager };
}

const readyOf = (s: PodStatus) => s.conditions!.find((c) => c.type === 'Ready')!;

describe('StatusManager', () => {
  test('§1.3 writes once per change, not for an unchanged status', async () => {
    const { writer, manager } = setup();
    const pod = makePod();
    manager.setPodStatus(pod, status('Running', 'False'));
    await manager.flush();
    manager.setPodStatus(pod, status('Running', 'False'));
    await manager.flush();
    assert.equal(writer.writes.length, 1);
    manager.setPodStatus(pod, status('Running', 'True'));
    await manager.flush();
    assert.equal(writer.writes.length, 2);
    await manager.stop();
  });

  test('knows the pod object its last write stored (the watch echoing it), and no other', async () => {
    const { manager } = setup();
    const pod = makePod();
    assert.equal(manager.isOwnWrite(pod), false);
    manager.setPodStatus(pod, status('Running', 'True'));
    await manager.flush();
    assert.equal(manager.isOwnWrite(makePod({ resourceVersion: '101' })), true);
    assert.equal(manager.isOwnWrite(makePod({ resourceVersion: '102' })), false);
    assert.equal(manager.isOwnWrite(pod), false);
    await manager.stop();
  });

  test('§2 normalises timestamps to whole seconds and sets startTime once', async () => {
    const { writer, manager, clock } = setup();
    manager.setPodStatus(makePod(), status('Running', 'True'));
    await manager.flush();
    const written = writer.writes[0]!;
    assert.equal(written.containerStatuses![0]!.state!.running!.startedAt, '2026-01-01T00:00:00Z');
    assert.equal(written.startTime, '2026-01-01T00:00:00Z');
    await clock.advance(5000);
    manager.setPodStatus(makePod(), status('Running', 'False'));
    await manager.flush();
    assert.equal(writer.writes[1]!.startTime, '2026-01-01T00:00:00Z');
    await manager.stop();
  });

  test('§2 lastTransitionTime changes only when the condition status flips', async () => {
    const { writer, manager, clock } = setup();
    const pod = makePod();
    manager.setPodStatus(pod, status('Running', 'False', 'running', 'containers with unready status: [main]'));
    await manager.flush();
    const t0 = readyOf(writer.writes[0]!).lastTransitionTime;
    assert.equal(t0, '2026-01-01T00:00:00Z');
    await clock.advance(3000);
    manager.setPodStatus(pod, status('Running', 'False', 'running', 'containers with unknown status: [main]'));
    await manager.flush();
    assert.equal(writer.writes.length, 2);
    assert.equal(readyOf(writer.writes[1]!).lastTransitionTime, t0);
    await clock.advance(4000);
    manager.setPodStatus(pod, status('Running', 'True'));
    await manager.flush();
    assert.equal(readyOf(writer.writes[2]!).lastTransitionTime, '2026-01-01T00:00:07Z');
    assert.equal(readyOf(writer.writes[2]!).lastProbeTime, null);
    await manager.stop();
  });

  test('§1.3 withholds a terminal phase while containers may run, then publishes it', async () => {
    let running = true;
    const clock = new FakeClock();
    const writer = new RecordingWriter();
    const manager = new StatusManager({ writer, clock, couldHaveRunningContainers: () => running });
    manager.start();
    const pod = makePod({}, 'Never');
    manager.setPodStatus(pod, status('Running', 'True'));
    await manager.flush();
    manager.setPodStatus(pod, status('Succeeded', 'True', 'exited0'));
    await manager.flush();
    const withheld = writer.writes[1]!;
    assert.equal(withheld.phase, 'Running');
    assert.equal(manager.getCachedStatus('uid-1')?.phase, 'Succeeded');
    running = false;
    await clock.advance(10_000);
    await manager.flush();
    const published = writer.writes[2]!;
    assert.equal(published.phase, 'Succeeded');
    assert.deepEqual(
      published.conditions!.filter((c) => c.type === 'Ready' || c.type === 'ContainersReady').map((c) => [c.type, c.status, c.reason]),
      [['Ready', 'False', 'PodCompleted'], ['ContainersReady', 'False', 'PodCompleted']],
    );
    await manager.stop();
  });

  test('§1.3 a terminated container may not come back under Never', async () => {
    const errors: unknown[] = [];
    const clock = new FakeClock();
    const writer = new RecordingWriter();
    const manager = new StatusManager({ writer, clock, onError: (_p, e) => errors.push(e) });
    manager.start();
    const pod = makePod({}, 'Never');
    manager.setPodStatus(pod, status('Failed', 'False', 'exited1'));
    await manager.flush();
    manager.setPodStatus(pod, status('Running', 'True'));
    await manager.flush();
    assert.equal(writer.writes.length, 1);
    assert.equal(manager.getCachedStatus('uid-1')?.phase, 'Failed');
    assert.match(String(errors[0]), /terminated container main attempted illegal transition to non-terminated state/);
    await manager.stop();
  });

  test('a failed write is retried at the next resync', async () => {
    const { writer, manager, clock } = setup();
    writer.failNext = 1;
    manager.setPodStatus(makePod(), status('Running', 'True'));
    await manager.flush();
    assert.equal(writer.writes.length, 0);
    await clock.advance(9_999);
    assert.equal(writer.writes.length, 0);
    await clock.advance(1);
    await manager.flush();
    assert.equal(writer.writes.length, 1);
    await manager.stop();
  });

  test('resync rewrites a status the API lost', async () => {
    const { writer, manager, clock } = setup();
    manager.setPodStatus(makePod(), status('Running', 'True'));
    await manager.flush();
    // Someone else overwrote the status; the agent learns of the pod at a newer version.
    manager.setPodStatus(makePod({ resourceVersion: '500' }), status('Running', 'True'));
    await manager.flush();
    assert.equal(writer.writes.length, 1);
    await clock.advance(10_000);
    await manager.flush();
    assert.equal(writer.writes.length, 2);
    await clock.advance(10_000);
    await manager.flush();
    assert.equal(writer.writes.length, 2);
    await manager.stop();
  });

  test('§1.3 §8.3 terminatePod: unknown containers become ContainerStatusUnknown, phase Failed, then the deleted pod is removed', async () => {
    const { writer, manager } = setup();
    const pod = makePod({ deletionTimestamp: '2026-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 });
    manager.setPodStatus(pod, status('Running', 'True'));
    await manager.flush();
    manager.terminatePod(pod);
    await manager.flush();
    const final = writer.writes.at(-1)!;
    assert.equal(final.phase, 'Failed');
    assert.deepEqual(final.containerStatuses![0]!.state, {
      terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', startedAt: null, finishedAt: null },
    });
    assert.deepEqual(writer.deletes, ['uid-1']);
    assert.equal(manager.getCachedStatus('uid-1'), undefined);
    await manager.stop();
  });

  test('§1.3 terminatePod keeps a real terminated state and a Succeeded phase', async () => {
    const { writer, manager } = setup();
    const pod = makePod({ deletionTimestamp: '2026-01-01T00:00:30Z' }, 'Never');
    manager.setPodStatus(pod, status('Succeeded', 'False', 'exited0'));
    manager.terminatePod(pod);
    await manager.flush();
    const final = writer.writes.at(-1)!;
    assert.equal(final.phase, 'Succeeded');
    assert.equal(final.containerStatuses![0]!.state!.terminated!.exitCode, 0);
    assert.deepEqual(writer.deletes, ['uid-1']);
    await manager.stop();
  });

  test('§8.3 no deletion before terminatePod, nor while canBeDeleted says no', async () => {
    const { writer, manager, clock } = setup({ canBeDeleted: false });
    const pod = makePod({ deletionTimestamp: '2026-01-01T00:00:30Z' }, 'Never');
    manager.setPodStatus(pod, status('Failed', 'False', 'exited1'));
    await manager.flush();
    assert.equal(writer.writes.at(-1)!.phase, 'Failed');
    assert.deepEqual(writer.deletes, []);
    manager.terminatePod(pod);
    await manager.flush();
    await clock.advance(10_000);
    await manager.flush();
    assert.deepEqual(writer.deletes, []);
    await manager.stop();
  });

  test('§1.3 init containers: all but the never-started suffix become ContainerStatusUnknown', async () => {
    const { writer, manager } = setup();
    const pod: Pod = {
      metadata: { name: 'web', namespace: 'default', uid: 'uid-1', resourceVersion: '1' },
      spec: { containers: [{ name: 'main', image: 'x' }], initContainers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }, { name: 'c', image: 'x' }] },
      status: { phase: 'Pending' },
    };
    const waiting = (name: string) => ({ name, ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'PodInitializing' } } });
    const s: PodStatus = {
      phase: 'Pending',
      initContainerStatuses: [
        { ...waiting('a'), state: { terminated: { exitCode: 0 } } },
        { ...waiting('b'), state: { running: {} } },
        waiting('c'),
      ],
      containerStatuses: [waiting('main')],
    };
    manager.setPodStatus(pod, s);
    manager.terminatePod(pod);
    await manager.flush();
    const final = writer.writes.at(-1)!;
    assert.deepEqual(final.initContainerStatuses!.map((c) => Object.keys(c.state!)[0]), ['terminated', 'terminated', 'waiting']);
    assert.equal(final.initContainerStatuses![1]!.state!.terminated!.reason, 'ContainerStatusUnknown');
    assert.deepEqual(final.containerStatuses![0]!.state, { waiting: { reason: 'PodInitializing' } });
    assert.equal(final.phase, 'Failed');
    await manager.stop();
  });

  test('§2 foreign conditions in the API survive a write', async () => {
    const { writer, manager } = setup();
    const pod = makePod();
    pod.status = { phase: 'Pending', conditions: [{ type: 'example.com/gate', status: 'True' }] };
    manager.setPodStatus(pod, status('Running', 'True'));
    await manager.flush();
    assert.deepEqual(writer.writes[0]!.conditions!.map((c) => c.type), ['example.com/gate', 'Ready', 'ContainersReady', 'PodScheduled']);
    await manager.stop();
  });
});

describe('status equality', () => {
  test('null, undefined and absent fields are equal; other differences are not', () => {
    assert.equal(jsonEqual({ a: 1, t: null }, { a: 1 }), true);
    assert.equal(jsonEqual({ a: 1 }, { a: 1, t: undefined }), true);
    assert.equal(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), true);
    assert.equal(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }), false);
    assert.equal(jsonEqual({ a: 1 }, { a: 1, b: 0 }), false);
  });

  test('§2 kubelet conditions compare by status, reason and message only', () => {
    const a: PodStatus = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] };
    const b: PodStatus = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:09Z' }] };
    assert.equal(isStatusEqualForKubelet(a, b), true);
    assert.equal(isStatusEqualForKubelet(a, { ...b, conditions: [{ type: 'Ready', status: 'False' }] }), false);
    assert.equal(isStatusEqualForKubelet(a, { ...b, phase: 'Failed' }), false);
  });
});
