// Our containerd: restarted when it dies (sandboxes survive it), the CRI calls beyond the contract
// (Status, ContainerStats, ImageFsInfo, image removal), bad input answered with contract errors.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CriRuntime, PodCgroups, startContainerd } from '../../src/runtime/cri/index.js';
import { criNames } from '../../src/runtime/cri/containerd-config.js';
import { existsSync, readdirSync } from 'node:fs';
import { RuntimeError, type PodSandboxConfig } from '../../src/runtime/types.js';
import { busyboxArchive, containerdUnavailable, startTestContainerd, type TestContainerd } from '../helpers/containerd.js';
import { startTestRegistry } from '../helpers/registry.js';
import { eventually } from '../helpers/cluster.js';
import { safeRemove } from '../../src/util/safe-remove.js';
import { containerConfig, sandboxConfig as plainSandbox } from '../helpers/runtime-configs.js';

const unavailable = containerdUnavailable();

describe('cri: containerd supervision and CRI extras', { skip: unavailable ?? false }, () => {
  let h: TestContainerd;
  let n = 0;
  before(async () => {
    h = await startTestContainerd();
  });
  after(() => h?.cleanup());

  const sandboxConfig = (): PodSandboxConfig => {
    n++;
    return plainSandbox(`sup-${n}`, join(h.dir, `logs-${n}`), {
      podUid: `sup-${n}-${Math.random().toString(36).slice(2, 8)}`,
      namespace: 'test',
      hostsFile: `127.0.0.1 localhost\n10.0.0.9 sup-${n}.test\n`,
    });
  };

  test('runtime and network are ready', async () => {
    const conditions = await h.runtime.status();
    assert.deepEqual(conditions.map((c) => [c.type, c.status]).sort(), [['NetworkReady', true], ['RuntimeReady', true]]);
  });

  test('the hosts file of the sandbox is the container /etc/hosts; stats and image filesystem are reported', async (t) => {
    const config = sandboxConfig();
    const sb = await h.runtime.runPodSandbox(config);
    t.after(() => h.runtime.removePodSandbox(sb));
    const id = await h.runtime.createContainer(sb, containerConfig('c', ['sleep', '1000'], { image: h.image, resources: { memoryLimitBytes: 64 * 1024 * 1024 } }), config);
    await h.runtime.startContainer(id);
    const hosts = await h.runtime.execSync(id, ['cat', '/etc/hosts'], 5);
    assert.equal(hosts.stdout.toString(), config.hostsFile);
    const limit = await h.runtime.execSync(id, ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes'], 5);
    assert.equal(limit.stdout.toString().trim(), String(64 * 1024 * 1024));
    const stats = await eventually(async () => {
      const s = await h.runtime.containerStats(id);
      return s.memoryWorkingSetBytes !== undefined && s;
    });
    assert.ok(stats.memoryWorkingSetBytes! > 0);
    const fs = await h.runtime.imageFsInfo();
    // Usage is measured by containerd every few seconds; where it is measured is known at once.
    assert.deepEqual(fs.map((f) => f.mountpoint), [join(h.containerd.layout.root, 'io.containerd.snapshotter.v1.overlayfs')]);
  });

  test('an image can be removed and pulled again; a missing image is ImageNotFound or ImagePullFailed', async () => {
    const name = `${h.registry.host}/k8ts/busybox:test`;
    assert.equal(name, h.image);
    const extra = 'registry.k8ts.local/k8ts/extra:1';
    await h.importBusybox(extra);
    assert.ok(await h.runtime.imageStatus(extra));
    await h.runtime.removeImage(extra);
    assert.equal(await h.runtime.imageStatus(extra), undefined);
    await h.runtime.removeImage(extra);
    // The same image under every name goes with it (CRI RemoveImage); the registry has it again.
    assert.equal(await h.runtime.imageStatus(h.image), undefined);
    const ref = await h.runtime.pullImage(h.image);
    assert.equal((await h.runtime.imageStatus(h.image))?.id, ref);
    await assert.rejects(h.runtime.pullImage(`${h.registry.host}/k8ts/missing:1`), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.ok(['ImageNotFound', 'ImagePullFailed'].includes(err.code), err.code);
      assert.match(err.message, /missing/);
      return true;
    });
  });

  test('exec with a terminal: a pty, the client size, input echoed, the exit code', async (t) => {
    const config = sandboxConfig();
    const sb = await h.runtime.runPodSandbox(config);
    t.after(() => h.runtime.removePodSandbox(sb));
    const id = await h.runtime.createContainer(sb, containerConfig('c', ['sleep', '1000'], { image: h.image }), config);
    await h.runtime.startContainer(id);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let text = '';
    let typed = false;
    stdout.on('data', (c: Buffer) => {
      text += c.toString();
      if (!typed && text.includes('45 123')) {
        typed = true;
        stdin.write('abc\r');
      }
    });
    async function* sizes() {
      yield { width: 123, height: 45 };
    }
    const code = await h.runtime.exec(id, ['sh', '-c', 'sleep 0.3; tty; stty size; read x; echo got $x; exit 5'], { stdin, stdout, tty: true, resize: sizes() });
    assert.equal(code, 5);
    assert.equal(text, '/dev/pts/0\r\n45 123\r\nabc\r\ngot abc\r\n');
  });

  test('a registry that requires credentials: the pull fails without them and works with them', async (t) => {
    const credentials = { username: 'puller', password: `pw-${Math.random().toString(36).slice(2)}` };
    const locked = await startTestRegistry({ credentials });
    t.after(() => locked.stop());
    const name = `${locked.host}/k8ts/private:1`;
    await locked.pushImage('k8ts/private:1', busyboxArchive(name).image);
    // Our containerd reaches this registry over plain HTTP through its hosts.toml.
    await mkdir(join(h.containerd.layout.registryConfigDir, locked.host), { recursive: true });
    await writeFile(join(h.containerd.layout.registryConfigDir, locked.host, 'hosts.toml'), `server = "http://${locked.host}"\n\n[host."http://${locked.host}"]\n  capabilities = ["pull", "resolve"]\n`);
    await assert.rejects(h.runtime.pullImage(name), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.code, 'ImagePullFailed');
      assert.match(err.message, /401|unauthorized/i);
      return true;
    });
    await assert.rejects(h.runtime.pullImage(name, { username: credentials.username, password: 'wrong' }), RuntimeError);
    const ref = await h.runtime.pullImage(name, { username: credentials.username, password: credentials.password, serverAddress: locked.host });
    assert.match(ref, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await h.runtime.imageStatus(name))?.id, ref);
  });

  test('a sandbox the runtime refuses leaves no pod cgroup or hosts file behind', async () => {
    const refusing = new CriRuntime({
      endpoint: h.containerd.endpoint,
      stateDir: join(h.dir, 'refusing'),
      cgroupRoot: h.containerd.cgroupRoot,
      runtimeHandler: 'no-such-handler',
    });
    try {
      const config = sandboxConfig();
      await assert.rejects(refusing.runPodSandbox(config), (err: unknown) => {
        assert.ok(err instanceof RuntimeError);
        assert.match(err.message, /no-such-handler/);
        return true;
      });
      const group = new PodCgroups(h.containerd.cgroupRoot).parentOf(config.podUid);
      for (const controller of ['memory', 'cpu', 'pids']) assert.ok(!existsSync(join('/sys/fs/cgroup', controller, group)), `${controller}${group} left`);
      assert.deepEqual(readdirSync(join(h.dir, 'refusing', 'pods')), []);
    } finally {
      await refusing.close();
    }
  });

  test('containerd killed: restarted, and the sandbox it ran is still there and ready', async (t) => {
    const config = sandboxConfig();
    const sb = await h.runtime.runPodSandbox(config);
    t.after(() => h.runtime.removePodSandbox(sb));
    const pid = h.containerd.pid;
    assert.ok(pid);
    const starts = h.containerd.starts;
    process.kill(pid, 'SIGKILL');
    await eventually(() => h.containerd.starts > starts && h.containerd.pid !== undefined, 30_000);
    await h.containerd.ready();
    const status = await h.runtime.podSandboxStatus(sb);
    assert.equal(status.state, 'READY');
    assert.equal(status.podUid, config.podUid);
  });

  test('a containerd binary that cannot be started is a failed start, not a crash, and leaves no bridge', async (t) => {
    const dir = await mkdtemp('/tmp/k8ts-cri-nobinary-');
    t.after(() => safeRemove(dir, { unmount: true }));
    const clusterId = `b${Math.random().toString(36).slice(2, 10)}`;
    const podCIDR = `10.${216 + Math.floor(Math.random() * 8)}.${Math.floor(Math.random() * 256)}.0/24`;
    await assert.rejects(startContainerd({ dir: join(dir, 'containerd'), clusterId, podCIDR, containerdBinary: join(dir, 'no-such-containerd') }));
    const { bridge } = criNames(clusterId);
    assert.ok(!readdirSync('/sys/class/net').includes(bridge), `the bridge ${bridge} was removed`);
  });

  test('a containerd left running by a killed k8ts is adopted by the next start, and stopped by it', async (t) => {
    const dir = await mkdtemp('/tmp/k8ts-cri-adopt-');
    const clusterId = `a${Math.random().toString(36).slice(2, 10)}`;
    const podCIDR = `10.${216 + Math.floor(Math.random() * 8)}.${Math.floor(Math.random() * 256)}.0/24`;
    const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'cri-containerd.child.js'), join(dir, 'containerd'), clusterId, podCIDR], { stdio: ['ignore', 'pipe', 'inherit'] });
    let pid: number | undefined;
    let adopted: Awaited<ReturnType<typeof startContainerd>> | undefined;
    // One cleanup, registered first: the processes stop before their directory goes.
    t.after(async () => {
      child.kill('SIGKILL');
      // The containerd the child left behind, if the test ended before adopting it: adopted here
      // to stop it with its bridge and cgroups, or killed.
      if (!adopted && pid !== undefined) adopted = await startContainerd({ dir: join(dir, 'containerd'), clusterId, podCIDR }).catch(() => undefined);
      if (adopted) await adopted.stop({ clean: true });
      else if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await safeRemove(dir, { unmount: true });
    });
    pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before starting containerd`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    process.kill(pid, 0); // containerd outlived the process that started it
    adopted = await startContainerd({ dir: join(dir, 'containerd'), clusterId, podCIDR });
    assert.equal(adopted.pid, pid);
    assert.equal(adopted.starts, 1);
    await adopted.stop({ clean: true });
    // Gone, or a zombie waiting for PID 1 (which here may never reap it).
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').then((st) => st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3), () => 'gone');
    assert.ok(state === 'gone' || state === 'Z', `containerd still running (state ${state})`);
  });
});
