// Scenario 03 (shared/scenarios/README.md): /healthz answers 200 for the server's first 10 s, then
// 500; the HTTP liveness probe (delay 3 s, period 3 s, 3 failures) kills it and the kubelet restarts
// it with back-off. The unmodified manifest is followed to its first restart (about 20 s). The
// CrashLoopBackOff that follows would take about 75 s to appear with the seed's timings, so a variant
// (shortened timings: a 2 s healthy window, probe delay and period 1 s) shows it here in about 30 s;
// the unmodified pod's back-off growing to 300 s is in scenario-03-liveness-backoff.long.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCollect, eventually } from '../helpers/cluster.js';
import { scenarioCluster, scenario, getPod, podRows, describeEvents, describeContainer, jsonpath } from './scenario-support.js';

/** The seed's pod with shortened timings (see the file's comment). */
export function shortenedLiveness(name: string): string {
  const text = scenario('03-liveness-http.yaml')
    .replace('name: liveness-http', `name: ${name}`)
    .replace('initialDelaySeconds: 3', 'initialDelaySeconds: 1')
    .replace('periodSeconds: 3', 'periodSeconds: 1')
    .replace('    args:\n', '    env:\n    - name: HEALTHY_SECONDS\n      value: "2"\n    args:\n');
  if (!text.includes(`name: ${name}`) || !text.includes('HEALTHY_SECONDS') || !text.includes('periodSeconds: 1')) throw new Error('scenario 03 changed');
  return text;
}

test('03: liveness over HTTP kills and restarts the container, then backs off', async (t) => {
  const k = await scenarioCluster(t);
  const watch = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'get', 'pods', '-w'], t);
  const applied = await k.kubectl(['apply', '-f', k.manifest('03.yaml', scenario('03-liveness-http.yaml'))]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout.trim(), 'pod/liveness-http created');
  const fast = await k.kubectl(['apply', '-f', k.manifest('03-fast.yaml', shortenedLiveness('liveness-fast'))]);
  assert.equal(fast.code, 0, fast.stderr);

  await watch.waitFor(/^liveness-http\s+1\/1\s+Running\s+0\s/m, 30_000);
  // Three failures 3 s apart after the first 10 s: the first restart comes around 20 s.
  const restarted = await eventually(async () => {
    const row = await getPod(k, 'liveness-http');
    return row && row.restarts !== '0' && row;
  }, 60_000, 250);
  assert.match(restarted.restarts, /^1 \(\d+s ago\)$/);
  assert.equal(restarted.status, 'Running');

  // The probe's request, as the stand-in logged it (the previous container's log).
  const previous = await k.kubectl(['logs', 'liveness-http', '--previous']);
  assert.equal(previous.code, 0, previous.stderr);
  const probes = previous.stdout.split(/^(?=GET )/m).filter((r) => r.startsWith('GET /healthz\n'));
  assert.ok(probes.length >= 4, previous.stdout);
  assert.match(probes[0], /^  Custom-Header: Awesome$/m);
  assert.match(probes[0], /^  User-Agent: kube-probe\/1\.33$/m);
  assert.match(probes[0], /^  Accept: \*\/\*$/m);

  const described = await k.kubectl(['describe', 'pod', 'liveness-http']);
  assert.equal(described.code, 0, described.stderr);
  const block = describeContainer(described.stdout, 'liveness');
  assert.match(block, /^    Args:\n      \/server\n/m);
  // The stand-in, like the Go server it stands for, exits 2 on SIGTERM.
  assert.match(block, /^    State:          Running\n      Started:      .+\n    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    2\n      Started:      .+\n      Finished:     .+\n    Ready:          True\n    Restart Count:  1\n/m);
  assert.match(block, /^    Liveness:       http-get http:\/\/:8080\/healthz delay=3s timeout=1s period=3s #success=1 #failure=3$/m);
  const events = describeEvents(described.stdout);
  const unhealthy = events.filter((e) => e.reason === 'Unhealthy');
  assert.equal(unhealthy.length, 1, JSON.stringify(events, null, 1));
  assert.equal(unhealthy[0].type, 'Warning');
  assert.equal(unhealthy[0].message, 'Liveness probe failed: HTTP probe failed with statuscode: 500');
  assert.match(unhealthy[0].age, /\(x3 over \S+\)$/);
  const killing = events.filter((e) => e.reason === 'Killing');
  assert.equal(killing.length, 1, JSON.stringify(events, null, 1));
  assert.equal(killing[0].type, 'Normal');
  assert.equal(killing[0].message, 'Container liveness failed liveness probe, will be restarted');
  // describe sorts by last occurrence, and Pulling/Pulled/Created/Started happened twice by now
  // (each Pulled event is its own: the message holds the pull's duration).
  assert.deepEqual([...new Set(events.map((e) => e.reason))].sort(), ['Created', 'Killing', 'Pulled', 'Pulling', 'Scheduled', 'Started', 'Unhealthy']);

  // The shortened variant: two restarts at once (the kubelet's back-off only starts counting at the
  // second), then the third waits out 10 s in CrashLoopBackOff.
  await watch.waitFor(/^liveness-fast\s+1\/1\s+Running\s+3 \(\d+s ago\)\s/m, 90_000);
  const rows = podRows(watch.output()).filter((r) => r.name === 'liveness-fast').map((r) => `${r.status} ${r.restarts.split(' ')[0]}`);
  const seen = rows.filter((s, i) => s !== rows[i - 1]);
  const expected = ['Running 0', 'Running 1', 'Running 2', 'CrashLoopBackOff 2', 'Running 3'];
  assert.deepEqual(seen.filter((s) => expected.includes(s)), expected, seen.join(' → '));
  const fastDescribed = (await k.kubectl(['describe', 'pod', 'liveness-fast'])).stdout;
  const uid = await jsonpath(k, 'liveness-fast', '{.metadata.uid}');
  const fastEvents = describeEvents(fastDescribed);
  const backOff = fastEvents.filter((e) => e.reason === 'BackOff');
  assert.equal(backOff.length, 1, JSON.stringify(fastEvents, null, 1));
  assert.equal(backOff[0].type, 'Warning');
  assert.equal(backOff[0].message, `Back-off restarting failed container liveness in pod liveness-fast_default(${uid})`);
  assert.match(fastEvents.find((e) => e.reason === 'Killing')?.age ?? '', /\(x3 over \S+\)$/);
});
