// 5,000 pods on 100 nodes through the real scheduling algorithm and cache (no API): every pod is
// placed, no node is overcommitted, and identical pods spread evenly. Time is reported, not asserted.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { labelSelectorFromSpec } from '../../src/api/selectors.js';
import { SchedulingAlgorithm } from '../../src/scheduler/algorithm.js';
import { newPodInfo } from '../../src/scheduler/podinfo.js';
import { makeNode, makePod, makeWorld } from './fixtures.js';

test('5,000 pods × 100 nodes: incremental accounting keeps each decision cheap', (t) => {
  const nodes = Array.from({ length: 100 }, (_, i) => makeNode(`node-${String(i).padStart(3, '0')}`, { cpu: '32', memory: '128Gi', labels: { 'topology.kubernetes.io/zone': `zone-${i % 4}` } }));
  // Every pod belongs to a workload, so the default topology spread scores each one too.
  const world = makeWorld(nodes, [], {}, labelSelectorFromSpec({ matchLabels: { app: 'web' } }));
  const algorithm = new SchedulingAlgorithm(world.framework, world.cache, world.nominator, () => 0.5);
  const started = performance.now();
  for (let i = 0; i < 5000; i++) {
    // One pod in ten is a cache that prefers not to share a node with another cache.
    const app = i % 10 === 0 ? 'cache' : 'web';
    const pod = makePod(`${app}-${i}`, { cpu: '100m', memory: '256Mi', labels: { app } });
    if (app === 'cache') {
      pod.spec.affinity = {
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' } }] },
      };
    }
    const pi = newPodInfo(pod);
    const { host } = algorithm.schedulePod(pi);
    assert.ok(host, `pod ${i} found no node`);
    world.cache.assume(pi, host);
  }
  const elapsed = performance.now() - started;
  t.diagnostic(`scheduled 5000 pods on 100 nodes in ${elapsed.toFixed(0)} ms`);
  const counts = world.cache.nodeInfos().map((n) => n.pods.size);
  assert.equal(counts.reduce((a, b) => a + b, 0), 5000);
  for (const n of world.cache.nodeInfos()) assert.ok(n.requested.milliCpu <= n.allocatable.milliCpu && n.requested.memory <= n.allocatable.memory, `${n.name} is overcommitted`);
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, `uneven spread: ${Math.min(...counts)}..${Math.max(...counts)}`);
});
