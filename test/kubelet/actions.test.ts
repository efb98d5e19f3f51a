import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { computePodActions, shouldContainerBeRestarted } from '../../src/kubelet/actions.js';
import type { Pod } from '../../src/api/types.js';
import type { PodSandboxStatus, RuntimeContainer } from '../../src/runtime/types.js';
import type { PodRuntimeSnapshot } from '../../src/kubelet/types.js';
import { containerHash } from '../../src/kubelet/pod-util.js';
import { makePod } from './harness.js';

let t = 0;
function sandbox(state: 'READY' | 'NOTREADY' = 'READY', attempt = 0): PodSandboxStatus {
  return { id: `s${++t}`, podUid: 'u', name: 'p', namespace: 'd', attempt, state, createdAt: ++t, ip: '10.0.0.1', additionalIps: [], hostNetwork: false, labels: {}, annotations: {} };
}
function instance(pod: Pod, name: string, state: RuntimeContainer['state'], exitCode?: number, extra: Partial<RuntimeContainer> = {}): RuntimeContainer {
  const spec = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === name)!;
  return {
    id: `${name}-${++t}`, sandboxId: 's', name, attempt: 0, state, createdAt: ++t, image: spec.image!, imageRef: 'sha256:x', logPath: '',
    labels: { 'io.kubernetes.container.name': name }, annotations: { 'io.kubernetes.container.hash': containerHash(spec) },
    ...(exitCode !== undefined ? { exitCode, finishedAt: t } : {}), ...extra,
  };
}
function snap(sandboxes: PodSandboxStatus[], containers: RuntimeContainer[]): PodRuntimeSnapshot {
  return { podUid: 'u', sandboxes: [...sandboxes].reverse(), containers: [...containers].reverse(), timestamp: 0 };
}
const noProbes = () => undefined;

const withInit = makePod('p', {
  initContainers: [{ name: 'i1', image: 'a' }, { name: 'i2', image: 'a' }],
  containers: [{ name: 'm1', image: 'a' }, { name: 'm2', image: 'a' }],
});

