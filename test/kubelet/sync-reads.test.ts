import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import type { ContainerFilter, ImageInfo, PodSandboxConfig, PodSandboxFilter, PodSandboxStatus, Runtime, RuntimeContainer } from '../../src/runtime/types.js';
import { LABEL_POD_UID } from '../../src/kubelet/types.js';
import { RuntimeStateReader } from '../../src/kubelet/runtime-state.js';
import { terminationMessageFile } from '../../src/kubelet/container-config.js';
import { safeRemove } from '../../src/util/safe-remove.js';
import { createHarness, makePod, SteppingClock } from './harness.js';

/** A fake runtime that records its reads and creations, each call's start (`>`) and end (`<`), in order. */
class RecordingRuntime extends FakeRuntime {
  readonly trail: string[] = [];

  private async record<T>(name: string, call: () => Promise<T>): Promise<T> {
    this.trail.push(`>${name}`);
    try {
      return await call();
    } finally {
      this.trail.push(`<${name}`);
    }
  }

  /** The filter of each listing, in order (`{}` for none). */
  readonly sandboxFilters: PodSandboxFilter[] = [];
  readonly containerFilters: ContainerFilter[] = [];

  override listPodSandboxes(filter?: PodSandboxFilter): Promise<PodSandboxStatus[]> {
    this.sandboxFilters.push(filter ?? {});
    return this.record('listPodSandboxes', () => super.listPodSandboxes(filter));
  }
  override listContainers(filter?: ContainerFilter): Promise<RuntimeContainer[]> {
    this.containerFilters.push(filter ?? {});
    return this.record('listContainers', () => super.listContainers(filter));
  }
  override podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return this.record('podSandboxStatus', () => super.podSandboxStatus(id));
  }
  override containerStatus(id: string): Promise<RuntimeContainer> {
    return this.record('containerStatus', () => super.containerStatus(id));
  }
  override imageStatus(image: string): Promise<ImageInfo | undefined> {
    return this.record('imageStatus', () => super.imageStatus(image));
  }
  override runPodSandbox(config: PodSandboxConfig): Promise<string> {
    return this.record('runPodSandbox', () => super.runPodSandbox(config));
  }
  override startContainer(id: string): Promise<void> {
    return this.record('startContainer', () => super.startContainer(id));
  }

  /** Calls started, in order, without their ends. */
  starts(): string[] {
    return this.trail.filter((l) => l.startsWith('>')).map((l) => l.slice(1));
  }
}

const app = () => makePod('reads', { containers: [{ name: 'app', image: 'app:1' }] });

