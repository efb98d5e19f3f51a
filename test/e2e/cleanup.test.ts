// `k8ts cleanup` after a `k8ts up` killed with SIGKILL: the pod's processes, its layers mount, the
// pod bridge and the iptables chains it left are removed and listed; a cluster still running (its
// store locked) is left alone, pods and all. On the cri runtime: the containerd of its own, the
// shims, mounts, bridge and the CNI plugin's masquerading go too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { networkNames } from '../../src/network/pod-network/index.js';
import { linkExists } from '../../src/network/pod-network/links.js';
import { proxyChains } from '../../src/network/proxy/names.js';
import { run as hostCommand } from '../../src/network/pod-network/host-command.js';
import { mountsUnder } from '../../src/runtime/cri/host-objects.js';
import { containerdLayout, criNames } from '../../src/runtime/cri/containerd-config.js';
import { containerdMissingReason } from '../../src/runtime/cri/index.js';
import { buildBusyboxImage, ociArchive } from '../../src/images/index.js';
import { cleanupDataDir } from '../../src/cli/cleanup.js';
import { ApiClient } from '../../src/client/client.js';
import type { Pod } from '../../src/api/types.js';
import { K8TS_BIN, clientFromKubeconfig, deferCleanup, startK8ts, tempDir } from '../helpers/cli.js';
import { eventually, run, testCluster } from '../helpers/cluster.js';
import { randomPodCIDR, randomServiceCIDR } from './scenario-support.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const IMAGE = 'registry.k8ts.local/k8ts/busybox:1';
const skip = process.getuid?.() !== 0 && 'needs root (pods in namespaces, a bridge, iptables)';

const sleeper = (name: string, nodeName: string) =>
  ({ metadata: { name }, spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } }) as Pod;

/** The processes of a data directory's pods: sandbox holders (from their records) and whatever names the directory. */
async function podProcesses(dataDir: string): Promise<number[]> {
  const sandboxes = join(dataDir, 'runtime', 'sandboxes');
  const holders = existsSync(sandboxes)
    ? readdirSync(sandboxes).flatMap((id) => {
        const file = join(sandboxes, id, 'sandbox.json');
        return existsSync(file) ? [(JSON.parse(readFileSync(file, 'utf8')) as { infra?: { pid: number } }).infra?.pid ?? 0] : [];
      })
    : [];
  const named: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(`${dataDir}/runtime/`)) named.push(Number(entry));
  }
  return [...new Set([...holders, ...named])].filter((pid) => pid > 0 && alive(pid));
}