describe('computePodActions', () => {
  test('§4.1 no sandbox: create one and start the first init container only', () => {
    const a = computePodActions(withInit, snap([], []), noProbes);
    assert.deepEqual([a.createSandbox, a.killPod, a.initContainersToStart, a.containersToStart], [true, true, [0], []]);
  });

  test('§4.1 init containers go one at a time; mains start in spec order once the last one succeeded', () => {
    const s = sandbox();
    assert.deepEqual(computePodActions(withInit, snap([s], [instance(withInit, 'i1', 'RUNNING')]), noProbes).initContainersToStart, []);
    assert.deepEqual(computePodActions(withInit, snap([s], [instance(withInit, 'i1', 'EXITED', 0)]), noProbes).initContainersToStart, [1]);
    const done = computePodActions(withInit, snap([s], [instance(withInit, 'i1', 'EXITED', 0), instance(withInit, 'i2', 'EXITED', 0)]), noProbes);
    assert.deepEqual([done.initContainersToStart, done.containersToStart], [[], [0, 1]]);
  });

  test('§4.1 §4.2 a failed init container is retried, or under Never the pod is killed', () => {
    const s = sandbox();
    const failed = [instance(withInit, 'i1', 'EXITED', 1)];
    assert.deepEqual(computePodActions(withInit, snap([s], failed), noProbes).initContainersToStart, [0]);
    const never = { ...withInit, spec: { ...withInit.spec, restartPolicy: 'Never' as const } };
    const a = computePodActions(never, snap([s], failed), noProbes);
    assert.deepEqual([a.killPod, a.initContainersToStart], [true, []]);
  });

  test('§6.3 §5.2 a running container failing liveness is killed and restarted; under Never only killed', () => {
    const s = sandbox();
    const pod = makePod('p', { containers: [{ name: 'm', image: 'a' }] });
    const m = instance(pod, 'm', 'RUNNING');
    const liveness = (id: string, kind: string) => (id === m.id && kind === 'liveness' ? ('failure' as const) : undefined);
    const a = computePodActions(pod, snap([s], [m]), liveness);
    assert.deepEqual(a.containersToKill.map((k) => [k.message, k.reason]), [['Container m failed liveness probe, will be restarted', 'liveness']]);
    assert.deepEqual(a.containersToStart, [0]);
    const never = { ...pod, spec: { ...pod.spec, restartPolicy: 'Never' as const } };
    const b = computePodActions(never, snap([s], [m]), liveness);
    assert.deepEqual([b.containersToKill[0]!.message, b.containersToStart, b.killPod], ['Container m failed liveness probe', [], true]);
  });

  test('§5.2 an image change restarts the container regardless of restart policy', () => {
    const s = sandbox();
    const pod = makePod('p', { restartPolicy: 'Never', containers: [{ name: 'm', image: 'a' }] });
    const m = instance(pod, 'm', 'RUNNING');
    const changed = { ...pod, spec: { ...pod.spec, containers: [{ name: 'm', image: 'b' }] } };
    const a = computePodActions(changed, snap([s], [m]), noProbes);
    assert.deepEqual([a.containersToKill[0]!.message, a.containersToStart], ['Container m definition changed, will be restarted', [0]]);
  });

  test('§4.3 a not-ready sandbox is replaced with the next attempt, unless a Never pod already ran', () => {
    const pod = makePod('p', { containers: [{ name: 'm', image: 'a' }] });
    const dead = sandbox('NOTREADY', 2);
    const a = computePodActions(pod, snap([dead], [instance(pod, 'm', 'EXITED', 137)]), noProbes);
    assert.deepEqual([a.createSandbox, a.attempt, a.sandboxId, a.containersToStart], [true, 3, dead.id, [0]]);
    const never = { ...pod, spec: { ...pod.spec, restartPolicy: 'Never' as const } };
    assert.equal(computePodActions(never, snap([dead], [instance(pod, 'm', 'EXITED', 0)]), noProbes).createSandbox, false);
  });

  test('§4.1 §4.5 sidecars: the next init container waits for a started sidecar; mains done ⇒ kill the pod', () => {
    const pod = makePod('p', {
      restartPolicy: 'OnFailure',
      initContainers: [{ name: 'side', image: 'a', restartPolicy: 'Always', startupProbe: { exec: { command: ['x'] } } }, { name: 'i2', image: 'a' }],
      containers: [{ name: 'm', image: 'a' }],
    });
    const s = sandbox();
    const side = instance(pod, 'side', 'RUNNING');
    assert.deepEqual(computePodActions(pod, snap([s], [side]), noProbes).initContainersToStart, []);
    const started = (id: string, kind: string) => (id === side.id && kind === 'startup' ? ('success' as const) : undefined);
    assert.deepEqual(computePodActions(pod, snap([s], [side]), started).initContainersToStart, [1]);
    const finished = computePodActions(pod, snap([s], [side, instance(pod, 'i2', 'EXITED', 0), instance(pod, 'm', 'EXITED', 0)]), started);
    assert.deepEqual([finished.killPod, finished.initContainersToStart, finished.containersToStart], [true, [], []]);
    const sideExited = computePodActions(pod, snap([s], [instance(pod, 'side', 'EXITED', 1), instance(pod, 'i2', 'EXITED', 0), instance(pod, 'm', 'RUNNING')]), started);
    assert.deepEqual(sideExited.initContainersToStart, [0]);
  });

  test('§5.2 ShouldContainerBeRestarted follows the restart policy and deletion', () => {
    const pod = makePod('p', { containers: [{ name: 'm', image: 'a' }] });
    const policy = (p: 'Always' | 'OnFailure' | 'Never') => ({ ...pod, spec: { ...pod.spec, restartPolicy: p } });
    const ok = instance(pod, 'm', 'EXITED', 0);
    const bad = instance(pod, 'm', 'EXITED', 1);
    assert.deepEqual(
      [policy('Always'), policy('OnFailure'), policy('Never')].map((p) => [shouldContainerBeRestarted(p, ok), shouldContainerBeRestarted(p, bad)]),
      [[true, true], [false, true], [false, false]],
    );
    assert.equal(shouldContainerBeRestarted(policy('Never'), undefined), true);
    assert.equal(shouldContainerBeRestarted({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: 'x' } }, bad), false);
  });
});
