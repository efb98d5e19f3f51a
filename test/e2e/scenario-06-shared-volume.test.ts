// Scenario 06 (shared/scenarios/README.md): two containers share a hostPath volume and the pod's
// network; debian writes index.html and exits 0, and under restartPolicy Always is restarted with
// back-off while nginx serves the file. The hostPath is a temporary directory instead of /data.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnCollect, eventually, run } from '../helpers/cluster.js';
import { scenarioCluster, scenario, podRows, jsonpath } from './scenario-support.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

const HELLO = 'Hello from the debian container !\n';

function withHostPath(text: string, dir: string): string {
  const out = text.replace('      path: /data\n', `      path: ${dir}\n`);
  if (out === text) throw new Error('scenario 06 changed');
  return out;
}

test('06: two containers share a hostPath volume and localhost; the exiting one backs off', async (t) => {
  const k = await scenarioCluster(t);
  const data = mkdtempSync(join(tmpdir(), 'k8ts-06-data-'));
  const data2 = mkdtempSync(join(tmpdir(), 'k8ts-06-data-'));
  t.after(() => {
    safeRemoveSync(data, { unmount: true });
    safeRemoveSync(data2, { unmount: true });
  });
  const watch = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'get', 'pods', '-n', 'name01', '-w'], t);
  const applied = await k.kubectl(['apply', '-f', k.manifest('06.yaml', withHostPath(scenario('06-shared-volume-two-containers.yaml'), data))]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout.trim(), 'namespace/name01 created\npod/two-contrains created');

  // A variant whose debian container, after writing, fetches the page from nginx over localhost.
  const [, pod] = scenario('06-shared-volume-two-containers.yaml').split(/^---\n/m);
  const viaLocalhost = withHostPath(pod, data2)
    .replace('name: two-contrains', 'name: two-contrains-localhost')
    .replace('"echo Hello from the debian container ! > /pod-data/index.html"', '"echo Hello from the debian container ! > /pod-data/index.html; until wget -qO- http://localhost/; do sleep 0.5; done"');
  assert.match(viaLocalhost, /wget -qO- http:\/\/localhost\//);
  const second = await k.kubectl(['apply', '-f', k.manifest('06-localhost.yaml', viaLocalhost)]);
  assert.equal(second.code, 0, second.stderr);

  // Exit 0, an immediate restart, exit 0 again: then 10 s of back-off. The seed saw STATUS
  // `Completed` between back-offs; kubectl 1.33 prints `NotReady` when a Completed container sits
  // beside a running one in a pod that is not Ready (printers.go, shared/spec/pod-lifecycle.md §10.2).
  await watch.waitFor(/^two-contrains\s+1\/2\s+CrashLoopBackOff\s+1 \(\d+s ago\)\s/m, 60_000);
  await watch.waitFor(/^two-contrains\s+1\/2\s+CrashLoopBackOff\s+2 \(\d+s ago\)\s/m, 60_000);
  const rows = podRows(watch.output()).filter((r) => r.name === 'two-contrains').map((r) => `${r.ready} ${r.status}`);
  const seen = rows.filter((s, i) => s !== rows[i - 1]);
  // From the first exit on: a restarted debian container may be seen running for a moment (2/2 Running)
  // before it exits again; apart from that, NotReady and CrashLoopBackOff alternate.
  const firstExit = seen.indexOf('1/2 NotReady');
  assert.ok(firstExit > 0, seen.join(' → '));
  const backingOff = seen.slice(firstExit).filter((s) => s !== '2/2 Running').filter((s, i, all) => s !== all[i - 1]);
  assert.ok(backingOff.length >= 4, seen.join(' → '));
  backingOff.forEach((s, i) => assert.equal(s, i % 2 === 0 ? '1/2 NotReady' : '1/2 CrashLoopBackOff', seen.join(' → ')));
  assert.ok(seen.slice(0, firstExit).every((s) => ['0/2 Pending', '0/2 ContainerCreating', '2/2 Running'].includes(s)), seen.join(' → '));
  assert.equal(
    await jsonpath(k, 'two-contrains', '{.status.containerStatuses[*].name} {.status.containerStatuses[0].lastState.terminated.reason}/{.status.containerStatuses[0].lastState.terminated.exitCode} {.status.containerStatuses[1].state.running.startedAt}', 'name01').then((s) => s.replace(/\S+$/, (t) => (Date.parse(t) > 0 ? 'running' : t))),
    'debian-container nginx-controller Completed/0 running',
  );

  // nginx serves what debian wrote into the shared host directory, at the pod's IP.
  assert.equal(readFileSync(join(data, 'index.html'), 'utf8'), HELLO);
  const ip = await jsonpath(k, 'two-contrains', '{.status.podIP}', 'name01');
  assert.match(ip, /^10\.\d+\.\d+\.\d+$/);
  const page = await run('curl', ['-sS', '--max-time', '5', `http://${ip}/`]);
  assert.equal(page.code, 0, page.stderr);
  assert.equal(page.stdout, HELLO);

  // One network namespace: localhost in the debian container reaches nginx.
  const fetched = await eventually(async () => {
    for (const previous of [false, true]) {
      const r = await k.kubectl(['logs', 'two-contrains-localhost', '-n', 'name01', '-c', 'debian-container', ...(previous ? ['--previous'] : [])]);
      if (r.code === 0 && r.stdout.includes(HELLO)) return r.stdout;
    }
    return false;
  }, 60_000, 500);
  assert.equal(fetched, HELLO);
});
