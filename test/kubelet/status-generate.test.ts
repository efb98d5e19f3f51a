import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, PodStatus } from '../../src/api/types.js';
import type { PodSandboxStatus, RuntimeContainer } from '../../src/runtime/types.js';
import { generatePodStatus, type GeneratePodStatusInput, type StartFailure } from '../../src/kubelet/status/generate.js';
import { ANNOTATION_RESTART_COUNT } from '../../src/kubelet/types.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function makePod(spec: Partial<Pod['spec']> & { containers?: Container[] }, meta: Partial<Pod['metadata']> = {}, status?: PodStatus): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', ...meta },
    spec: { restartPolicy: 'Always', ...spec, containers: spec.containers ?? [{ name: 'main', image: 'nginx' }] },
    status: status ?? { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

function sandbox(over: Partial<PodSandboxStatus> = {}): PodSandboxStatus {
  return {
    id: 'sb1', podUid: 'uid-1', name: 'web', namespace: 'default', attempt: 0, state: 'READY', createdAt: T0,
    ip: '10.0.0.5', additionalIps: [], hostNetwork: false, labels: {}, annotations: {}, ...over,
  };
}

let seq = 0;
function instance(name: string, over: Partial<RuntimeContainer> = {}, restartCount = 0): RuntimeContainer {
  seq++;
  return {
    id: `c${seq}`, sandboxId: 'sb1', name, attempt: restartCount, state: 'RUNNING', createdAt: T0 + seq, startedAt: T0 + seq,
    image: 'docker.io/library/nginx:latest', imageRef: 'sha256:abc', logPath: '/logs', labels: {},
    annotations: { [ANNOTATION_RESTART_COUNT]: String(restartCount) }, ...over,
  };
}

/** A probe provider with no probes: started when running, ready when started. */
const noProbes = {
  updatePodStatus(pod: Pod, status: PodStatus) {
    for (const s of status.containerStatuses ?? []) {
      s.started = Boolean(s.state?.running);
      s.ready = s.started;
    }
    const inits = pod.spec.initContainers ?? [];
    for (const s of status.initContainerStatuses ?? []) {
      s.started = Boolean(s.state?.running);
      const sidecar = inits.find((c) => c.name === s.name)?.restartPolicy === 'Always';
      s.ready = sidecar ? s.started : s.state?.terminated?.exitCode === 0;
    }
  },
};

function generate(pod: Pod, containers: RuntimeContainer[], over: Partial<GeneratePodStatusInput> = {}): PodStatus {
  return generatePodStatus({
    pod,
    snapshot: { podUid: 'uid-1', sandboxes: [sandbox()], containers, timestamp: T0 },
    previous: undefined,
    startFailures: new Map(),
    probes: noProbes,
    hostIPs: ['192.168.1.10'],
    podIsTerminal: false,
    now: T0 + 1000,
    runtimeName: 'containerd',
    ...over,
  });
}

const cond = (s: PodStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe('container statuses', () => {
  test('§3.2 §3.3 default waiting reason is ContainerCreating without init containers', () => {
    const s = generate(makePod({}), []);
    assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
    assert.equal(s.containerStatuses?.[0]?.image, 'nginx');
    assert.equal(s.containerStatuses?.[0]?.imageID, '');
    assert.deepEqual(s.containerStatuses?.[0]?.lastState, {});
  });

  test('§3.2 §3.3 default waiting reason is PodInitializing for every container when init containers exist', () => {
    const s = generate(makePod({ initContainers: [{ name: 'init', image: 'busybox' }] }), []);
    assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
    assert.deepEqual(s.initContainerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  });

  test('§3.1 §3.2 running instance: running state, containerID with runtime prefix, image from runtime', () => {
    const c = instance('main');
    const s = generate(makePod({}), [c]);
    const st = s.containerStatuses![0]!;
    assert.deepEqual(st.state, { running: { startedAt: new Date(Math.floor(c.startedAt! / 1000) * 1000).toISOString().replace('.000Z', 'Z') } });
    assert.equal(st.containerID, `containerd://${c.id}`);
    assert.equal(st.image, 'docker.io/library/nginx:latest');
    assert.equal(st.imageID, 'sha256:abc');
    assert.equal(st.ready, true);
    assert.equal(st.started, true);
  });

  test('§3.2 created instance: empty waiting', () => {
    const s = generate(makePod({}), [instance('main', { state: 'CREATED', startedAt: undefined })]);
    assert.deepEqual(s.containerStatuses![0]!.state, { waiting: {} });
  });

  test('§3.2 §3.5 lastState comes from the second newest instance and restartCount from the annotation', () => {
    const old = instance('main', { state: 'EXITED', exitCode: 2, reason: 'Error', finishedAt: T0 + 5000 }, 0);
    const newer = instance('main', {}, 1);
    const oldest = instance('main', { state: 'EXITED', exitCode: 9, createdAt: T0 - 100 }, 0);
    const s = generate(makePod({}), [oldest, old, newer]);
    const st = s.containerStatuses![0]!;
    assert.ok(st.state?.running);
    assert.equal(st.restartCount, 1);
    assert.equal(st.lastState?.terminated?.exitCode, 2);
    assert.equal(st.lastState?.terminated?.reason, 'Error');
    assert.equal(st.lastState?.terminated?.containerID, `containerd://${old.id}`);
  });

  test('§3.1 containerStatuses sorted by name, initContainerStatuses in spec order', () => {
    const pod = makePod({
      containers: [{ name: 'zeta', image: 'x' }, { name: 'alpha', image: 'x' }],
      initContainers: [{ name: 'z-init', image: 'x' }, { name: 'a-init', image: 'x' }],
    });
    const s = generate(pod, []);
    assert.deepEqual(s.containerStatuses!.map((c) => c.name), ['alpha', 'zeta']);
    assert.deepEqual(s.initContainerStatuses!.map((c) => c.name), ['z-init', 'a-init']);
  });

  test('§3.2 unknown runtime state after running: terminated ContainerStatusUnknown 137, restartCount+1', () => {
    const c = instance('main', { state: 'UNKNOWN' }, 3);
    const previous: PodStatus = { containerStatuses: [{ name: 'main', ready: true, restartCount: 3, image: 'nginx', imageID: '', state: { running: {} } }] };
    const s = generate(makePod({}), [c], { previous });
    assert.deepEqual(s.containerStatuses![0]!.state, {
      terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', startedAt: null, finishedAt: null },
    });
    assert.equal(s.containerStatuses![0]!.restartCount, 4);
  });

  test('§3.2 unknown runtime state otherwise: empty waiting', () => {
    const s = generate(makePod({}), [instance('main', { state: 'UNKNOWN' })]);
    assert.deepEqual(s.containerStatuses![0]!.state, { waiting: {} });
  });

  test('§3.2 container vanished while previously running: lastState ContainerStatusUnknown and one more restart', () => {
    const previous: PodStatus = { containerStatuses: [{ name: 'main', ready: true, restartCount: 2, image: 'nginx', imageID: '', state: { running: {} } }] };
    const s = generate(makePod({}), [], { previous });
    const st = s.containerStatuses![0]!;
    assert.deepEqual(st.state, { waiting: { reason: 'ContainerCreating' } });
    assert.deepEqual(st.lastState, {
      terminated: {
        exitCode: 137, reason: 'ContainerStatusUnknown',
        message: 'The container could not be located when the pod was deleted.  The container used to be Running',
        startedAt: null, finishedAt: null,
      },
    });
    assert.equal(st.restartCount, 3);
  });

  test('§3.2 vanished while running on a deleted pod: no extra restart', () => {
    const previous: PodStatus = { containerStatuses: [{ name: 'main', ready: true, restartCount: 2, image: 'nginx', imageID: '', state: { running: {} } }] };
    const s = generate(makePod({}, { deletionTimestamp: '2026-01-01T12:00:30Z' }), [], { previous });
    assert.equal(s.containerStatuses![0]!.restartCount, 2);
    assert.equal(s.containerStatuses![0]!.lastState?.terminated?.reason, 'ContainerStatusUnknown');
  });

  test('§3.2 a previous terminated status is carried whole when the runtime forgot the container', () => {
    const term = { exitCode: 0, reason: 'Completed', startedAt: '2026-01-01T11:00:00Z', finishedAt: '2026-01-01T11:00:05Z' };
    const previous: PodStatus = { containerStatuses: [{ name: 'main', ready: false, restartCount: 0, image: 'nginx', imageID: 'sha256:x', containerID: 'containerd://gone', state: { terminated: term } }] };
    const s = generate(makePod({ restartPolicy: 'Never' }), [], { previous });
    assert.deepEqual(s.containerStatuses![0]!.state, { terminated: term });
    assert.equal(s.containerStatuses![0]!.containerID, 'containerd://gone');
  });

  test('§3.2 will-restart override: CrashLoopBackOff waiting, terminated moves to lastState', () => {
    const dead = instance('main', { state: 'EXITED', exitCode: 1, reason: 'Error', finishedAt: T0 + 10 }, 2);
    const failures = new Map<string, StartFailure>([['main', { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=main pod=web_default(uid-1)' }]]);
    const s = generate(makePod({}), [dead], { startFailures: failures });
    const st = s.containerStatuses![0]!;
    assert.deepEqual(st.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=main pod=web_default(uid-1)' } });
    assert.equal(st.lastState?.terminated?.exitCode, 1);
    assert.equal(st.restartCount, 2);
    assert.equal(s.phase, 'Running');
  });

  test('§3.2 no override when the container will not restart (Never) or for init containers that exited 0', () => {
    const failures = new Map<string, StartFailure>([
      ['main', { reason: 'CrashLoopBackOff', message: 'm' }],
      ['init', { reason: 'CrashLoopBackOff', message: 'm' }],
    ]);
    const never = generate(makePod({ restartPolicy: 'Never' }), [instance('main', { state: 'EXITED', exitCode: 1 })], { startFailures: failures });
    assert.equal(never.containerStatuses![0]!.state?.terminated?.exitCode, 1);
    const withInit = generate(makePod({ initContainers: [{ name: 'init', image: 'x' }] }), [instance('init', { state: 'EXITED', exitCode: 0 })], { startFailures: failures });
    assert.equal(withInit.initContainerStatuses![0]!.state?.terminated?.exitCode, 0);
  });

  test('§3.2 §3.3 a start failure before any instance shows as waiting with that reason', () => {
    const failures = new Map<string, StartFailure>([['main', { reason: 'CreateContainerConfigError', message: 'secret "x" not found' }]]);
    const s = generate(makePod({}), [], { startFailures: failures });
    assert.deepEqual(s.containerStatuses![0]!.state, { waiting: { reason: 'CreateContainerConfigError', message: 'secret "x" not found' } });
    assert.equal(s.phase, 'Pending');
  });

  test('§3.1 volume mounts are reported, read-only ones with recursiveReadOnly Disabled', () => {
    const pod = makePod({ containers: [{ name: 'main', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/cfg', readOnly: true }] }] });
    const s = generate(pod, []);
    assert.deepEqual(s.containerStatuses![0]!.volumeMounts, [
      { name: 'data', mountPath: '/data' },
      { name: 'cfg', mountPath: '/cfg', readOnly: true, recursiveReadOnly: 'Disabled' },
    ]);
  });
});

describe('§2 conditions', () => {
  test('order and a ready pod', () => {
    const s = generate(makePod({}), [instance('main')]);
    assert.deepEqual(s.conditions!.map((c) => [c.type, c.status]), [
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
  });

  test('unready containers listed Go-style', () => {
    const pod = makePod({ containers: [{ name: 'b', image: 'x' }, { name: 'a', image: 'x' }, { name: 'c', image: 'x' }] });
    const s = generate(pod, [instance('c')]);
    assert.deepEqual(cond(s, 'ContainersReady'), { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b a]' });
    assert.deepEqual(cond(s, 'Ready'), { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b a]' });
  });

  test('incomplete init containers', () => {
    const pod = makePod({ initContainers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] });
    const s = generate(pod, [instance('a')]);
    assert.deepEqual(cond(s, 'Initialized'), { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [a b]' });
  });

  test('initialized once a regular container ran, even while a sidecar restarts', () => {
    const pod = makePod({ initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always' }] });
    const s = generate(pod, [instance('side', { state: 'EXITED', exitCode: 1 }), instance('main')]);
    assert.equal(cond(s, 'Initialized')?.status, 'True');
    assert.deepEqual(cond(s, 'ContainersReady'), { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [side]' });
  });

  test('readiness gates', () => {
    const gated = (conditions: PodStatus['conditions']) =>
      makePod({ readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] }, {}, { phase: 'Running', conditions });
    const missing = generate(gated([]), [instance('main')]);
    assert.deepEqual(cond(missing, 'Ready'), {
      type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady',
      message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist., corresponding condition of pod readiness gate "example.com/dns" does not exist.',
    });
    const half = generate(gated([{ type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'False' }]), [instance('main')]);
    assert.equal(cond(half, 'Ready')?.message, 'the status of pod readiness gate "example.com/dns" is not "True", but False');
    assert.equal(half.conditions![0]!.type, 'example.com/lb');
    const all = generate(gated([{ type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'True' }]), [instance('main')]);
    assert.equal(cond(all, 'Ready')?.status, 'True');
  });

  test('Succeeded: PodCompleted reasons', () => {
    const pod = makePod({ restartPolicy: 'Never' });
    const s = generate(pod, [instance('main', { state: 'EXITED', exitCode: 0, reason: 'Completed' })]);
    assert.equal(s.phase, 'Succeeded');
    assert.deepEqual(cond(s, 'ContainersReady'), { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' });
    assert.deepEqual(cond(s, 'Ready'), { type: 'Ready', status: 'False', reason: 'PodCompleted' });
    assert.deepEqual(cond(s, 'Initialized'), { type: 'Initialized', status: 'True', reason: 'PodCompleted' });
  });

  test('Failed: PodFailed reasons', () => {
    const s = generate(makePod({ restartPolicy: 'Never' }), [instance('main', { state: 'EXITED', exitCode: 1 })]);
    assert.equal(s.phase, 'Failed');
    assert.deepEqual(cond(s, 'ContainersReady'), { type: 'ContainersReady', status: 'False', reason: 'PodFailed' });
    assert.deepEqual(cond(s, 'Ready'), { type: 'Ready', status: 'False', reason: 'PodFailed' });
  });

  test('PodReadyToStartContainers False without a ready sandbox, with two ready ones, or without IP', () => {
    const check = (sandboxes: PodSandboxStatus[]) =>
      cond(generatePodStatus({ pod: makePod({}), snapshot: { podUid: 'uid-1', sandboxes, containers: [], timestamp: T0 }, previous: undefined, startFailures: new Map(), probes: noProbes, hostIPs: [], podIsTerminal: false, now: T0 }), 'PodReadyToStartContainers');
    assert.deepEqual(check([]), { type: 'PodReadyToStartContainers', status: 'False' });
    assert.equal(check([sandbox({ state: 'NOTREADY' })])?.status, 'False');
    assert.equal(check([sandbox(), sandbox({ id: 'sb0' })])?.status, 'False');
    assert.equal(check([sandbox({ ip: undefined })])?.status, 'False');
    assert.equal(check([sandbox(), sandbox({ id: 'sb0', state: 'NOTREADY' })])?.status, 'True');
  });

  test('foreign conditions are kept first, kubelet ones replaced; DisruptionTarget comes from the cache', () => {
    const pod = makePod({}, {}, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }, { type: 'custom', status: 'True' }] });
    const previous: PodStatus = { phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet' }] };
    const s = generate(pod, [instance('main')], { previous });
    assert.deepEqual(s.conditions!.map((c) => c.type), ['custom', 'DisruptionTarget', 'PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
  });
});

describe('phase post-processing, IPs and times', () => {
  test('§1.3 a terminal cached phase is kept even if the new one is not', () => {
    const s = generate(makePod({}), [instance('main')], { previous: { phase: 'Failed', reason: 'DeadlineExceeded', message: 'm' } });
    assert.equal(s.phase, 'Failed');
    assert.equal(s.reason, 'DeadlineExceeded');
    assert.equal(s.message, 'm');
  });

  test('§1.3 reason and message are dropped when the phase changes', () => {
    const s = generate(makePod({}), [instance('main')], { previous: { phase: 'Pending', reason: 'X', message: 'y' } });
    assert.equal(s.phase, 'Running');
    assert.equal(s.reason, undefined);
  });

  test('§1.3 eviction makes the pod Failed with its reason', () => {
    const s = generate(makePod({}), [instance('main')], { eviction: { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' } });
    assert.equal(s.phase, 'Failed');
    assert.equal(s.reason, 'DeadlineExceeded');
  });

  test('pod IPs from the newest ready sandbox, node family first, one per family', () => {
    const s = generatePodStatus({
      pod: makePod({}), previous: undefined, startFailures: new Map(), probes: noProbes, podIsTerminal: false, now: T0,
      hostIPs: ['192.168.1.10'],
      snapshot: { podUid: 'uid-1', sandboxes: [sandbox({ ip: 'fd00::5', additionalIps: ['10.0.0.9', '10.0.0.10'] })], containers: [], timestamp: T0 },
    });
    assert.equal(s.podIP, '10.0.0.9');
    assert.deepEqual(s.podIPs, [{ ip: '10.0.0.9' }, { ip: 'fd00::5' }]);
    assert.equal(s.hostIP, '192.168.1.10');
    assert.deepEqual(s.hostIPs, [{ ip: '192.168.1.10' }]);
  });

  test('§2 no pod IP when the newest sandbox is not ready; host IPs for hostNetwork pods', () => {
    const none = generate(makePod({}), [], { snapshot: { podUid: 'uid-1', sandboxes: [sandbox({ state: 'NOTREADY' })], containers: [], timestamp: T0 } });
    assert.equal(none.podIP, undefined);
    const host = generate(makePod({ hostNetwork: true }), [], { snapshot: { podUid: 'uid-1', sandboxes: [sandbox({ ip: undefined, hostNetwork: true })], containers: [], timestamp: T0 } });
    assert.equal(host.podIP, '192.168.1.10');
    assert.equal(cond(host, 'PodReadyToStartContainers')?.status, 'True');
  });

  test('startTime is set once and kept; qosClass kept', () => {
    const first = generate(makePod({}), []);
    assert.equal(first.startTime, '2026-01-01T12:00:01Z');
    assert.equal(first.qosClass, 'BestEffort');
    const later = generate(makePod({}), [], { previous: first, now: T0 + 60_000 });
    assert.equal(later.startTime, '2026-01-01T12:00:01Z');
  });
});
