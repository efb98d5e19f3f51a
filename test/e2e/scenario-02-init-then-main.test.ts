// Scenario 02 (shared/scenarios/README.md): one init container that prints a date and sleeps 10 s,
// then the main container — on real processes, through the real kubectl.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCollect, eventually } from '../helpers/cluster.js';
import { scenarioCluster, scenario, getPod, podRows, describeEvents, describeContainer } from './scenario-support.js';

test('02: Init:0/1 → PodInitializing → 1/1 Running; logs of both containers; describe', async (t) => {
  const k = await scenarioCluster(t);
  const watch = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'get', 'pods', '-w'], t);
  // An empty list prints nothing under -w; the pod's first row comes from the list or the watch.

  const applied = await k.kubectl(['apply', '-f', k.manifest('02.yaml', scenario('02-init-then-main.yaml'))]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout.trim(), 'pod/init-pod-demo created');

  const during = await eventually(async () => {
    const row = await getPod(k, 'init-pod-demo');
    return row?.status === 'Init:0/1' && row;
  }, 30_000);
  assert.equal(during.ready, '0/1');
  assert.equal(during.restarts, '0');

  await watch.waitFor(/^init-pod-demo\s+1\/1\s+Running\s+0\s+\S+\s*$/m, 60_000);
  const statuses = podRows(watch.output()).filter((r) => r.name === 'init-pod-demo').map((r) => r.status);
  const seen = statuses.filter((s, i) => s !== statuses[i - 1]);
  const order = ['Init:0/1', 'PodInitializing', 'Running'];
  assert.deepEqual(seen.filter((s) => order.includes(s)), order, `kubectl get pods -w showed ${seen.join(' → ')}`);
  assert.ok(seen.every((s) => s === 'Pending' || order.includes(s)), `unexpected status in ${seen.join(' → ')}`);

  const main = await k.kubectl(['logs', 'init-pod-demo']);
  const init = await k.kubectl(['logs', 'init-pod-demo', '-c', 'init-container']);
  assert.equal(main.code, 0, main.stderr);
  assert.equal(init.code, 0, init.stderr);
  const mainLines = main.stdout.trim().split('\n');
  const initLines = init.stdout.trim().split('\n');
  assert.equal(mainLines.length, 1, main.stdout);
  assert.equal(initLines.length, 1, init.stdout);
  const mainAt = Date.parse(mainLines[0]);
  const initAt = Date.parse(initLines[0]);
  assert.ok(Number.isFinite(mainAt) && Number.isFinite(initAt), `dates: ${initLines[0]} / ${mainLines[0]}`);
  // The main container starts only after the init container's 10 s sleep (dates have 1 s resolution).
  assert.ok(mainAt - initAt >= 9_000, `init at ${initLines[0]}, main at ${mainLines[0]}`);

  const described = await k.kubectl(['describe', 'pod', 'init-pod-demo']);
  assert.equal(described.code, 0, described.stderr);
  const text = described.stdout;
  assert.match(text, /^Init Containers:\n  init-container:\n/m);
  const initBlock = describeContainer(text, 'init-container');
  assert.match(initBlock, /^    State:          Terminated\n      Reason:       Completed\n      Exit Code:    0\n      Started:      .+\n      Finished:     .+\n    Ready:          True\n    Restart Count:  0\n/m);
  const mainBlock = describeContainer(text, 'busybox-container');
  assert.match(mainBlock, /^    State:          Running\n      Started:      .+\n    Ready:          True\n    Restart Count:  0\n/m);
  assert.match(mainBlock, /^    Limits:\n      cpu:     500m\n      memory:  128Mi\n    Requests:\n      cpu:        500m\n      memory:     128Mi\n/m);
  assert.match(text, /^Conditions:\n  Type                        Status\n  PodReadyToStartContainers   True \n  Initialized                 True \n  Ready                       True \n  ContainersReady             True \n  PodScheduled                True \n/m);
  assert.match(text, /^QoS Class:                   Burstable$/m);

  const events = describeEvents(text).map((e) => `${e.type} ${e.reason} ${e.message}`);
  const expected = [
    /^Normal Scheduled Successfully assigned default\/init-pod-demo to \S+$/,
    /^Normal Pulling Pulling image "busybox:latest"$/,
    /^Normal Pulled Successfully pulled image "busybox:latest" in \S+ \(\S+ including waiting\)\. Image size: \d+ bytes\.$/,
    /^Normal Created Created container: init-container$/,
    /^Normal Started Started container init-container$/,
    /^Normal Pulling Pulling image "busybox:latest"$/,
    /^Normal Pulled Successfully pulled image "busybox:latest" in \S+ \(\S+ including waiting\)\. Image size: \d+ bytes\.$/,
    /^Normal Created Created container: busybox-container$/,
    /^Normal Started Started container busybox-container$/,
  ];
  assert.equal(events.length, expected.length, events.join('\n'));
  expected.forEach((re, i) => assert.match(events[i], re, events.join('\n')));
});