/** Whether a process lives (a zombie, killed and not yet reaped by whoever adopted it, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function chainsOn(clusterId: string): Promise<string[]> {
  const n = networkNames(clusterId);
  const p = proxyChains(clusterId);
  const text = await hostCommand('iptables-save', []);
  return text
    .split('\n')
    .filter((l) => l.startsWith(':'))
    .map((l) => l.slice(1).split(' ')[0]!)
    .filter((c) => [n.hostPortChain, n.postroutingChain, n.forwardChain, p.services, p.postrouting, p.forward].includes(c));
}

test('k8ts cleanup removes what a SIGKILLed k8ts up left, and leaves a running cluster alone', { skip, timeout: 240_000 }, async (t) => {
  // The running cluster: in this process, its store locked.
  const running = await testCluster(t, { serviceCidr: randomServiceCIDR(), node: { runtime: 'process', podCIDR: randomPodCIDR(), name: `cleanup-live-${process.pid}` } });
  const runningId = readFileSync(join(running.dataDir, 'cluster-id'), 'utf8').trim();

  const dir = tempDir(t, 'k8ts-cleanup-');
  const dataDir = join(dir, 'data');
  // Whatever the test leaves (it failed before the cleanup did its work) goes as the command would remove it.
  deferCleanup(t, () => cleanupDataDir(dataDir));
  const nodeName = `cleanup-killed-${process.pid}`;
  const up = startK8ts(t, ['up', '--data-dir', dataDir, '--port', '0', '--write-kubeconfig=false', '--pod-cidr', randomPodCIDR(), '--node-name', nodeName]);
  await up.waitFor(/^k8ts is running at /m, 60_000);
  const client = clientFromKubeconfig(join(dataDir, 'kubeconfig'));
  t.after(() => client.close());
  await eventually(() => client.request('GET', '/api/v1/namespaces/default/serviceaccounts/default').then(() => true), 30_000);
  await client.create(PODS, 'default', sleeper('left', nodeName));
  await running.client.create(PODS, 'default', sleeper('kept', running.nodeName!));
  for (const c of [client, running.client]) {
    await eventually(async () => (await c.list<Pod>(PODS, 'default')).items.every((p) => p.status?.phase === 'Running'), 60_000, 200, 'pods Running');
  }

  const killedId = readFileSync(join(dataDir, 'cluster-id'), 'utf8').trim();
  assert.deepEqual(await up.stop('SIGKILL'), { code: null, signal: 'SIGKILL' });
  const processes = await podProcesses(dataDir);
  const mounts = await mountsUnder(join(dataDir, 'runtime'));
  const bridge = networkNames(killedId).bridge;
  const chains = await chainsOn(killedId);
  assert.ok(processes.length >= 2, `the pod's holder and container outlived k8ts: ${processes}`);
  assert.ok(mounts.length > 0, 'its layers mount is left');
  assert.ok(linkExists(bridge), 'its bridge is left');
  assert.equal(chains.length, 6, `its chains are left: ${chains}`);
  const runningProcesses = await podProcesses(running.dataDir);
  const runningChains = await chainsOn(runningId);
  assert.ok(runningProcesses.length >= 2 && runningChains.length === 6);

  const cleanup = await run(process.execPath, [K8TS_BIN, 'cleanup', '--data-dir', dataDir, '--data-dir', running.dataDir]);
  assert.equal(cleanup.code, 0, cleanup.stdout + cleanup.stderr);
  const lines = cleanup.stdout.trim().split('\n');
  assert.ok(lines.some((l) => /^.+: removed pod sandbox default\/left \([0-9a-f]{12}\)$/.test(l)), cleanup.stdout);
  assert.ok(lines.includes(`${dataDir}: removed bridge ${bridge}`), cleanup.stdout);
  const chainLine = lines.find((l) => l.startsWith(`${dataDir}: removed iptables chains `));
  for (const c of chains) assert.ok(chainLine?.includes(c), `${c} in ${chainLine}`);
  assert.ok(lines.includes(`${running.dataDir}: in use by a running k8ts (pid ${process.pid}), left alone`), cleanup.stdout);

  assert.deepEqual(await podProcesses(dataDir), [], 'no process of the killed cluster\'s pods');
  assert.deepEqual(processes.filter(alive), []);
  assert.deepEqual(await mountsUnder(dataDir), []);
  assert.equal(linkExists(bridge), false);
  assert.deepEqual(await chainsOn(killedId), []);
  assert.equal((await run(process.execPath, [K8TS_BIN, 'cleanup', '--data-dir', dataDir])).stdout, `${dataDir}: nothing to remove\n`);

  // The running cluster: its pod's processes, bridge and chains all there, the pod still Running.
  assert.deepEqual(runningProcesses.filter((pid) => !alive(pid)), []);
  assert.ok(linkExists(networkNames(runningId).bridge));
  assert.deepEqual(await chainsOn(runningId), runningChains);
  assert.equal((await running.client.get<Pod>(PODS, 'default', 'kept')).status?.phase, 'Running');
});

/** Pids of live processes whose command line names `dir` (a containerd of ours, its shims). */
async function processesNaming(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir) && alive(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

test('k8ts cleanup after a SIGKILLed k8ts up --runtime cri: its containerd, shims, pods, mounts, bridge and masquerading go', { skip: skip || (containerdMissingReason() ?? false), timeout: 240_000 }, async (t) => {
  const dir = tempDir(t, 'k8ts-cleanup-cri-');
  const dataDir = join(dir, 'data');
  deferCleanup(t, () => cleanupDataDir(dataDir));
  const up = startK8ts(t, ['up', '--runtime', 'cri', '--data-dir', dataDir, '--port', '0', '--write-kubeconfig=false', '--pod-cidr', randomPodCIDR(), '--node-name', `cleanup-cri-${process.pid}`]);
  await up.waitFor(/^k8ts is running at /m, 90_000);
  const layout = containerdLayout(join(dataDir, 'containerd'));
  const archive = join(dir, 'busybox.tar');
  writeFileSync(archive, ociArchive([{ name: IMAGE, image: buildBusyboxImage() }]));
  await hostCommand('ctr', ['--address', layout.socket, '--namespace', 'k8s.io', 'images', 'import', archive]);
  const client = clientFromKubeconfig(join(dataDir, 'kubeconfig'));
  t.after(() => client.close());
  await eventually(() => client.request('GET', '/api/v1/namespaces/default/serviceaccounts/default').then(() => true), 30_000);
  await client.create(PODS, 'default', { metadata: { name: 'left' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: IMAGE, command: ['sleep', '3600'] }] } } as Pod);
  await eventually(async () => (await client.get<Pod>(PODS, 'default', 'left')).status?.phase === 'Running', 60_000, 200, 'the pod Running');

  const clusterId = readFileSync(join(dataDir, 'cluster-id'), 'utf8').trim();
  const names = criNames(clusterId);
  assert.deepEqual(await up.stop('SIGKILL'), { code: null, signal: 'SIGKILL' });
  const processes = await processesNaming(layout.base);
  assert.ok(processes.length >= 2, `containerd and the pod's shim outlived k8ts: ${processes}`);
  assert.ok((await mountsUnder(layout.base)).length > 0, 'containerd\'s mounts are left');
  assert.ok(linkExists(names.bridge), 'its bridge is left');
  const masquerading = async () => (await hostCommand('iptables-save', ['-t', 'nat'])).split('\n').filter((l) => l.includes(`name: \\"${names.network}\\"`));
  assert.ok((await masquerading()).length > 0, 'the CNI plugin masquerades the pod');

  const cleanup = await run(process.execPath, [K8TS_BIN, 'cleanup', '--data-dir', dataDir]);
  assert.equal(cleanup.code, 0, cleanup.stdout + cleanup.stderr);
  const lines = cleanup.stdout.trim().split('\n');
  assert.ok(lines.some((l) => /: removed pod sandbox default\/left \([0-9a-f]{12}\)$/.test(l)), cleanup.stdout);
  assert.ok(lines.some((l) => new RegExp(`: removed containerd \\(pid \\d+\\)$`).test(l)), cleanup.stdout);
  assert.ok(lines.includes(`${dataDir}: removed bridge ${names.bridge}`), cleanup.stdout);
  assert.deepEqual(await processesNaming(layout.base), []);
  assert.deepEqual(processes.filter(alive), []);
  assert.deepEqual(await mountsUnder(dataDir), []);
  assert.equal(linkExists(names.bridge), false);
  assert.deepEqual(await masquerading(), []);
  assert.deepEqual(await chainsOn(clusterId), []);
});
