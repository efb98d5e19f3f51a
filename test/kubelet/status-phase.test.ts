import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, ContainerStatus, Pod, RestartPolicy } from '../../src/api/types.js';
import { getPhase } from '../../src/kubelet/status/generate.js';

function pod(opts: { containers?: string[]; inits?: string[]; sidecars?: string[]; restartPolicy?: RestartPolicy; static?: boolean }): Pod {
  const inits: Container[] = [
    ...(opts.inits ?? []).map((name) => ({ name, image: 'busybox' })),
    ...(opts.sidecars ?? []).map((name) => ({ name, image: 'busybox', restartPolicy: 'Always' as const })),
  ];
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u1', ...(opts.static ? { annotations: { 'kubernetes.io/config.source': 'file' } } : {}) },
    spec: {
      restartPolicy: opts.restartPolicy ?? 'Always',
      containers: (opts.containers ?? ['main']).map((name) => ({ name, image: 'busybox' })),
      ...(inits.length ? { initContainers: inits } : {}),
    },
  };
}

const base = { ready: false, restartCount: 0, image: 'busybox', imageID: '' };
const running = (name: string, started = true): ContainerStatus => ({ ...base, name, state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, started });
const exited = (name: string, exitCode: number): ContainerStatus => ({ ...base, name, state: { terminated: { exitCode } } });
const waiting = (name: string, reason = 'ContainerCreating'): ContainerStatus => ({ ...base, name, state: { waiting: { reason } } });
const crashLooping = (name: string, lastExit: number): ContainerStatus => ({
  ...base,
  name,
  state: { waiting: { reason: 'CrashLoopBackOff' } },
  lastState: { terminated: { exitCode: lastExit } },
});
const stateless = (name: string): ContainerStatus => ({ ...base, name, state: {} });

