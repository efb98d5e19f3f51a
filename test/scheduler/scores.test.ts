// Scores: each plugin's raw and normalized values as upstream computes them, and their weighted sum.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { labelSelectorFromSpec } from '../../src/api/selectors.js';
import { CycleState, type NodeScore, type ScorePlugin } from '../../src/scheduler/framework.js';
import { newPodInfo } from '../../src/scheduler/podinfo.js';
import { imageLocality } from '../../src/scheduler/plugins/imagelocality.js';
import { interPodAffinity } from '../../src/scheduler/plugins/interpodaffinity.js';
import { nodeAffinity } from '../../src/scheduler/plugins/nodeaffinity.js';
import { balancedAllocation, nodeResourcesFit } from '../../src/scheduler/plugins/noderesources.js';
import { podTopologySpread } from '../../src/scheduler/plugins/podtopologyspread.js';
import { taintToleration } from '../../src/scheduler/plugins/tainttoleration.js';
import type { Pod } from '../../src/api/types.js';
import { makeNode, makePod, makeWorld, type World } from './fixtures.js';

/** Runs one score plugin (PreScore, Score, NormalizeScore) over every node of the world. */
function run(world: World, plugin: ScorePlugin, pod: Pod): Record<string, number> | 'skipped' {
  const pi = newPodInfo(pod);
  const state = new CycleState();
  const nodes = world.cache.nodeInfos();
  world.framework.runPreFilters(state, pi, nodes);
  if (plugin.preScore && !plugin.preScore(state, pi, nodes)) return 'skipped';
  const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: plugin.score(state, pi, n) }));
  plugin.normalize?.(state, pi, scores);
  return Object.fromEntries(scores.map((s) => [s.name, s.score]));
}

test('LeastAllocated and BalancedAllocation, with non-zero requests for LeastAllocated', () => {
  const world = makeWorld([makeNode('a'), makeNode('b')], [makePod('busy', { nodeName: 'b', cpu: '2', memory: '1Gi' })]);
  const pod = makePod('p', { cpu: '1', memory: '2Gi' });
  assert.deepEqual(run(world, nodeResourcesFit, pod), { a: 75, b: 43 });
  assert.deepEqual(run(world, balancedAllocation, pod), { a: 100, b: 81 });
  // A best-effort pod is scored with the 100m / 200Mi defaults by LeastAllocated and not at all by BalancedAllocation.
  assert.deepEqual(run(world, nodeResourcesFit, makePod('be')), { a: 97, b: 66 });
  assert.equal(run(world, balancedAllocation, makePod('be')), 'skipped');
  // Weighted sum: TaintToleration 3 × 100 (nothing to avoid) + LeastAllocated + BalancedAllocation; ImageLocality 0.
  assert.deepEqual(Object.fromEntries(world.scores(pod)), { a: 475, b: 424 });
});

test('TaintToleration prefers nodes with fewer untolerated PreferNoSchedule taints', () => {
  const prefer = (key: string) => ({ key, effect: 'PreferNoSchedule' as const });
  const world = makeWorld([makeNode('two', { taints: [prefer('x'), prefer('y')] }), makeNode('one', { taints: [prefer('x')] }), makeNode('none')]);
  assert.deepEqual(run(world, taintToleration, makePod('p')), { two: 0, one: 50, none: 100 });
  assert.deepEqual(run(world, taintToleration, makePod('t', { tolerations: [{ key: 'y', operator: 'Exists' }] })), { two: 0, one: 0, none: 100 });
});

test('NodeAffinity sums the weights of matching preferred terms, normalized to the best node', () => {
  const world = makeWorld([makeNode('a', { labels: { disk: 'ssd', gen: 'new' } }), makeNode('b', { labels: { gen: 'new' } }), makeNode('c')]);
  const affinity = {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 60, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
        { weight: 20, preference: { matchExpressions: [{ key: 'gen', operator: 'Exists' }] } },
      ],
    },
  };
  assert.deepEqual(run(world, nodeAffinity, makePod('p', { affinity })), { a: 100, b: 25, c: 0 });
  assert.equal(run(world, nodeAffinity, makePod('q')), 'skipped');
});

test('InterPodAffinity scores preferred terms of the pod and the existing pods per topology', () => {
  const zone = (z: string) => ({ labels: { 'topology.kubernetes.io/zone': z } });
  const nodes = () => [makeNode('a1', zone('a')), makeNode('a2', zone('a')), makeNode('b1', zone('b'))];
  const world = makeWorld(nodes(), [makePod('cache', { nodeName: 'a1', labels: { app: 'cache' } })]);
  const term = { labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'topology.kubernetes.io/zone' };
  const plugin = interPodAffinity(world.handle);
  assert.deepEqual(run(world, plugin, makePod('near', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term }] } } })), { a1: 100, a2: 100, b1: 0 });
  assert.deepEqual(run(world, plugin, makePod('far', { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term }] } } })), { a1: 0, a2: 0, b1: 100 });
  // The existing pod's required affinity attracts matching pods with the hard weight.
  const attracting = makeWorld(nodes(), [
    makePod('web', { nodeName: 'b1', labels: { app: 'web' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'topology.kubernetes.io/zone' }] } } }),
  ]);
  assert.deepEqual(run(attracting, interPodAffinity(attracting.handle), makePod('db', { labels: { app: 'db' } })), { a1: 0, a2: 0, b1: 100 });
  assert.equal(run(attracting, interPodAffinity(attracting.handle), makePod('other')), 'skipped');
});

test('PodTopologySpread ScheduleAnyway and the default spread prefer emptier domains', () => {
  const pods = [makePod('w1', { nodeName: 'n1', labels: { app: 'web' } }), makePod('w2', { nodeName: 'n1', labels: { app: 'web' } }), makePod('w3', { nodeName: 'n2', labels: { app: 'web' } })];
  const world = makeWorld([makeNode('n1'), makeNode('n2'), makeNode('n3')], pods);
  const soft = [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } }];
  const plugin = podTopologySpread(world.handle);
  assert.deepEqual(run(world, plugin, makePod('w4', { labels: { app: 'web' }, topologySpreadConstraints: soft })), { n1: 0, n2: 33, n3: 100 });
  assert.equal(run(world, plugin, makePod('w4', { labels: { app: 'web' } })), 'skipped', 'no constraints and no Service or controller: no default spread');
  const owned = makeWorld([makeNode('n1'), makeNode('n2'), makeNode('n3')], pods, {}, labelSelectorFromSpec({ matchLabels: { app: 'web' } }));
  // hostname (skew 3) and zone (skew 5) defaults; no node has a zone, so only the hostname counts.
  assert.deepEqual(run(owned, podTopologySpread(owned.handle), makePod('w4', { labels: { app: 'web' } })), { n1: 40, n2: 60, n3: 100 });
});

test('ImageLocality scales image sizes by how many nodes hold them', () => {
  const mb = 1024 * 1024;
  const world = makeWorld([makeNode('a', { images: [{ names: ['nginx:latest'], sizeBytes: 500 * mb }] }), makeNode('b')]);
  assert.deepEqual(run(world, imageLocality(world.handle), makePod('p', { image: 'nginx' })), { a: 23, b: 0 });
  assert.deepEqual(run(world, imageLocality(world.handle), makePod('q', { image: 'redis' })), { a: 0, b: 0 });
});
