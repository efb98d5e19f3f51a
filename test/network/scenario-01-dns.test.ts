// Scenario 01 (shared/scenarios/README.md): two init containers wait, in order, until the Services
// myservice and mydb resolve in cluster DNS; the app starts once both Services are applied. The
// manifests are the scenario's, unmodified, through the real kubectl, on real processes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/cluster.js';
import { networkCluster } from './network-support.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/scenarios/', import.meta.url));
const manifest = (name: string) => readFileSync(`${fixtures}${name}`, 'utf8');

async function podStatus(k: Awaited<ReturnType<typeof networkCluster>>): Promise<string | undefined> {
  const r = await k.kubectl(['get', 'pod', 'app-pod', '--no-headers']);
  return r.code === 0 ? r.stdout.trim().split(/\s+/).slice(1, 3).join(' ') : undefined;
}

test('01: app-pod stays Init:0/2 until the Services exist in DNS, then runs', async (t) => {
  const k = await networkCluster(t);
  const pod = await k.kubectl(['apply', '-f', '-'], { stdin: manifest('01-init-waits-for-services.yaml') });
  assert.equal(pod.code, 0, pod.stderr);
  assert.equal(pod.stdout.trim(), 'pod/app-pod created');

  // The first init container runs and keeps failing its lookup.
  await eventually(async () => {
    const logs = await k.kubectl(['logs', 'app-pod', '-c', 'init-myservice']);
    return (logs.stdout.match(/^waiting for myservice$/gm) ?? []).length >= 2;
  }, 60_000);
  assert.equal(await podStatus(k), '0/1 Init:0/2');
  const app = await k.kubectl(['logs', 'app-pod', '-c', 'myapp-container']);
  assert.notEqual(app.code, 0, 'the app container must not have started');

  const services = await k.kubectl(['apply', '-f', '-'], { stdin: manifest('01-services.yaml') });
  assert.equal(services.code, 0, services.stderr);
  assert.equal(services.stdout.trim(), 'service/myservice created\nservice/mydb created');

  await eventually(async () => (await podStatus(k)) === '1/1 Running', 60_000, 250);
  const logs = await k.kubectl(['logs', 'app-pod']);
  assert.equal(logs.stdout.trim(), 'The app is running!');
  const mydb = await k.kubectl(['logs', 'app-pod', '-c', 'init-mydb']);
  assert.equal(mydb.code, 0, mydb.stderr);
  // busybox's nslookup prints the Service's ClusterIP once it resolves.
  const ip = (await k.kubectl(['get', 'service', 'mydb', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
  assert.ok(mydb.stdout.includes(ip), mydb.stdout);
});
