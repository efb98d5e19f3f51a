import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPodNetwork, hostVethName, rulesPresent, type PodNetwork } from '../../src/network/pod-network/index.js';
import { addImage, createProcessRuntime, listImages, removeImage, type ProcessRuntime } from '../../src/runtime/process/index.js';
import { RuntimeError, type ContainerConfig, type PodSandboxConfig, type RuntimeContainer } from '../../src/runtime/types.js';
import { describeRuntimeContract } from './contract.js';
import { processStartTime } from '../../src/runtime/process/procfs.js';
import { safeRemove } from '../../src/util/safe-remove.js';
import { containerConfig, sandboxConfig as plainSandbox } from '../helpers/runtime-configs.js';

const missing = ['unshare', 'nsenter', 'ip', 'iptables', 'busybox'].filter(
  (tool) => !['/usr/bin', '/usr/sbin', '/bin', '/sbin'].some((dir) => existsSync(join(dir, tool))),
);
const unsupported =
  process.getuid?.() !== 0
    ? 'the process runtime needs root (namespaces, mounts, cgroups, iptables)'
    : missing.length > 0
      ? `missing host tools: ${missing.join(', ')}`
      : undefined;

interface Harness {
  runtime: ProcessRuntime;
  network: PodNetwork;
  rootDir: string;
  cleanup(): Promise<void>;
}

/** A runtime over a fresh root directory with a pod network of its own (random cluster id and subnet). */
async function openHarness(): Promise<Harness> {
  const rootDir = await mkdtemp(join(tmpdir(), 'k8ts-process-'));
  const id = Math.random().toString(36).slice(2, 10);
  const podCIDR = `10.${200 + Math.floor(Math.random() * 8)}.${Math.floor(Math.random() * 256)}.0/24`;
  const network = await createPodNetwork({ clusterId: `test-${id}`, podCIDR, stateDir: join(rootDir, 'network') });
  const runtime = await createProcessRuntime({ rootDir, network });
  let current = runtime;
  return {
    get runtime() {
      return current;
    },
    set runtime(r: ProcessRuntime) {
      current = r;
    },
    network,
    rootDir,
    async cleanup() {
      await current.removeAll();
      await current.close();
      await network.teardown();
      await safeRemove(rootDir, { unmount: true });
    },
  };
}

