// Scenario 04 unmodified (npm run test:long): task1 exits with $RANDOM % 2, so how many times it
// fails is up to chance (with its back-off growing 10 s, 20 s, 40 s…). Whatever happens, what the
// pod shows must agree with the ids task1 printed. scenario-04-init-random-retry.test.ts covers the
// same behaviour with a fixed number of failures.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/cluster.js';
import { scenarioCluster, scenario, jsonpath } from './scenario-support.js';

test('04 (unmodified): task1 is retried until its id is even, then task2 and web run', { timeout: 20 * 60_000 }, async (t) => {
  const k = await scenarioCluster(t);
  const applied = await k.kubectl(['apply', '-f', k.manifest('04.yaml', scenario('04-init-random-retry.yaml'))]);
  assert.equal(applied.code, 0, applied.stderr);
  // Eight failures in a row (1 in 256) would take about 13 minutes of back-off.
  await eventually(async () => (await jsonpath(k, 'web1', '{.status.containerStatuses[0].state.running.startedAt}')) !== '', 15 * 60_000, 1_000);
  const restarts = Number(await jsonpath(k, 'web1', '{.status.initContainerStatuses[0].restartCount}'));
  const last = await k.kubectl(['logs', 'web1', '-c', 'task1']);
  const id = Number(/^id is :(\d+)$/m.exec(last.stdout)?.[1]);
  assert.ok(Number.isInteger(id), last.stdout);
  assert.equal(id % 2, 0, 'the run that succeeded had an even id');
  if (restarts > 0) {
    // Once task1 succeeded, the kubelet prunes its failed instance (only the newest exited instance
    // of an init container is kept), so nothing is left to report as lastState or --previous.
    assert.equal(await jsonpath(k, 'web1', '{.status.initContainerStatuses[0].lastState}'), '{}');
    const previous = await k.kubectl(['logs', 'web1', '-c', 'task1', '--previous']);
    assert.notEqual(previous.code, 0);
    assert.match(previous.stderr, /previous terminated container "task1" in pod "web1" not found/);
  }
  assert.equal((await k.kubectl(['logs', 'web1', '-c', 'task2'])).stdout, 'task2 done\n');
});

test('04 (unmodified, restartPolicy Never): an odd id fails the pod, an even one runs it', { timeout: 5 * 60_000 }, async (t) => {
  const k = await scenarioCluster(t);
  const never = scenario('04-init-random-retry.yaml').replace('name: web1\nspec:\n', 'name: web1\nspec:\n  restartPolicy: Never\n');
  assert.match(never, /restartPolicy: Never/);
  const applied = await k.kubectl(['apply', '-f', k.manifest('04-never.yaml', never)]);
  assert.equal(applied.code, 0, applied.stderr);
  const outcome = await eventually(async () => {
    const phase = await jsonpath(k, 'web1', '{.status.phase}');
    const running = await jsonpath(k, 'web1', '{.status.containerStatuses[0].state.running.startedAt}');
    return phase === 'Failed' ? 'failed' : running ? 'running' : false;
  }, 60_000, 500);
  const id = Number(/^id is :(\d+)$/m.exec((await k.kubectl(['logs', 'web1', '-c', 'task1'])).stdout)?.[1]);
  assert.ok(Number.isInteger(id));
  assert.equal(outcome, id % 2 === 1 ? 'failed' : 'running', `id ${id}`);
  const row = (await k.kubectl(['get', 'pod', 'web1', '--no-headers'])).stdout.trim().split(/\s+/);
  if (outcome === 'failed') assert.deepEqual(row.slice(1, 4), ['0/1', 'Init:Error', '0']);
});
