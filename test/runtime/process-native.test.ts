// The process runtime's native helpers: a pod's long-lived helper processes become the small
// k8ts-reaper, and the pod network's links are set up over rtnetlink by `k8ts-shim pause`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createPodNetwork, hostVethName } from '../../src/network/pod-network/index.js';
import { createProcessRuntime } from '../../src/runtime/process/index.js';
import { shimBinary } from '../../src/runtime/process/shim.js';
import { safeRemove } from '../../src/util/safe-remove.js';
import { containerConfig, sandboxConfig } from '../helpers/runtime-configs.js';

const shim = process.getuid?.() === 0 ? shimBinary() : undefined;
const reaper = shim ? join(dirname(realpathSync(shim)), 'k8ts-reaper') : undefined;
const unsupported = process.getuid?.() !== 0 ? 'needs root' : !shim ? 'the native helper is not built (or K8TS_SHIM=none)' : undefined;

async function harness() {
  const rootDir = await mkdtemp(join(tmpdir(), 'k8ts-native-'));
  const id = Math.random().toString(36).slice(2, 10);
  const podCIDR = `10.${200 + Math.floor(Math.random() * 8)}.${Math.floor(Math.random() * 256)}.0/24`;
  const network = await createPodNetwork({ clusterId: `test-${id}`, podCIDR, stateDir: join(rootDir, 'network') });
  const runtime = await createProcessRuntime({ rootDir, network });
  return {
    rootDir,
    network,
    runtime,
    async cleanup() {
      await runtime.removeAll();
      await runtime.close();
      await network.teardown();
      await safeRemove(rootDir, { unmount: true });
    },
  };
}

const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();

describe('process runtime native helpers', { skip: unsupported }, () => {
  test('the sandbox holder and the container supervisor are k8ts-reaper processes once set up', { skip: reaper && existsSync(reaper) ? false : 'k8ts-reaper is not built' }, async (t) => {
    const h = await harness();
    t.after(() => h.cleanup());
    for (const shareProcessNamespace of [false, true]) {
      const name = `reaped-${shareProcessNamespace}`;
      const sandbox = sandboxConfig(name, join(h.rootDir, 'logs', name), { shareProcessNamespace });
      const sandboxId = await h.runtime.runPodSandbox(sandbox);
      const id = await h.runtime.createContainer(sandboxId, containerConfig('app', ['sh', '-c', 'exit 3']), sandbox);
      const records = JSON.parse(await readFile(join(h.rootDir, 'sandboxes', sandboxId, 'sandbox.json'), 'utf8'));
      assert.equal(comm(records.infra.pid), 'k8ts-reaper', `infra of a sandbox with shareProcessNamespace ${shareProcessNamespace}`);
      const sleeper = await h.runtime.createContainer(sandboxId, containerConfig('sleeper', ['sleep', '30']), sandbox);
      await h.runtime.startContainer(sleeper);
      const record = JSON.parse(await readFile(join(h.rootDir, 'containers', sleeper, 'container.json'), 'utf8'));
      assert.equal(comm(record.supervisor.pid), 'k8ts-reaper');
      // The reaper records the exit code as the shim did.
      await h.runtime.startContainer(id);
      const deadline = Date.now() + 20_000;
      let status = await h.runtime.containerStatus(id);
      while (status.state !== 'EXITED' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        status = await h.runtime.containerStatus(id);
      }
      assert.equal(status.exitCode, 3);
      await h.runtime.stopContainer(sleeper, 0);
      assert.equal((await h.runtime.containerStatus(sleeper)).exitCode, 137);
    }
  });

  test('sandboxes started side by side get distinct addresses, each its own bridge port', async (t) => {
    const h = await harness();
    t.after(() => h.cleanup());
    const configs = Array.from({ length: 6 }, (_, i) => sandboxConfig(`side-${i}`, join(h.rootDir, 'logs', `side-${i}`)));
    const ids = await Promise.all(configs.map((c) => h.runtime.runPodSandbox(c)));
    const ips = await Promise.all(ids.map(async (id) => (await h.runtime.podSandboxStatus(id)).ip));
    assert.equal(new Set(ips).size, ids.length, `distinct addresses: ${ips.join(', ')}`);
    for (const id of ids) {
      const veth = hostVethName(h.network.clusterId, id);
      assert.equal(realpathSync(`/sys/class/net/${veth}/master`).split('/').pop(), h.network.names.bridge);
      assert.equal(readFileSync(`/sys/class/net/${veth}/brport/hairpin_mode`, 'utf8').trim(), '1');
      // IFF_UP (the operational state follows it a moment later).
      assert.equal(Number(readFileSync(`/sys/class/net/${veth}/flags`, 'utf8').trim()) & 1, 1);
    }
  });

  test('a sandbox whose link cannot be set up fails to start, with the reason, and leaves no link or address', async (t) => {
    const h = await harness();
    t.after(() => h.cleanup());
    execFileSync('ip', ['link', 'del', h.network.names.bridge]);
    const config = sandboxConfig('unlinked', join(h.rootDir, 'logs', 'unlinked'));
    await assert.rejects(h.runtime.runPodSandbox(config), (err: Error) => {
      assert.match(err.message, /^failed to create sandbox for pod "unlinked": .*k8ts-shim: connect: no interface k8ts\S+ \(the pod network's bridge\): No such device/);
      return true;
    });
    assert.deepEqual(await h.runtime.listPodSandboxes(), []);
    const state = JSON.parse(await readFile(join(h.rootDir, 'network', 'pod-network.json'), 'utf8'));
    assert.deepEqual(state.allocations, {}, 'the address is released');
  });
});
