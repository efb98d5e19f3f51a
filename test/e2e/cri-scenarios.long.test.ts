// Seed scenarios 04 and 05 unmodified on the cri runtime (npm run test:long): 04's init container
// fails at random with a growing back-off; 05's startup probe first runs 60 s after the start.
// The myos stand-ins carry bash as sh, as the CentOS image the seeds used did.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerdUnavailable } from '../helpers/containerd.js';
import { eventually, spawnCollect } from '../helpers/cluster.js';
import { criStandInCluster } from '../helpers/oci-images.js';
import { describeEvents, getPod, jsonpath, randomPodCIDR, randomServiceCIDR, scenario } from './scenario-support.js';

const unavailable = containerdUnavailable();

test('04 and 05 on the cri runtime', { skip: unavailable ?? false, timeout: 20 * 60_000 }, async (t) => {
  const k = await criStandInCluster(t, { names: ['myos:latest', 'myos:httpd'], serviceCidr: randomServiceCIDR(), podCIDR: randomPodCIDR() });
  const apply = async (file: string) => {
    const r = await k.kubectl(['apply', '-f', k.manifest(file, scenario(file))]);
    assert.equal(r.code, 0, r.stderr);
  };
  await apply('04-init-random-retry.yaml');
  // Every status write of web1 from here on: task1's restart count and the exit code of its lastState.
  const watch = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'get', 'pod', 'web1', '-w', '-o', 'jsonpath={.status.initContainerStatuses[0].restartCount} last={.status.initContainerStatuses[0].lastState.terminated.exitCode};'], t);
  await apply('05-probes-and-hooks.yaml');

  await t.test('05: postStart, then only the startup probe for 60 s, then readiness once version.txt says 3', async () => {
    await eventually(async () => (await getPod(k, 'web2'))?.status === 'Running', 90_000, 500);
    const startedAt = Date.parse(await jsonpath(k, 'web2', '{.status.containerStatuses[0].state.running.startedAt}'));
    const log = await k.kubectl(['exec', 'web2', '--', 'cat', '/tmp/web.log']);
    assert.equal(log.stdout, 'register service\n', log.stderr);
    const written = await k.kubectl(['exec', 'web2', '--', 'sh', '-c', 'echo 3 > /var/www/html/version.txt']);
    assert.equal(written.code, 0, written.stderr);
    while (Date.now() < startedAt + 55_000) {
      assert.equal((await getPod(k, 'web2'))?.ready, '0/1', 'not Ready before the startup probe succeeded');
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    await eventually(async () => (await getPod(k, 'web2'))?.ready === '1/1', 60_000, 500);
    const events = describeEvents((await k.kubectl(['describe', 'pod', 'web2'])).stdout);
    assert.ok(!events.some((e) => e.reason === 'Unhealthy'), JSON.stringify(events));
  });

  await t.test('04: task1 is retried until its id is even, then task2 and web run', async () => {
    await eventually(async () => (await jsonpath(k, 'web1', '{.status.containerStatuses[0].state.running.startedAt}')) !== '', 15 * 60_000, 1_000);
    const last = await k.kubectl(['logs', 'web1', '-c', 'task1']);
    const id = Number(/^id is :(\d+)$/m.exec(last.stdout)?.[1]);
    assert.ok(Number.isInteger(id), last.stdout);
    assert.equal(id % 2, 0, 'the run that succeeded had an even id');
    // After a failure, the retry shows the failed run as lastState (exit 1); once task1 succeeded and
    // task2 started, its older instance is pruned (the newest exited one is kept) and lastState is
    // empty, as the kubelet reports it.
    const restarts = Number(await jsonpath(k, 'web1', '{.status.initContainerStatuses[0].restartCount}'));
    const writes = watch.output().split(';').map((w) => w.trim());
    if (restarts > 0) assert.ok(writes.includes(`${restarts} last=1`), writes.join(' → '));
    assert.equal(await jsonpath(k, 'web1', '{.status.initContainerStatuses[0].lastState}'), '{}');
    assert.equal((await k.kubectl(['logs', 'web1', '-c', 'task2'])).stdout, 'task2 done\n');
  });
});
