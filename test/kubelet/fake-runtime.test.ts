import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/util/clock.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { RuntimeError, type ContainerConfig, type PodSandboxConfig } from '../../src/runtime/types.js';

const sandboxConfig: PodSandboxConfig = {
  podUid: 'u1', name: 'p', namespace: 'default', attempt: 0, hostname: 'p', logDirectory: '/nonexistent',
  portMappings: [], hostNetwork: false, hostPID: false, hostIPC: false, shareProcessNamespace: false,
  labels: { 'io.kubernetes.pod.uid': 'u1' }, annotations: {},
};

function containerConfig(name: string, extra: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    name, attempt: 0, image: 'img:1', command: [], args: [], env: [], mounts: [], logPath: `${name}/0.log`,
    stdin: false, stdinOnce: false, tty: false, labels: { 'io.kubernetes.container.name': name }, annotations: {}, ...extra,
  };
}

async function setup() {
  const clock = new FakeClock();
  const runtime = new FakeRuntime({ clock, images: ['img:1'], writeLogs: false });
  const sandbox = await runtime.runPodSandbox(sandboxConfig);
  return { clock, runtime, sandbox };
}

describe('fake runtime', () => {
  test('containers go CREATED → RUNNING → EXITED on their script', async () => {
    const { clock, runtime, sandbox } = await setup();
    runtime.behave({ name: 'job' }, { exitAfterMs: 5000, exitCode: 3 });
    const id = await runtime.createContainer(sandbox, containerConfig('job'), sandboxConfig);
    assert.equal((await runtime.containerStatus(id)).state, 'CREATED');
    await runtime.startContainer(id);
    assert.equal((await runtime.containerStatus(id)).state, 'RUNNING');
    await clock.advance(4999);
    assert.equal((await runtime.containerStatus(id)).state, 'RUNNING');
    await clock.advance(1);
    const s = await runtime.containerStatus(id);
    assert.deepEqual([s.state, s.exitCode, s.reason, s.finishedAt! - s.startedAt!], ['EXITED', 3, 'Error', 5000]);
  });

  test('stopContainer sends SIGTERM, then SIGKILL at the timeout when the process ignores it', async () => {
    const { clock, runtime, sandbox } = await setup();
    runtime.behave({ name: 'pid1' }, { onStopSignal: 'ignore' });
    const id = await runtime.createContainer(sandbox, containerConfig('pid1'), sandboxConfig);
    await runtime.startContainer(id);
    let done = false;
    const stopping = runtime.stopContainer(id, 10).then(() => (done = true));
    await clock.advance(9999);
    assert.equal(done, false);
    await clock.advance(1);
    await stopping;
    const s = await runtime.containerStatus(id);
    assert.deepEqual([s.state, s.exitCode], ['EXITED', 137]);
    assert.deepEqual(runtime.callsMatching(['signal']), ['signal pid1 SIGTERM@0', 'signal pid1 SIGKILL@10']);
  });

  test('a handled stop signal exits with 143 after the scripted delay; a custom stop signal is used', async () => {
    const { clock, runtime, sandbox } = await setup();
    runtime.behave({ name: 'nice' }, { onStopSignal: { afterMs: 2000 } });
    const id = await runtime.createContainer(sandbox, containerConfig('nice', { stopSignal: 'SIGQUIT' }), sandboxConfig);
    await runtime.startContainer(id);
    const stopping = runtime.stopContainer(id, 30);
    await clock.advance(2000);
    await stopping;
    assert.equal((await runtime.containerStatus(id)).exitCode, 143);
    assert.deepEqual(runtime.callsMatching(['signal']), ['signal nice SIGQUIT@0']);
  });

  test('start failures, OOM kills and stopPodSandbox', async () => {
    const { clock, runtime, sandbox } = await setup();
    runtime.behave({ name: 'bad' }, { failStart: 'no such file' });
    runtime.behave({ name: 'hog' }, { oomAfterMs: 100 });
    const bad = await runtime.createContainer(sandbox, containerConfig('bad'), sandboxConfig);
    await assert.rejects(runtime.startContainer(bad), (e: unknown) => e instanceof RuntimeError && e.code === 'StartFailed');
    const b = await runtime.containerStatus(bad);
    assert.deepEqual([b.state, b.exitCode, b.reason, b.message], ['EXITED', 128, 'StartError', 'no such file']);
    const hog = await runtime.createContainer(sandbox, containerConfig('hog'), sandboxConfig);
    await runtime.startContainer(hog);
    await clock.advance(100);
    assert.equal((await runtime.containerStatus(hog)).reason, 'OOMKilled');
    const other = await runtime.createContainer(sandbox, containerConfig('other'), sandboxConfig);
    await runtime.startContainer(other);
    await runtime.stopPodSandbox(sandbox);
    assert.equal((await runtime.containerStatus(other)).exitCode, 137);
    assert.equal((await runtime.podSandboxStatus(sandbox)).state, 'NOTREADY');
    await assert.rejects(runtime.createContainer(sandbox, containerConfig('late'), sandboxConfig));
  });

  test('execSync answers from scripts, with durations and timeouts in virtual time', async () => {
    const { clock, runtime, sandbox } = await setup();
    runtime.onExec('check', { exitCode: 1, stdout: 'not yet' });
    runtime.onExec('slow', { durationMs: 5000 });
    const id = await runtime.createContainer(sandbox, containerConfig('app'), sandboxConfig);
    await runtime.startContainer(id);
    const r = await runtime.execSync(id, ['sh', '-c', 'check'], 1);
    assert.deepEqual([r.exitCode, r.stdout.toString(), r.timedOut], [1, 'not yet', false]);
    const timed = runtime.execSync(id, ['slow'], 2);
    await clock.advance(2000);
    assert.equal((await timed).timedOut, true);
    const untimed = runtime.execSync(id, ['slow'], 0);
    await clock.advance(5000);
    assert.deepEqual([(await untimed).exitCode, (await untimed).timedOut], [0, false]);
  });

  test('ids are unique and listContainers filters by sandbox, state and labels', async () => {
    const { runtime, sandbox } = await setup();
    const a = await runtime.createContainer(sandbox, containerConfig('a'), sandboxConfig);
    const b = await runtime.createContainer(sandbox, containerConfig('b'), sandboxConfig);
    assert.notEqual(a, b);
    await runtime.startContainer(a);
    assert.deepEqual((await runtime.listContainers({ state: 'RUNNING' })).map((c) => c.name), ['a']);
    assert.deepEqual((await runtime.listContainers({ labels: { 'io.kubernetes.container.name': 'b' } })).map((c) => c.id), [b]);
    assert.equal((await runtime.listContainers({ sandboxId: 'nope' })).length, 0);
    runtime.exitContainer(a, 2);
    assert.deepEqual([(await runtime.containerStatus(a)).state, (await runtime.containerStatus(a)).exitCode, runtime.runningCount], ['EXITED', 2, 0]);
    await runtime.removePodSandbox(sandbox);
    assert.equal((await runtime.listContainers()).length, 0);
  });

  test('pulls add images; scripted pull failures fail', async () => {
    const { runtime } = await setup();
    assert.equal(await runtime.imageStatus('new:1'), undefined);
    await runtime.pullImage('new:1');
    assert.ok(await runtime.imageStatus('new:1'));
    runtime.failPull('secret:1', 'unauthorized');
    await assert.rejects(runtime.pullImage('secret:1'), /unauthorized/);
  });
});
