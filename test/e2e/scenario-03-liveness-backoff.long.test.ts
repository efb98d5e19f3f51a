// Scenario 03 in real time (npm run test:long): the unmodified pod is killed by its liveness probe
// about every 18 s of running; the kubelet restarts it with the back-off of upstream's doBackOff —
// the first restarts at once (the back-off only starts counting with an exited container to compare
// with), then waits of 20 s, 40 s, 80 s, 160 s, capped at 300 s. About 13 minutes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenarioCluster, scenario, getPod } from './scenario-support.js';

interface Run {
  restartCount: number;
  startedAt: number;
  previousFinishedAt?: number;
}

test('03 (real time): liveness restarts back off 0, 0, 0, 20, 40, 80, 160, 300 s', { timeout: 20 * 60_000 }, async (t) => {
  const k = await scenarioCluster(t);
  const applied = await k.kubectl(['apply', '-f', k.manifest('03.yaml', scenario('03-liveness-http.yaml'))]);
  assert.equal(applied.code, 0, applied.stderr);

  const runs = new Map<number, Run>();
  const statuses = new Set<string>();
  const deadline = Date.now() + 16 * 60_000;
  while (Date.now() < deadline && !runs.has(8)) {
    const r = await k.kubectl(['get', 'pod', 'liveness-http', '-o', 'json']);
    if (r.code === 0) {
      const c = JSON.parse(r.stdout).status?.containerStatuses?.[0];
      if (c?.state?.running) {
        runs.set(c.restartCount, {
          restartCount: c.restartCount,
          startedAt: Date.parse(c.state.running.startedAt),
          ...(c.lastState?.terminated ? { previousFinishedAt: Date.parse(c.lastState.terminated.finishedAt) } : {}),
        });
      }
      const row = await getPod(k, 'liveness-http');
      if (row) statuses.add(row.status);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  assert.ok(runs.has(8), `runs seen: ${[...runs.keys()].join(', ')}`);
  assert.ok(statuses.has('CrashLoopBackOff'), [...statuses].join(', '));

  const expectedWaits = [0, 0, 0, 20, 40, 80, 160, 300];
  for (let restart = 1; restart <= 8; restart++) {
    const run = runs.get(restart);
    assert.ok(run?.previousFinishedAt !== undefined, `restart ${restart} not seen`);
    const wait = (run.startedAt - run.previousFinishedAt) / 1000;
    const expected = expectedWaits[restart - 1];
    // Timestamps have 1 s resolution; a sync may come a little after the back-off ends.
    assert.ok(wait >= expected - 1.5 && wait <= expected + 10, `restart ${restart}: waited ${wait} s, expected ${expected} s`);
  }
});
