// The cri runtime end to end: a cluster whose node runs pods in a containerd of its own, images
// pulled from a local registry. kubectl logs, exec (with stdin) and port-forward; a memory limit
// OOM-kills with reason OOMKilled; a stopped agent leaves the containers running and, started
// again, re-adopts them without counting restarts; deleting the pods and stopping the cluster
// leaves no sandbox, cgroup, CNI allocation, containerd state, mount, shim or bridge behind.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../src/cluster.js';
import { clusterIdOf } from '../../src/agent/process-node.js';
import { criNames, containerdLayout, mountsUnder, PodCgroups, removeContainerdLeftovers } from '../../src/runtime/cri/index.js';
import { busyboxArchive, containerdUnavailable } from '../helpers/containerd.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { eventually, run, spawnCollect } from '../helpers/cluster.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

const unavailable = containerdUnavailable();

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('cri runtime end to end', { skip: unavailable ?? false }, () => {
  let registry: TestRegistry;
  let dataDir: string;
  let cluster: Cluster | undefined;
  let image: string;
  let kubeconfig: string;
  const podCIDR = `10.${224 + Math.floor(Math.random() * 8)}.${Math.floor(Math.random() * 256)}.0/24`;

  const start = async (keepPodsOnStop: boolean) => {
    cluster = await startCluster({
      dataDir,
      store: 'sqlite',
      node: { runtime: 'cri', podCIDR, keepPodsOnStop, insecureRegistries: [registry.host] },
    });
    kubeconfig = cluster.kubeconfigPath;
  };
  const kubectl = (args: string[], stdin?: string) => run('kubectl', ['--kubeconfig', kubeconfig, ...args], stdin !== undefined ? { stdin } : {});
  const pod = async (name: string) => {
    const res = await kubectl(['get', 'pod', name, '-o', 'json']);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout);
  };

  before(async () => {
    registry = await startTestRegistry();
    image = `${registry.host}/k8ts/busybox:1.28`;
    await registry.pushImage('k8ts/busybox:1.28', busyboxArchive(image).image);
    dataDir = mkdtempSync('/tmp/k8ts-cri-e2e-');
    await start(true);
  });
  after(async () => {
    if (cluster) {
      // A failed test may leave the first cluster (the one keeping its pods): remove them first.
      await kubectl(['delete', 'pod', '--all', '--wait=true', '--timeout=60s']).catch(() => undefined);
      await cluster.stop();
    }
    if (dataDir) {
      await removeContainerdLeftovers(join(dataDir, 'containerd'), clusterIdOf(dataDir));
      await new PodCgroups(criNames(clusterIdOf(dataDir)).cgroupRoot).removeAll();
    }
    await registry?.stop();
    if (dataDir) safeRemoveSync(dataDir, { unmount: true });
  });

  test('kubectl logs, exec and port-forward on a cri pod', async (t) => {
    const manifest = join(dataDir, 'web.yaml');
    writeFileSync(
      manifest,
      `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: ${image}
    command: ["sh", "-c", "echo started; mkdir -p /www; echo forwarded > /www/index.html; exec httpd -f -p 8080 -h /www"]
`,
    );
    const applied = await kubectl(['apply', '-f', manifest]);
    assert.equal(applied.code, 0, applied.stderr);
    await eventually(async () => (await pod('web')).status.containerStatuses?.[0]?.state?.running, 60_000);
    const status = (await pod('web')).status;
    assert.match(status.containerStatuses[0].containerID, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.match(status.containerStatuses[0].imageID, /sha256:[0-9a-f]{64}$/);
    assert.ok(status.podIP && status.podIP.startsWith(podCIDR.split('.').slice(0, 3).join('.')), status.podIP);

    const logs = await eventually(async () => {
      const r = await kubectl(['logs', 'web']);
      return r.code === 0 && r.stdout.includes('started') && r;
    });
    assert.equal(logs!.stdout, 'started\n');

    const exec = await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo $((6 * 7)); echo to-stderr >&2; exit 3']);
    assert.equal(exec.code, 3, exec.stderr);
    assert.equal(exec.stdout, '42\n');
    assert.match(exec.stderr, /to-stderr/);
    const piped = await kubectl(['exec', '-i', 'web', '--', 'tr', 'a-z', 'A-Z'], 'through stdin\n');
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'THROUGH STDIN\n');

    const copied = join(dataDir, 'copied.html');
    const cp = await kubectl(['cp', 'web:/www/index.html', copied]);
    assert.equal(cp.code, 0, cp.stderr);
    assert.equal(readFileSync(copied, 'utf8'), 'forwarded\n');

    const forward = spawnCollect('kubectl', ['--kubeconfig', kubeconfig, 'port-forward', 'pod/web', ':8080'], t);
    await forward.waitFor(/Forwarding from 127\.0\.0\.1:\d+ -> 8080/);
    const localPort = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(forward.output())![1]);
    assert.equal(await eventually(() => httpGet('127.0.0.1', localPort).catch(() => undefined)), 'forwarded\n');
    assert.equal(await httpGet(status.podIP, 8080), 'forwarded\n');
  });

  test('a memory limit OOM-kills the container with reason OOMKilled', async () => {
    const manifest = join(dataDir, 'hog.yaml');
    writeFileSync(
      manifest,
      `apiVersion: v1
kind: Pod
metadata:
  name: hog
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: ${image}
    command: ["tail", "/dev/zero"]
    resources:
      limits:
        memory: 24Mi
`,
    );
    const applied = await kubectl(['apply', '-f', manifest]);
    assert.equal(applied.code, 0, applied.stderr);
    const terminated = await eventually(async () => (await pod('hog')).status.containerStatuses?.[0]?.state?.terminated, 60_000);
    assert.equal(terminated.reason, 'OOMKilled', JSON.stringify(terminated));
    assert.equal(terminated.exitCode, 137);
    // The phase turns terminal only once the pod worker has stopped the sandbox (the status manager
    // holds it back while containers could still run), so it may lag the container's state.
    await eventually(async () => (await pod('hog')).status.phase === 'Failed', 60_000, 100, "the pod's phase Failed");
  });

  test('a stopped agent leaves containers running; started again it re-adopts them, restartCount unchanged', async () => {
    const before = (await pod('web')).status.containerStatuses[0];
    const ip = (await pod('web')).status.podIP;
    await cluster!.stop();
    cluster = undefined;
    // containerd is stopped too; the shim and the container go on serving.
    assert.equal(await httpGet(ip, 8080), 'forwarded\n');
    await start(false);
    const node = await eventually(async () => {
      const r = await kubectl(['get', 'nodes', '-o', 'json']);
      return r.code === 0 && JSON.parse(r.stdout).items[0];
    });
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\.\d+\.\d+/);
    const after = await eventually(async () => {
      const s = (await pod('web')).status;
      return s.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') && s.containerStatuses[0];
    }, 60_000);
    assert.equal(after.containerID, before.containerID);
    assert.equal(after.restartCount, 0);
    assert.equal(after.state.running.startedAt, before.state.running.startedAt);
    assert.equal(await httpGet(ip, 8080), 'forwarded\n');
  });

  test('nothing is left behind once the pods are deleted and the cluster stops', async () => {
    const deleted = await kubectl(['delete', 'pod', '--all', '--wait=true', '--timeout=60s']);
    assert.equal(deleted.code, 0, deleted.stderr);
    await cluster!.stop();
    cluster = undefined;
    const names = criNames(clusterIdOf(dataDir));
    const layout = containerdLayout(join(dataDir, 'containerd'));
    const links = (await run('ip', ['-o', 'link', 'show'])).stdout;
    assert.doesNotMatch(links, new RegExp(`\\b${names.bridge}\\b`));
    for (const controller of readdirSync('/sys/fs/cgroup')) {
      assert.ok(!existsSync(join('/sys/fs/cgroup', controller, names.cgroupRoot)), `cgroup ${controller}${names.cgroupRoot} left`);
    }
    assert.deepEqual(await mountsUnder(dataDir), []);
    assert.ok(!existsSync(layout.state), 'containerd state left');
    assert.ok(!existsSync(layout.cniIpamDir), 'host-local allocations left');
    assert.ok(!existsSync(layout.socket), 'containerd socket left');
    const shims = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      })
      .filter((cmd) => cmd.includes(layout.base));
    assert.deepEqual(shims, []);
  });
});