describe('§1.2 getPhase', () => {
  test('no statuses at all: Pending', () => {
    assert.equal(getPhase(pod({}), [], [], false), 'Pending');
  });

  test('a running container: Running', () => {
    assert.equal(getPhase(pod({}), [], [running('main')], false), 'Running');
  });

  test('waiting without last state: Pending', () => {
    assert.equal(getPhase(pod({}), [], [waiting('main')], false), 'Pending');
  });

  test('CrashLoopBackOff under Always is Running (waiting with last state counts as stopped)', () => {
    assert.equal(getPhase(pod({}), [], [crashLooping('main', 1)], false), 'Running');
  });

  test('waiting with a last exit 0 is never counted as succeeded', () => {
    assert.equal(getPhase(pod({ restartPolicy: 'OnFailure' }), [], [crashLooping('main', 0)], false), 'Running');
    assert.equal(getPhase(pod({ restartPolicy: 'Never' }), [], [crashLooping('main', 0)], false), 'Failed');
  });

  test('all exited 0 under Always stays Running unless the pod is terminal', () => {
    const p = pod({ containers: ['a', 'b'] });
    assert.equal(getPhase(p, [], [exited('a', 0), exited('b', 0)], false), 'Running');
    assert.equal(getPhase(p, [], [exited('a', 0), exited('b', 0)], true), 'Succeeded');
    assert.equal(getPhase(p, [], [exited('a', 0), exited('b', 143)], true), 'Failed');
  });

  test('OnFailure: all succeeded → Succeeded, a failure → Running (restarting)', () => {
    const p = pod({ containers: ['a', 'b'], restartPolicy: 'OnFailure' });
    assert.equal(getPhase(p, [], [exited('a', 0), exited('b', 0)], false), 'Succeeded');
    assert.equal(getPhase(p, [], [exited('a', 0), exited('b', 1)], false), 'Running');
  });

  test('Never: a failure → Failed', () => {
    const p = pod({ containers: ['a', 'b'], restartPolicy: 'Never' });
    assert.equal(getPhase(p, [], [exited('a', 0), exited('b', 2)], false), 'Failed');
    assert.equal(getPhase(p, [], [exited('a', 0), exited('b', 0)], false), 'Succeeded');
  });

  test('one running and one stopped: Running', () => {
    assert.equal(getPhase(pod({ containers: ['a', 'b'] }), [], [running('a'), exited('b', 1)], false), 'Running');
  });

  test('a container without status makes it Pending', () => {
    assert.equal(getPhase(pod({ containers: ['a', 'b'] }), [], [running('a')], false), 'Pending');
  });

  test('a status with no state counts as unknown', () => {
    assert.equal(getPhase(pod({ containers: ['a', 'b'] }), [], [running('a'), stateless('b')], false), 'Pending');
  });

  test('static pods are not given a terminal phase when terminal', () => {
    assert.equal(getPhase(pod({ static: true }), [], [exited('main', 0)], true), 'Running');
  });

  describe('§1.2 regular init containers', () => {
    const p = (restartPolicy: RestartPolicy) => pod({ inits: ['init'], restartPolicy });

    test('running init: Pending', () => {
      assert.equal(getPhase(p('Always'), [running('init')], [waiting('main', 'PodInitializing')], false), 'Pending');
    });

    test('failed init under Always or OnFailure: Pending', () => {
      for (const policy of ['Always', 'OnFailure'] as const) {
        assert.equal(getPhase(p(policy), [exited('init', 1)], [waiting('main', 'PodInitializing')], false), 'Pending');
        assert.equal(getPhase(p(policy), [crashLooping('init', 1)], [waiting('main', 'PodInitializing')], false), 'Pending');
      }
    });

    test('failed init under Never: Failed at once', () => {
      assert.equal(getPhase(p('Never'), [exited('init', 1)], [waiting('main', 'PodInitializing')], false), 'Failed');
      assert.equal(getPhase(p('Never'), [crashLooping('init', 1)], [waiting('main', 'PodInitializing')], false), 'Failed');
    });

    test('completed init with main running: Running', () => {
      assert.equal(getPhase(p('Always'), [exited('init', 0)], [running('main')], false), 'Running');
    });

    test('init waiting after a success (restarting) counts as done', () => {
      assert.equal(getPhase(p('Always'), [crashLooping('init', 0)], [running('main')], false), 'Running');
    });

    test('init without status: Pending', () => {
      assert.equal(getPhase(p('Always'), [], [waiting('main', 'PodInitializing')], false), 'Pending');
    });
  });

  describe('§1.2 sidecars', () => {
    const p = (restartPolicy: RestartPolicy = 'Always') => pod({ sidecars: ['side'], restartPolicy });

    test('running but not started sidecar keeps the pod Pending before mains started', () => {
      assert.equal(getPhase(p(), [running('side', false)], [waiting('main', 'PodInitializing')], false), 'Pending');
    });

    test('started sidecar and running main: Running', () => {
      assert.equal(getPhase(p(), [running('side')], [running('main')], false), 'Running');
    });

    test('a restarting sidecar does not put an initialized pod back to Pending', () => {
      assert.equal(getPhase(p(), [running('side', false)], [running('main')], false), 'Running');
    });

    test('terminated sidecars are ignored: a Job pod whose main exited 0 Succeeds', () => {
      const job = pod({ sidecars: ['side'], restartPolicy: 'Never' });
      assert.equal(getPhase(job, [exited('side', 137)], [exited('main', 0)], false), 'Succeeded');
      assert.equal(getPhase(job, [exited('side', 143)], [exited('main', 0)], true), 'Succeeded');
      assert.equal(getPhase(job, [crashLooping('side', 1)], [exited('main', 0)], false), 'Succeeded');
    });

    test('sidecar without status counts as unknown', () => {
      assert.equal(getPhase(p(), [], [running('main')], false), 'Pending');
    });

    test('sidecar waiting without last state: Pending', () => {
      assert.equal(getPhase(p(), [waiting('side', 'PodInitializing')], [running('main')], false), 'Pending');
    });

    test('sidecar with an empty state: Pending', () => {
      assert.equal(getPhase(p(), [stateless('side')], [running('main')], false), 'Pending');
    });
  });
});
