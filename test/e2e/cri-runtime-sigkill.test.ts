// `k8ts up --runtime cri` killed outright (SIGKILL) and started again: the container kept running
// meanwhile (its containerd and shim outlive k8ts), the new k8ts adopts that containerd and the
// agent re-adopts the pod with the same container, restartCount 0 and the same start time. A clean
// stop afterwards removes containerd and the bridge.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBusyboxImage, ociArchive } from '../../src/images/index.js';
import { clusterIdOf } from '../../src/agent/process-node.js';
import { containerdLayout, criNames, PodCgroups, removeContainerdLeftovers } from '../../src/runtime/cri/index.js';
import { containerdUnavailable } from '../helpers/containerd.js';
import { deferCleanup, startK8ts } from '../helpers/cli.js';
import { safeRemove } from '../../src/util/safe-remove.js';
import { eventually, run } from '../helpers/cluster.js';

const unavailable = containerdUnavailable();
const IMAGE = 'registry.k8ts.local/k8ts/busybox:1';

/** Pids of processes whose command line names `dir` (our containerd, its shims). */
function processesUnder(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return cmd.includes(dir) && !stat.includes(') Z ');
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('k8ts up --runtime cri killed with SIGKILL: pods keep running and are re-adopted on restart', { skip: unavailable ?? false }, async (t) => {
  const dir = mkdtempSync('/tmp/k8ts-cri-kill-');
  // Through deferCleanup: runs after the k8ts processes started below are stopped.
  deferCleanup(t, async () => {
    for (const pid of processesUnder(join(dir, 'containerd'))) process.kill(pid, 'SIGKILL');
    await removeContainerdLeftovers(join(dir, 'containerd'), clusterIdOf(dir));
    await new PodCgroups(criNames(clusterIdOf(dir)).cgroupRoot).killAll();
    await new PodCgroups(criNames(clusterIdOf(dir)).cgroupRoot).removeAll();
    await safeRemove(dir, { unmount: true });
  });
  const podCIDR = `10.${232 + Math.floor(Math.random() * 8)}.${Math.floor(Math.random() * 256)}.0/24`;
  const args = ['up', '--runtime', 'cri', '--data-dir', dir, '--port', '0', '--write-kubeconfig=false', '--pod-cidr', podCIDR];
  const kubeconfig = join(dir, 'kubeconfig');
  const kubectl = (a: string[]) => run('kubectl', ['--kubeconfig', kubeconfig, ...a]);
  const container = async () => {
    const r = await kubectl(['get', 'pod', 'sleeper', '-o', 'json']);
    if (r.code !== 0) return undefined;
    const status = JSON.parse(r.stdout).status;
    const ready = status.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    return ready && status.containerStatuses?.[0]?.state?.running ? status.containerStatuses[0] : undefined;
  };

  const first = startK8ts(t, args);
  await first.waitFor(/^k8ts is running at /m, 60_000);
  const archive = join(dir, 'busybox.tar');
  writeFileSync(archive, ociArchive([{ name: IMAGE, image: buildBusyboxImage() }]));
  execFileSync('ctr', ['--address', containerdLayout(join(dir, 'containerd')).socket, '--namespace', 'k8s.io', 'images', 'import', archive]);
  const manifest = join(dir, 'sleeper.yaml');
  writeFileSync(manifest, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: sleeper\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: app\n    image: ${IMAGE}\n    command: ["sleep", "3600"]\n`);
  const applied = await kubectl(['apply', '-f', manifest]);
  assert.equal(applied.code, 0, applied.stderr);
  const before = await eventually(container, 60_000);

  first.child.kill('SIGKILL');
  await first.exited;
  // containerd and the pod's shim are still there without k8ts.
  assert.ok(processesUnder(join(dir, 'containerd')).length >= 2, 'containerd and the shim outlived k8ts');

  const second = startK8ts(t, args);
  await second.waitFor(/^k8ts is running at /m, 60_000);
  assert.match(second.stderr() + second.stdout(), /adopting the containerd a previous run left running/);
  const after = await eventually(container, 60_000);
  assert.equal(after.containerID, before.containerID);
  assert.equal(after.restartCount, 0);
  assert.equal(after.state.running.startedAt, before.state.running.startedAt);

  const deleted = await kubectl(['delete', 'pod', 'sleeper', '--wait=true', '--timeout=60s']);
  assert.equal(deleted.code, 0, deleted.stderr);
  const stopped = await second.stop('SIGTERM');
  assert.equal(stopped.code, 0, second.stderr());
  assert.deepEqual(processesUnder(join(dir, 'containerd')), []);
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout;
  assert.doesNotMatch(links, new RegExp(`\\b${criNames(clusterIdOf(dir)).bridge}\\b`));
});
