// Scenario 05 unmodified (npm run test:long): the startup probe first runs 60 s after the start;
// until it succeeds neither liveness nor readiness runs and the pod is not Ready.
// scenario-05-probes-and-hooks.test.ts covers the same with the delay shortened to 5 s.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/cluster.js';
import { scenarioCluster, scenario, getPod, jsonpath, describeEvents } from './scenario-support.js';

test('05 (unmodified): nothing but the startup probe runs for the first 60 s', { timeout: 5 * 60_000 }, async (t) => {
  const k = await scenarioCluster(t);
  const applied = await k.kubectl(['apply', '-f', k.manifest('05.yaml', scenario('05-probes-and-hooks.yaml'))]);
  assert.equal(applied.code, 0, applied.stderr);
  await eventually(async () => (await getPod(k, 'web2'))?.status === 'Running', 60_000, 500);
  const startedAt = Date.parse(await jsonpath(k, 'web2', '{.status.containerStatuses[0].state.running.startedAt}'));
  // Written before the startup probe's first run: readiness would pass, but must not run yet.
  const written = await k.kubectl(['exec', 'web2', '--', 'sh', '-c', 'echo 3 > /var/www/html/version.txt']);
  assert.equal(written.code, 0, written.stderr);
  while (Date.now() < startedAt + 55_000) {
    const row = await getPod(k, 'web2');
    assert.equal(row?.ready, '0/1', 'not Ready before the startup probe succeeded');
    assert.equal(await jsonpath(k, 'web2', '{.status.containerStatuses[0].started}'), 'false');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  await eventually(async () => (await getPod(k, 'web2'))?.ready === '1/1', 45_000, 500);
  // Liveness (period 10 s) runs at its next tick after the startup probe succeeded.
  const firstLiveness = await eventually(async () => {
    const served = await k.kubectl(['logs', 'web2', '--timestamps']);
    return served.stdout.split('\n').find((l) => / GET \/info\.php 200 kube-probe\/1\.33$/.test(l));
  }, 30_000, 1_000);
  assert.ok(Date.parse(firstLiveness.split(' ')[0]) >= startedAt + 59_000, `${firstLiveness} for a start at ${new Date(startedAt).toISOString()}`);
  const events = describeEvents((await k.kubectl(['describe', 'pod', 'web2'])).stdout);
  assert.ok(!events.some((e) => e.reason === 'Unhealthy'), JSON.stringify(events));
});
