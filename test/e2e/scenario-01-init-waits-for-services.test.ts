// Scenario 01 (shared/scenarios/README.md), as a user watches it: the init containers wait in order
// for their Services in cluster DNS — Init:0/2 while neither resolves, Init:1/2 once myservice does,
// then PodInitializing and Running once mydb does. The Services are applied one at a time (the
// scenario's 01-services.yaml, split) so that each step is seen. test/network/scenario-01-dns.test.ts
// applies both at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCollect, eventually } from '../helpers/cluster.js';
import { scenarioCluster, scenario, getPod, podRows } from './scenario-support.js';

test('01: init containers wait, in order, for myservice and mydb in cluster DNS', async (t) => {
  const k = await scenarioCluster(t);
  const watch = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'get', 'pods', '-w'], t);
  const pod = await k.kubectl(['apply', '-f', k.manifest('01.yaml', scenario('01-init-waits-for-services.yaml'))]);
  assert.equal(pod.code, 0, pod.stderr);
  assert.equal(pod.stdout.trim(), 'pod/app-pod created');

  const waitingLines = async (container: string) => {
    const logs = await k.kubectl(['logs', 'app-pod', '-c', container]);
    return (logs.stdout.match(new RegExp(`^waiting for ${container.slice('init-'.length)}$`, 'gm')) ?? []).length;
  };
  await eventually(async () => (await waitingLines('init-myservice')) >= 2, 60_000, 500);
  assert.deepEqual(await getPod(k, 'app-pod').then((r) => [r?.ready, r?.status, r?.restarts]), ['0/1', 'Init:0/2', '0']);
  const [myservice, mydb] = scenario('01-services.yaml').split(/^---\n/m);

  let applied = await k.kubectl(['apply', '-f', k.manifest('01-myservice.yaml', myservice)]);
  assert.equal(applied.stdout.trim(), 'service/myservice created', applied.stderr);
  await eventually(async () => (await getPod(k, 'app-pod'))?.status === 'Init:1/2', 30_000, 250);
  await eventually(async () => (await waitingLines('init-mydb')) >= 2, 60_000, 500);
  // The first init container ended once its name resolved; the second one now waits.
  const first = await k.kubectl(['get', 'pod', 'app-pod', '-o', 'jsonpath={.status.initContainerStatuses[0].state.terminated.reason} {.status.initContainerStatuses[1].state.running.startedAt}']);
  assert.match(first.stdout, /^Completed \S+$/);

  applied = await k.kubectl(['apply', '-f', k.manifest('01-mydb.yaml', mydb)]);
  assert.equal(applied.stdout.trim(), 'service/mydb created', applied.stderr);
  await watch.waitFor(/^app-pod\s+1\/1\s+Running\s+0\s/m, 60_000);
  const rows = podRows(watch.output()).filter((r) => r.name === 'app-pod').map((r) => r.status);
  const seen = rows.filter((s, i) => s !== rows[i - 1] && s !== 'Pending');
  assert.deepEqual(seen, ['Init:0/2', 'Init:1/2', 'PodInitializing', 'Running'], seen.join(' → '));

  assert.equal((await k.kubectl(['logs', 'app-pod'])).stdout, 'The app is running!\n');
  // Every container gets the service-account volume (the init containers read the namespace there).
  const ns = await k.kubectl(['exec', 'app-pod', '--', 'cat', '/var/run/secrets/kubernetes.io/serviceaccount/namespace']);
  assert.equal(ns.stdout, 'default');
  const resolved = await k.kubectl(['exec', 'app-pod', '--', 'nslookup', 'mydb.default.svc.cluster.local']);
  const ip = (await k.kubectl(['get', 'service', 'mydb', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
  assert.equal(resolved.code, 0, resolved.stderr);
  assert.ok(resolved.stdout.includes(`Address: ${ip}`), resolved.stdout);
});
