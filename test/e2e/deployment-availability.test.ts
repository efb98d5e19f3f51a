// A rolling update on real pods: a Deployment of 3 replicas rolling with
// maxSurge 1 and maxUnavailable 0 never has fewer than 3 available pods. Readiness comes from a
// real HTTP readiness probe on the process runtime, and a watch on the pods checks every change.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/cluster.js';
import { scenarioCluster } from './scenario-support.js';
import type { Pod } from '../../src/api/types.js';

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: nginx
        image: nginx
        readinessProbe:
          httpGet: { path: /, port: 80 }
          periodSeconds: 1
`;

function isAvailable(pod: Pod): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

test('a rolling update with maxSurge 1 and maxUnavailable 0 keeps 3 pods available throughout', async (t) => {
  const k = await scenarioCluster(t);
  const kubectl = async (...args: string[]) => {
    const r = await k.kubectl(args, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await kubectl('apply', '-f', k.manifest('web.yaml', manifest));
  assert.match(await kubectl('rollout', 'status', 'deployment/web', '--timeout=90s'), /successfully rolled out/);

  // From here on, every pod change is checked against the floor.
  const pods = new Map<string, Pod>();
  const list = await k.client.request<{ items: Pod[]; metadata: { resourceVersion: string } }>('GET', '/api/v1/namespaces/default/pods', { query: { labelSelector: 'app=web' } });
  for (const p of list.items) pods.set(p.metadata.name!, p);
  const available = () => [...pods.values()].filter(isAvailable).length;
  assert.equal(available(), 3, 'all three available before the rollout');
  let lowest = available();
  let highestTotal = pods.size;
  let changes = 0;
  const watch = k.client.watch<Pod>('/api/v1/namespaces/default/pods', { labelSelector: 'app=web', resourceVersion: list.metadata.resourceVersion }, (e) => {
    if (e.type === 'BOOKMARK' || e.type === 'ERROR') return;
    changes++;
    if (e.type === 'DELETED') pods.delete(e.object.metadata.name!);
    else pods.set(e.object.metadata.name!, e.object);
    lowest = Math.min(lowest, available());
    highestTotal = Math.max(highestTotal, [...pods.values()].filter((p) => !p.metadata.deletionTimestamp).length);
  });
  t.after(() => watch.stop());

  const before = new Set(pods.keys());
  await kubectl('set', 'env', 'deployment/web', 'RELEASE=2');
  assert.match(await kubectl('rollout', 'status', 'deployment/web', '--timeout=120s'), /successfully rolled out/);
  // The old pods end their grace period after the rollout is reported; wait until the watch saw them go.
  await eventually(() => [...pods.keys()].every((name) => !before.has(name)), 60_000);
  watch.stop();

  const after = [...pods.values()];
  assert.equal(after.length, 3);
  assert.ok(after.every((p) => p.spec.containers[0]!.env?.some((e) => e.name === 'RELEASE' && e.value === '2')), 'every pod runs the new template');
  assert.ok(changes > 6, `the watch saw the rollout (${changes} changes)`);
  assert.ok(highestTotal <= 4, `never more than replicas + maxSurge pods (saw ${highestTotal})`);
  assert.equal(lowest, 3, 'never fewer than 3 available pods');
});