if (unsupported) {
  test('process runtime', (t) => t.skip(unsupported));
} else {
  describeRuntimeContract('process', async () => {
    const h = await openHarness();
    return {
      runtime: h.runtime,
      cleanup: h.cleanup,
      image: 'busybox:1.28',
      capabilities: { realProcesses: true, ...h.runtime.capabilities, mounts: true },
    };
  });

  describe('process runtime', () => {
    let seq = 0;
    const sandboxConfig = (h: Harness, overrides: Partial<PodSandboxConfig> = {}): PodSandboxConfig => {
      const n = ++seq;
      return plainSandbox(`pod-${n}`, join(h.rootDir, 'logs', `pod-${n}`), { podUid: `uid-${n}`, ...overrides });
    };
    const start = async (h: Harness, sandboxId: string, sandbox: PodSandboxConfig, config: ContainerConfig) => {
      const id = await h.runtime.createContainer(sandboxId, config, sandbox);
      await h.runtime.startContainer(id);
      return id;
    };

    test('a new runtime over the same root adopts running containers and sees their exit', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const sb = sandboxConfig(h);
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const id = await start(h, sandboxId, sb, containerConfig('survivor', ['sh', '-c', 'echo before; sleep 1.5; echo after; exit 4']));
      const quick = await start(h, sandboxId, sb, containerConfig('quick', ['sh', '-c', 'sleep 0.2; exit 6']));
      await h.runtime.close();
      await new Promise((r) => setTimeout(r, 600)); // `quick` ends while no runtime watches

      const second = await createProcessRuntime({ rootDir: h.rootDir, network: h.network });
      h.runtime = second;
      assert.equal((await second.podSandboxStatus(sandboxId)).state, 'READY');
      const adopted = await second.containerStatus(id);
      assert.equal(adopted.state, 'RUNNING');
      const ended = await second.containerStatus(quick);
      assert.equal(ended.state, 'EXITED');
      assert.equal(ended.exitCode, 6);
      const exited = await waitForExit(second, id);
      assert.equal(exited.exitCode, 4);
      assert.equal(exited.reason, 'Error');
      const log = await readFile(exited.logPath, 'utf8');
      assert.match(log, / stdout F before\n/);
      assert.match(log, / stdout F after\n/);
    });

    test('shareProcessNamespace: the containers of a pod see the processes of each other', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const sb = sandboxConfig(h, { shareProcessNamespace: true });
      const sandboxId = await h.runtime.runPodSandbox(sb);
      await start(h, sandboxId, sb, containerConfig('sleeper', ['sleep', '1234']));
      const id = await start(h, sandboxId, sb, containerConfig('looker', ['sh', '-c', 'ps -e -o args=']));
      const exited = await waitForExit(h.runtime, id);
      assert.equal(exited.exitCode, 0);
      assert.match(await readFile(exited.logPath, 'utf8'), / stdout F sleep 1234\n/);
    });

    test('kubelet-style mounts: a file at /dev/termination-log, a directory behind the /var/run symlink', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const sb = sandboxConfig(h);
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const termination = join(h.rootDir, 'termination-log');
      const serviceAccount = join(h.rootDir, 'serviceaccount');
      await mkdir(serviceAccount);
      await writeFile(join(serviceAccount, 'namespace'), 'default');
      await writeFile(termination, '');
      const id = await start(h, sandboxId, sb, containerConfig('app', ['sh', '-c',
        'cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; echo finished > /dev/termination-log'], {
        mounts: [
          { hostPath: serviceAccount, containerPath: '/var/run/secrets/kubernetes.io/serviceaccount', readonly: true },
          { hostPath: termination, containerPath: '/dev/termination-log', readonly: false },
        ],
      }));
      const exited = await waitForExit(h.runtime, id);
      assert.equal(exited.exitCode, 0);
      assert.match(await readFile(exited.logPath, 'utf8'), / stdout F default\n/);
      assert.equal(await readFile(termination, 'utf8'), 'finished\n');
      assert.equal(existsSync('/dev/termination-log'), false);
    });

    test('hostname, DNS config and /etc/hosts of the sandbox', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const sb = sandboxConfig(h, {
        hostname: 'web-0',
        dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
        hostsFile: '# Entries added by HostAliases.\n10.1.2.3\tfoo.local\n',
      });
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const { ip } = await h.runtime.podSandboxStatus(sandboxId);
      const id = await start(h, sandboxId, sb, containerConfig('look', ['sh', '-c', 'hostname; cat /etc/hostname /etc/resolv.conf /etc/hosts']));
      const exited = await waitForExit(h.runtime, id);
      const log = (await readFile(exited.logPath, 'utf8')).split('\n').map((l) => l.replace(/^\S+ stdout F /, '')).join('\n');
      assert.match(log, /^web-0\nweb-0\n/);
      assert.match(log, /^search default\.svc\.cluster\.local svc\.cluster\.local\nnameserver 10\.96\.0\.10\noptions ndots:5$/m);
      assert.match(log, new RegExp(`^${ip!.replace(/\./g, '\\.')}\tweb-0$`, 'm'));
      assert.match(log, /^10\.1\.2\.3\tfoo\.local$/m);
    });

    test('runAsUser and runAsGroup', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const sb = sandboxConfig(h);
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const id = await start(h, sandboxId, sb, containerConfig('user', ['sh', '-c', 'id -u; id -g'], { runAsUser: 1234, runAsGroup: 5678 }));
      const exited = await waitForExit(h.runtime, id);
      assert.equal(exited.exitCode, 0);
      assert.match(await readFile(exited.logPath, 'utf8'), / stdout F 1234\n.* stdout F 5678\n/);
    });

    test('a hostNetwork sandbox has no pod IP; port-forward goes to 127.0.0.1', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const sb = sandboxConfig(h, { hostNetwork: true });
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const status = await h.runtime.podSandboxStatus(sandboxId);
      assert.equal(status.hostNetwork, true);
      assert.equal(status.ip, undefined);
      const port = 30_000 + Math.floor(Math.random() * 20_000);
      await start(h, sandboxId, sb, containerConfig('web', ['busybox', 'httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', '/etc']));
      assert.equal(await httpGet('127.0.0.1', port, '/hostname'), `${sb.hostname}\n`);
      const socket = await h.runtime.portForward(sandboxId, port);
      socket.end('GET /hostname HTTP/1.0\r\n\r\n');
      const chunks: Buffer[] = [];
      for await (const c of socket) chunks.push(c as Buffer);
      assert.match(Buffer.concat(chunks).toString(), new RegExp(`^HTTP/1\\.[01] 200[^]*\\r\\n\\r\\n${sb.hostname}\\n$`));
    });

    test('images: the catalogue gives entrypoint, cmd, env and workingDir; others are host images', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      await addImage(h.rootDir, 'example.com/greeter:1', {
        entrypoint: ['sh', '-c', 'echo "$GREETING from $(pwd):" "$@"', 'greeter'],
        cmd: ['default', 'args'],
        env: ['GREETING=hello', 'PATH=/usr/bin:/bin'],
        workingDir: '/etc',
      });
      const second = await createProcessRuntime({ rootDir: h.rootDir, network: h.network });
      await h.runtime.close();
      h.runtime = second;
      assert.deepEqual((await second.listImages()).map((i) => i.repoTags[0]), ['example.com/greeter:1']);
      assert.equal(await second.imageStatus('busybox:1.28'), undefined);
      const ref = await second.pullImage('busybox:1.28');
      assert.equal((await second.imageStatus('docker.io/library/busybox:1.28'))?.id, ref);
      const sb = sandboxConfig(h);
      const sandboxId = await second.runPodSandbox(sb);
      const image = (overrides: Partial<ContainerConfig>) => containerConfig('greeter', [], { image: 'example.com/greeter:1', ...overrides });
      const withDefaults = await start(h, sandboxId, sb, image({}));
      const withArgs = await start(h, sandboxId, sb, image({ name: 'args', logPath: 'args/0.log', args: ['given'], env: [{ name: 'GREETING', value: 'hi' }] }));
      assert.match(await readFile((await waitForExit(second, withDefaults)).logPath, 'utf8'), / stdout F hello from \/etc: default args\n/);
      assert.match(await readFile((await waitForExit(second, withArgs)).logPath, 'utf8'), / stdout F hi from \/etc: given\n/);
      await assert.rejects(
        second.createContainer(sandboxId, containerConfig('nothing', [], { image: 'busybox:1.28' }), sb),
        (err: unknown) => err instanceof RuntimeError && err.code === 'InvalidArgument' && /no command specified/.test(err.message),
      );
      assert.equal(await removeImage(h.rootDir, 'example.com/greeter:1'), true);
      assert.deepEqual((await listImages(h.rootDir)).map((i) => i.name), ['docker.io/library/busybox:1.28']);
    });

    test('images: layers lie over the host root, topmost first; images added while the runtime runs are used', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const top = join(h.rootDir, 'layer-top');
      const bottom = join(h.rootDir, 'layer-bottom');
      await mkdir(join(top, 'usr', 'bin'), { recursive: true });
      await mkdir(join(bottom, 'opt', 'app'), { recursive: true });
      await writeFile(join(bottom, 'artifact.txt'), 'from the bottom layer\n');
      await writeFile(join(top, 'artifact.txt'), 'from the top layer\n');
      await writeFile(join(bottom, 'opt', 'app', 'data'), 'app data\n');
      await writeFile(join(top, 'usr', 'bin', 'greet'), '#!/bin/sh\necho "greet $1"\n', { mode: 0o755 });
      // Added after the runtime loaded its catalogue, as `k8ts images add` does beside a running node.
      await addImage(h.rootDir, 'example.com/layered:1', { entrypoint: ['greet'], cmd: ['world'], layers: [top, bottom] });
      await assert.rejects(addImage(h.rootDir, 'example.com/bad:1', { layers: ['relative/dir'] }), /invalid image layer/);
      const sb = sandboxConfig(h);
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const greet = await start(h, sandboxId, sb, containerConfig('greet', [], { image: 'example.com/layered:1' }));
      assert.match(await readFile((await waitForExit(h.runtime, greet)).logPath, 'utf8'), / stdout F greet world\n/);
      const mountInLayer = join(h.rootDir, 'volume');
      await mkdir(mountInLayer);
      await writeFile(join(mountInLayer, 'inside'), 'volume\n');
      const look = await start(h, sandboxId, sb, containerConfig('look', ['sh', '-c', 'cat /artifact.txt /opt/app/data /opt/app/mnt/inside; test -x /usr/bin/env && echo host files too; echo changed > /artifact.txt'], {
        image: 'example.com/layered:1',
        logPath: 'look/0.log',
        mounts: [{ hostPath: mountInLayer, containerPath: '/opt/app/mnt', readonly: false }],
      }));
      const log = await readFile((await waitForExit(h.runtime, look)).logPath, 'utf8');
      assert.deepEqual(log.split('\n').filter(Boolean).map((l) => l.replace(/^\S+ stdout F /, '')), ['from the top layer', 'app data', 'volume', 'host files too']);
      assert.equal(await readFile(join(top, 'artifact.txt'), 'utf8'), 'from the top layer\n', 'a container never writes into a layer');
      assert.equal(existsSync(join(bottom, 'opt', 'app', 'mnt')), false, 'mount points are made in the container layer');
    });

    test('a pod reaches a server of the node at the gateway address', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const server = createServer((_req, res) => res.end('from the node\n'));
      await new Promise<void>((resolve) => server.listen(0, h.network.gateway, resolve));
      t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const { port } = server.address() as AddressInfo;
      const sb = sandboxConfig(h);
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const id = await start(h, sandboxId, sb, containerConfig('fetch', ['busybox', 'wget', '-q', '-O', '-', `http://${h.network.gateway}:${port}/`]));
      const exited = await waitForExit(h.runtime, id);
      assert.equal(exited.exitCode, 0);
      assert.match(await readFile(exited.logPath, 'utf8'), / stdout F from the node\n/);
    });

    test('bulk output reaches the log whole and in order', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const sb = sandboxConfig(h);
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const id = await start(h, sandboxId, sb, containerConfig('chatty', ['sh', '-c', 'seq 1 100000; seq 1 1000 >&2']));
      const exited = await waitForExit(h.runtime, id, 60_000);
      const lines = (await readFile(exited.logPath, 'utf8')).split('\n').filter(Boolean);
      const stdout = lines.filter((l) => l.includes(' stdout F ')).map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
      assert.equal(stdout.length, 100_000);
      assert.ok(stdout.every((n, i) => n === i + 1), 'stdout lines in order');
      assert.equal(lines.filter((l) => l.includes(' stderr F ')).length, 1000);
    });

    test('a container whose supervisor dies is killed, not orphaned', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const sb = sandboxConfig(h);
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const id = await start(h, sandboxId, sb, containerConfig('orphan', ['sleep', '1000']));
      const { supervisor, main } = JSON.parse(readFileSync(join(h.rootDir, 'containers', id, 'container.json'), 'utf8'));
      process.kill(supervisor.pid, 'SIGKILL');
      const exited = await waitForExit(h.runtime, id);
      assert.equal(exited.exitCode, 137);
      assert.match(exited.message ?? '', /supervisor/);
      // Dead at once; its zombie (an orphan once the supervisor died) is the host init's to reap.
      assert.equal(processStartTime(main.pid), undefined, 'the container process is gone');
    });

    test('a host port is reachable on 127.0.0.1', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const hostPort = 30_000 + Math.floor(Math.random() * 20_000);
      const sb = sandboxConfig(h, { portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort }] });
      const sandboxId = await h.runtime.runPodSandbox(sb);
      await start(h, sandboxId, sb, containerConfig('web', ['busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc']));
      const body = await httpGet('127.0.0.1', hostPort, '/hostname');
      assert.equal(body, `${sb.hostname}\n`);
    });

    test('a container over its memory limit is OOMKilled', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const sb = sandboxConfig(h);
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const id = await start(h, sandboxId, sb, containerConfig('hungry', ['tail', '/dev/zero'], { resources: { memoryLimitBytes: 32 * 1024 * 1024 } }));
      const exited = await waitForExit(h.runtime, id, 30_000);
      assert.equal(exited.exitCode, 137);
      assert.equal(exited.reason, 'OOMKilled');
    });

    test('two pods reach each other by pod IP', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const server = sandboxConfig(h);
      const serverId = await h.runtime.runPodSandbox(server);
      const { ip } = await h.runtime.podSandboxStatus(serverId);
      assert.ok(ip);
      await start(h, serverId, server, containerConfig('web', ['busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc']));
      const client = sandboxConfig(h);
      const clientId = await h.runtime.runPodSandbox(client);
      assert.notEqual((await h.runtime.podSandboxStatus(clientId)).ip, ip);
      const id = await start(h, clientId, client, containerConfig('fetch', ['sh', '-c',
        `for i in $(seq 1 50); do busybox wget -q -O - http://${ip}:8080/hostname && exit 0; sleep 0.1; done; exit 1`]));
      const exited = await waitForExit(h.runtime, id);
      assert.equal(exited.exitCode, 0);
      assert.match(await readFile(exited.logPath, 'utf8'), new RegExp(` stdout F ${server.hostname}\n`));
    });

    test('writes outside volumes stay in the container; missing mount points are not created on the host', async (t) => {
      const h = await openHarness();
      t.after(() => h.cleanup());
      const sb = sandboxConfig(h);
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const tag = Math.random().toString(36).slice(2, 8);
      const id = await start(h, sandboxId, sb, containerConfig('writer', ['sh', '-c', `echo x > /etc/k8ts-${tag}; cat /etc/k8ts-${tag}`], {
        mounts: [{ hostPath: join(h.rootDir, 'vol'), containerPath: `/k8ts-${tag}/deep/dir`, readonly: false }],
      }));
      const exited = await waitForExit(h.runtime, id);
      assert.equal(exited.exitCode, 0);
      assert.match(await readFile(exited.logPath, 'utf8'), / stdout F x\n/);
      assert.equal(existsSync(`/etc/k8ts-${tag}`), false);
      assert.equal(existsSync(`/k8ts-${tag}`), false);
    });

    test('removing sandboxes and tearing the network down leaves nothing behind', async () => {
      const h = await openHarness();
      const sb = sandboxConfig(h, { portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 30_000 + Math.floor(Math.random() * 20_000) }] });
      const sandboxId = await h.runtime.runPodSandbox(sb);
      const id = await start(h, sandboxId, sb, containerConfig('long', ['sleep', '1000'], { resources: { memoryLimitBytes: 64 * 1024 * 1024 } }));
      const cgroupParent = readCgroupParent(h.rootDir, id);
      const veth = hostVethName(h.network.clusterId, sandboxId);
      assert.ok(existsSync(`/sys/class/net/${veth}`));
      assert.ok(existsSync(`/sys/fs/cgroup/memory/${cgroupParent}/${id}`));
      assert.ok(await rulesPresent(h.network.names));
      const infraPid = readInfraPid(h.rootDir, sandboxId);
      await h.cleanup();
      assert.equal(existsSync(`/proc/${infraPid}`), false, 'the infra process is gone');
      assert.equal(existsSync(`/sys/class/net/${veth}`), false, 'the veth is gone');
      assert.equal(existsSync(`/sys/class/net/${h.network.names.bridge}`), false, 'the bridge is gone');
      assert.equal(await rulesPresent(h.network.names), false, 'the iptables chains are gone');
      for (const controller of ['pids', 'memory']) {
        assert.equal(existsSync(`/sys/fs/cgroup/${controller}/${cgroupParent}`), false, `the ${controller} cgroups are gone`);
      }
      assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(h.rootDir), 'no mount remains');
      assert.equal(existsSync(h.rootDir), false);
    });
  });
}

function readInfraPid(rootDir: string, sandboxId: string): number {
  return JSON.parse(readFileSync(join(rootDir, 'sandboxes', sandboxId, 'sandbox.json'), 'utf8')).infra.pid;
}

function readCgroupParent(rootDir: string, containerId: string): string {
  return JSON.parse(readFileSync(join(rootDir, 'containers', containerId, 'container.json'), 'utf8')).cgroupParent;
}

async function waitForExit(runtime: ProcessRuntime, id: string, timeoutMs = 20_000): Promise<RuntimeContainer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await runtime.containerStatus(id);
    if (status.state === 'EXITED') return status;
    if (Date.now() > deadline) assert.fail(`container did not exit within ${timeoutMs} ms (state ${status.state})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function httpGet(host: string, port: number, path: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const req = request({ host, port, path, timeout: 2000 }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`HTTP ${res.statusCode}`))));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
