// Scenario 04 (shared/scenarios/README.md): an init container that exits with $RANDOM % 2 is retried
// with back-off under restartPolicy Always; under Never its first failure fails the pod. The seed's
// coin makes the number of failures random, so this file runs variants whose task1 keeps the seed's
// script (with $RANDOM) but counts its runs in an emptyDir and fails a fixed number of times; the
// unmodified manifest runs in scenario-04-init-random-retry.long.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCollect, eventually } from '../helpers/cluster.js';
import { scenarioCluster, scenario, podRows, jsonpath } from './scenario-support.js';

/** The seed's pod, its task1 failing its first `failures` runs; optionally with another restartPolicy. */
export function countedRetry(name: string, failures: number, restartPolicy?: 'Never'): string {
  const seed = scenario('04-init-random-retry.yaml');
  const text = seed
    .replace('name: web1', `name: ${name}`)
    .replace('spec:\n', `spec:\n${restartPolicy ? `  restartPolicy: ${restartPolicy}\n` : ''}  volumes:\n  - name: runs\n    emptyDir: {}\n`)
    .replace('    command: ["sh"]\n', '    command: ["sh"]\n    volumeMounts:\n    - name: runs\n      mountPath: /runs\n')
    .replace('      exit $((id%2))\n', `      echo run >> /runs/task1\n      [ "$(wc -l < /runs/task1)" -gt ${failures} ]\n`);
  if (text === seed || !text.includes('/runs/task1') || !text.includes('${RANDOM}')) throw new Error('scenario 04 changed');
  return text;
}

test('04: a failing init container is retried with back-off, then the pod runs; under Never it fails', async (t) => {
  const k = await scenarioCluster(t);
  const watch = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'get', 'pods', '-w'], t);
  let r = await k.kubectl(['apply', '-f', k.manifest('04.yaml', countedRetry('web1', 2))]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'pod/web1 created');
  r = await k.kubectl(['apply', '-f', k.manifest('04-never.yaml', countedRetry('web1-never', 1, 'Never'))]);
  assert.equal(r.code, 0, r.stderr);

  // Always: two failures (the second one waits out 10 s of back-off), then task2, then web.
  await watch.waitFor(/^web1\s+1\/1\s+Running\s+0\s/m, 90_000);
  const rows = podRows(watch.output()).filter((row) => row.name === 'web1');
  const seen = rows.map((row) => `${row.ready} ${row.status} ${row.restarts.split(' ')[0]}`).filter((s, i, all) => s !== all[i - 1]);
  const expected = ['0/1 Init:0/2 0', '0/1 Init:Error 0', '0/1 Init:0/2 1', '0/1 Init:Error 1', '0/1 Init:CrashLoopBackOff 1', '0/1 Init:0/2 2', '0/1 PodInitializing 0', '1/1 Running 0'];
  // task2 (`echo`) lives for milliseconds: the status that shows it running (Init:1/2) may be
  // replaced by the next one before the status writer sends it. Once initialized, RESTARTS counts
  // only the app containers.
  const allowed = new Set([...expected, '0/1 Pending 0', '0/1 Init:1/2 2']);
  assert.ok(seen.every((s) => allowed.has(s)), `unexpected rows in ${seen.join(' → ')}`);
  assert.deepEqual(seen.filter((s) => expected.includes(s)), expected, seen.join(' → '));
  // RESTARTS counts task1's restarts while the pod initializes, with the time of the last one.
  assert.ok(rows.some((row) => row.status === 'Init:CrashLoopBackOff' && /^1 \(\d+s ago\)$/.test(row.restarts)), seen.join(' → '));
  const task1 = await k.kubectl(['logs', 'web1', '-c', 'task1']);
  assert.equal(task1.code, 0, task1.stderr);
  assert.match(task1.stdout, /^id is :\d+$/m, 'myos:latest is a shell with $RANDOM');
  assert.equal(await jsonpath(k, 'web1', '{.status.initContainerStatuses[0].restartCount} {.status.initContainerStatuses[0].state.terminated.reason} {.status.initContainerStatuses[1].state.terminated.reason}'), '2 Completed Completed');
  const task2 = await k.kubectl(['logs', 'web1', '-c', 'task2']);
  assert.equal(task2.stdout, 'task2 done\n');

  // Never: the first failure ends the pod.
  await eventually(async () => (await jsonpath(k, 'web1-never', '{.status.phase}')) === 'Failed', 60_000);
  const never = podRows((await k.kubectl(['get', 'pod', 'web1-never'])).stdout)[0];
  assert.deepEqual([never?.ready, never?.status, never?.restarts], ['0/1', 'Init:Error', '0']);
  assert.equal(
    await jsonpath(k, 'web1-never', '{.status.initContainerStatuses[0].state.terminated.reason}/{.status.initContainerStatuses[0].state.terminated.exitCode} {.status.initContainerStatuses[1].state.waiting.reason} {.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].started}'),
    'Error/1 PodInitializing PodInitializing false',
  );
  const neverRows = podRows(watch.output()).filter((row) => row.name === 'web1-never').map((row) => row.status);
  assert.ok(!neverRows.some((s) => s === 'Init:1/2' || s === 'PodInitializing' || s === 'Running'), neverRows.join(' → '));
});