describe('what a sync reads of the runtime', () => {
  test("a new pod's first sync creates its sandbox without listing the runtime, and reports the start from the started container's status", async () => {
    const clock = new SteppingClock();
    const runtime = new RecordingRuntime({ clock, images: ['app:1'] });
    const h = await createHarness({ clock, runtime });
    try {
      assert.ok(runtime.starts().includes('listPodSandboxes'), 'the agent lists the runtime when it starts');
      runtime.trail.length = 0;
      const pod = h.add(app());
      await h.advance(0);
      assert.deepEqual(runtime.starts(), ['runPodSandbox', 'imageStatus', 'podSandboxStatus', 'startContainer', 'containerStatus']);
      const status = h.api.lastStatus(pod.metadata.uid!)!;
      assert.equal(status.phase, 'Running');
      assert.ok(status.containerStatuses![0]!.state!.running, 'running before any relist');
      const [sandbox] = await runtime.listPodSandboxes();
      assert.ok(sandbox?.ip);
      assert.equal(status.podIP, sandbox.ip);
    } finally {
      await h.close();
    }
  });

  test('the image is looked up while the new sandbox is asked for its address', async () => {
    const clock = new SteppingClock();
    const runtime = new RecordingRuntime({ clock, images: ['app:1'] });
    const h = await createHarness({ clock, runtime });
    try {
      runtime.trail.length = 0;
      h.add(app());
      await h.advance(0);
      const io = runtime.trail.filter((l) => /(image|podSandbox)Status$/.test(l));
      assert.deepEqual(io.slice(0, 2), ['>imageStatus', '>podSandboxStatus'], io.join(' '));
      assert.equal(runtime.starts().filter((c) => c === 'imageStatus').length, 1, 'the lookup answers the start');
    } finally {
      await h.close();
    }
  });

  test('a pod whose volume cannot be set up still has its Pending status written, and gets no sandbox', async () => {
    const clock = new SteppingClock();
    const runtime = new RecordingRuntime({ clock, images: ['app:1'] });
    const h = await createHarness({ clock, runtime });
    try {
      const pod = h.add(
        makePod('no-config', {
          containers: [{ name: 'app', image: 'app:1', volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }],
          volumes: [{ name: 'cfg', configMap: { name: 'missing' } }],
        }),
      );
      await h.advance(0);
      const written = h.api.writes.get(pod.metadata.uid!)?.at(-1)?.status;
      assert.equal(written?.phase, 'Pending');
      assert.equal(written?.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
      assert.match(h.events.find('FailedMount')?.message ?? '', /missing/);
      assert.equal(runtime.callsMatching(['runPodSandbox']).length, 0);
    } finally {
      await h.close();
    }
  });

  test("a pod's sync and its port-forward ask the runtime for that pod's sandboxes and containers only", async () => {
    const clock = new SteppingClock();
    const runtime = new RecordingRuntime({ clock, images: ['app:1'] });
    const h = await createHarness({ clock, runtime });
    try {
      const a = h.add(makePod('a', { containers: [{ name: 'app', image: 'app:1' }] }));
      h.add(makePod('b', { containers: [{ name: 'app', image: 'app:1' }] }));
      await h.advance(2_000);
      const uid = a.metadata.uid!;
      const own = { [LABEL_POD_UID]: uid };
      runtime.sandboxFilters.length = 0;
      runtime.containerFilters.length = 0;
      h.update({ ...a, metadata: { ...a.metadata, labels: { ...a.metadata.labels, changed: 'yes' } } });
      await h.advance(0);
      assert.deepEqual(runtime.sandboxFilters, [{ labels: own }], 'one listing of the sandboxes, of this pod only');
      assert.deepEqual(runtime.containerFilters, [{ labels: own }], 'one listing of the containers, of this pod only');

      runtime.sandboxFilters.length = 0;
      const id = await h.kubelet.sandboxId(uid);
      assert.deepEqual(runtime.sandboxFilters, [{ labels: own, state: 'READY' }]);
      const [sandbox] = await runtime.listPodSandboxes({ labels: own });
      assert.equal(id, sandbox?.id);
    } finally {
      await h.close();
    }
  });

  test('a restarted agent reads a pod the runtime holds before its first sync, and adopts it', async () => {
    const clock = new SteppingClock();
    const runtime = new RecordingRuntime({ clock, images: ['app:1'] });
    const rootDir = await mkdtemp(join(tmpdir(), 'kubelet-reads-'));
    try {
      const first = await createHarness({ clock, runtime, rootDir });
      const pod = first.add(app());
      await first.advance(2_000);
      await first.close();

      const second = await createHarness({ clock, runtime, rootDir });
      try {
        runtime.trail.length = 0;
        second.add(pod);
        await second.advance(0);
        assert.equal(runtime.starts()[0], 'listPodSandboxes');
        assert.equal(runtime.callsMatching(['runPodSandbox']).length, 1, 'the sandbox is not recreated');
        assert.ok(second.api.lastStatus(pod.metadata.uid!)!.containerStatuses![0]!.state!.running);
      } finally {
        await second.close();
      }
    } finally {
      await safeRemove(rootDir);
    }
  });
});

test("a runtime's cached status of an exited container gets its termination message once, however often it is read", async () => {
  const podDir = await mkdtemp(join(tmpdir(), 'kubelet-reads-'));
  try {
    const cached: RuntimeContainer = {
      id: 'c1', sandboxId: 's1', name: 'app', attempt: 0, state: 'EXITED', exitCode: 1, createdAt: 1, image: 'app:1', imageRef: 'app:1', logPath: '',
      labels: { 'io.kubernetes.pod.uid': 'u1', 'io.kubernetes.container.name': 'app' },
      annotations: { 'io.kubernetes.container.restartCount': '0' },
    };
    const file = terminationMessageFile(podDir, 'app', 0);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, 'bye');
    const runtime = { listPodSandboxes: async () => [], listContainers: async () => [cached] } as unknown as Runtime;
    const reader = new RuntimeStateReader(runtime, () => podDir, () => 0);
    await reader.snapshot('u1');
    const second = await reader.snapshot('u1');
    assert.equal(second.containers[0]!.message, 'bye');
    assert.equal(cached.message, undefined, 'the runtime\'s object is left as it was');
  } finally {
    await safeRemove(podDir);
  }
});
