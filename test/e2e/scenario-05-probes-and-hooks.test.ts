// Scenario 05 (shared/scenarios/README.md): startup (tcp), liveness (http) and readiness (exec)
// probes and postStart/preStop hooks on one httpd container. Shortened timings: the startup probe's
// initialDelaySeconds is 5 here instead of 60, which would spend a minute waiting; the unmodified
// manifest runs in scenario-05-probes-and-hooks.long.test.ts. Everything else is the seed's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCollect, eventually } from '../helpers/cluster.js';
import { scenarioCluster, scenario, getPod, podRows, describeContainer, describeEvents, jsonpath } from './scenario-support.js';

export function shortenedStartup(): string {
  const seed = scenario('05-probes-and-hooks.yaml');
  const text = seed.replace('      initialDelaySeconds: 60\n', '      initialDelaySeconds: 5\n');
  if (text === seed) throw new Error('scenario 05 changed');
  return text;
}

test('05: postStart gates Running, startup gates the other probes, readiness follows version.txt, preStop before SIGTERM', async (t) => {
  const k = await scenarioCluster(t);
  const watch = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'get', 'pods', '-w'], t);
  const applied = await k.kubectl(['apply', '-f', k.manifest('05.yaml', shortenedStartup())]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout.trim(), 'pod/web2 created');

  // postStart runs while the pod still shows ContainerCreating: the hook's line is in /tmp/web.log
  // before the container is reported Running.
  const duringHook = await eventually(async () => {
    const log = await k.kubectl(['exec', 'web2', '--', 'cat', '/tmp/web.log']);
    if (log.code !== 0 || log.stdout !== 'register service\n') return false;
    return getPod(k, 'web2');
  }, 30_000, 200);
  assert.equal(duringHook.status, 'ContainerCreating', 'the container is not Running while postStart runs');
  assert.equal(duringHook.ready, '0/1');
  await watch.waitFor(/^web2\s+0\/1\s+Running\s+0\s/m, 30_000);

  const described = await k.kubectl(['describe', 'pod', 'web2']);
  // (The readiness command's newlines are printed as they are, so the block is read whole.)
  const block = described.stdout;
  assert.match(describeContainer(block, 'web'), /^    Port:           <none>\n    Host Port:      <none>\n    State:          Running\n/m);
  assert.match(block, /^    Liveness:       http-get http:\/\/:80\/info\.php delay=0s timeout=3s period=10s #success=1 #failure=3$/m);
  assert.match(block, /^    Readiness:      exec \[sh -c read ver <\/var\/www\/html\/version\.txt\n/m);
  // kubectl's tab writer aligns the lines after the multi-line readiness command anew.
  assert.match(block, /^\] delay=0s timeout=1s period=10s #success=1 #failure=3\n/m);
  assert.match(block, /^    Startup: +tcp-socket :80 delay=5s timeout=1s period=10s #success=1 #failure=6$/m);

  // The startup probe succeeds at its first run (5 s); then readiness fails: no version.txt yet.
  await eventually(async () => (await jsonpath(k, 'web2', '{.status.containerStatuses[0].started}')) === 'true', 30_000, 250);
  const notReady = await eventually(async () => {
    const events = describeEvents((await k.kubectl(['describe', 'pod', 'web2'])).stdout);
    return events.find((e) => e.reason === 'Unhealthy');
  }, 30_000, 500);
  assert.equal(notReady.type, 'Warning');
  assert.match(notReady.message, /^Readiness probe failed: .*version\.txt: No such file or directory/);
  assert.equal((await getPod(k, 'web2'))?.ready, '0/1');
  const version2 = await k.kubectl(['exec', 'web2', '--', 'sh', '-c', 'echo 2 > /var/www/html/version.txt']);
  assert.equal(version2.code, 0, version2.stderr);
  const version3 = await k.kubectl(['exec', 'web2', '--', 'sh', '-c', 'echo 3 > /var/www/html/version.txt']);
  assert.equal(version3.code, 0, version3.stderr);
  await watch.waitFor(/^web2\s+1\/1\s+Running\s+0\s/m, 30_000);

  // Liveness did not run before the startup probe's first run (5 s after the start).
  const served = await k.kubectl(['logs', 'web2', '--timestamps']);
  const startedAt = Date.parse(await jsonpath(k, 'web2', '{.status.containerStatuses[0].state.running.startedAt}'));
  const firstLiveness = served.stdout.split('\n').find((l) => / GET \/info\.php 200 kube-probe\/1\.33$/.test(l));
  assert.ok(firstLiveness, served.stdout);
  assert.ok(Date.parse(firstLiveness.split(' ')[0]) >= startedAt + 4_000, `${firstLiveness} for a container started at ${new Date(startedAt).toISOString()}`);

  // Deletion: Terminating; preStop logs and sleeps 10 s; only then SIGTERM (the stand-in logs it).
  const follow = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'logs', '-f', 'web2'], t);
  await follow.waitFor(/serving \/var\/www\/html on :80/, 10_000);
  const deleting = Date.now();
  const del = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'delete', 'pod', 'web2'], t);
  await watch.waitFor(/^web2\s+\d\/1\s+Terminating\s/m, 15_000);
  const duringPreStop = await eventually(async () => {
    const log = await k.kubectl(['exec', 'web2', '--', 'cat', '/tmp/web.log']);
    return log.code === 0 && log.stdout === 'register service\nderegister service\n' && Date.now();
  }, 15_000, 200);
  assert.ok(!/received SIGTERM/.test(follow.output()), 'SIGTERM comes after preStop');
  await follow.waitFor(/received SIGTERM at (\S+)/, 40_000);
  const termAt = Date.parse(/received SIGTERM at (\S+)/.exec(follow.output())![1]);
  assert.ok(termAt >= duringPreStop - 1_000 && termAt >= deleting + 9_000, `SIGTERM at ${new Date(termAt).toISOString()}, delete at ${new Date(deleting).toISOString()}`);
  await del.waitFor(/pod "web2" deleted/, 40_000);
  assert.ok(Date.now() - deleting < 40_000, 'the deletion respects the 30 s grace period');
  const gone = await k.kubectl(['get', 'pod', 'web2']);
  assert.match(gone.stderr, /pods "web2" not found/);
  const events = await k.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=web2', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
  assert.match(events.stdout, /^Killing: Stopping container web$/m);
  const rows = podRows(watch.output()).filter((r) => r.name === 'web2').map((r) => `${r.ready} ${r.status}`);
  const seen = rows.filter((s, i) => s !== rows[i - 1]);
  assert.deepEqual(seen.filter((s) => s !== '0/1 Pending'), ['0/1 ContainerCreating', '0/1 Running', '1/1 Running', ...seen.slice(seen.indexOf('1/1 Running') + 1)], seen.join(' → '));
  assert.ok(seen.slice(seen.indexOf('1/1 Running') + 1).every((s) => / Terminating$/.test(s)), seen.join(' → '));
});
