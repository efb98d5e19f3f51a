// Preemption: victims per node (fewest, least important, PDBs last), the choice of node, and the
// PostFilter messages.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { Pod } from '../../src/api/types.js';
import { fitErrorMessage } from '../../src/scheduler/framework.js';
import { newPodInfo } from '../../src/scheduler/podinfo.js';
import { DefaultPreemption, pickOneNodeForPreemption, splitByPDBViolation, type PodDisruptionBudget } from '../../src/scheduler/preemption.js';
import { makeNode, makePod, makeWorld, type World } from './fixtures.js';

function preempt(world: World, pod: Pod, pdbs: PodDisruptionBudget[] = []) {
  const { diagnosis, state, pi } = world.filter(pod);
  const p = new DefaultPreemption(world.framework, world.cache, world.nominator, () => pdbs);
  const outcome = p.preempt(state, pi, diagnosis, world.cache.nodeInfos().length);
  diagnosis.postFilterMsg = outcome.message;
  return { outcome, message: fitErrorMessage(world.cache.nodeInfos().length, diagnosis), victims: outcome.candidate?.victims.map((v) => v.pod.metadata.name) };
}

test('the fewest, least important victims: lower-priority pods are reprieved most important first', () => {
  const world = makeWorld(
    [makeNode('n', { cpu: '4' })],
    [makePod('p10', { nodeName: 'n', cpu: '1', priority: 10 }), makePod('p5', { nodeName: 'n', cpu: '1', priority: 5 }), makePod('p1', { nodeName: 'n', cpu: '2', priority: 1 }), makePod('peer', { nodeName: 'n', cpu: '0', priority: 100 })],
  );
  const r = preempt(world, makePod('urgent', { cpu: '2', priority: 100 }));
  assert.equal(r.outcome.candidate?.node, 'n');
  assert.deepEqual(r.victims, ['p1']);
  assert.equal(r.message, '0/1 nodes are available: 1 Insufficient cpu.');
});

test('the node whose most important victim matters least is chosen, then the one with fewer victims', () => {
  const world = makeWorld(
    [makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' }), makeNode('c', { cpu: '1' })],
    [
      makePod('a-mid', { nodeName: 'a', cpu: '1', priority: 50 }),
      makePod('b-low1', { nodeName: 'b', cpu: '500m', priority: 1 }),
      makePod('b-low2', { nodeName: 'b', cpu: '500m', priority: 1 }),
      makePod('c-low', { nodeName: 'c', cpu: '1', priority: 1 }),
    ],
  );
  const r = preempt(world, makePod('urgent', { cpu: '1', priority: 100 }));
  assert.equal(r.outcome.candidate?.node, 'c');
  assert.deepEqual(r.victims, ['c-low']);
});

test('PodDisruptionBudgets: a node whose victims violate no budget wins; violators are reprieved first', () => {
  const pdb: PodDisruptionBudget = { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0 } };
  const pods = [makePod('db', { nodeName: 'a', cpu: '1', labels: { app: 'db' } }), makePod('batch', { nodeName: 'b', cpu: '1', labels: { app: 'batch' }, priority: 5 })];
  const world = makeWorld([makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' })], pods);
  assert.equal(preempt(world, makePod('urgent', { cpu: '1', priority: 100 }), [pdb]).outcome.candidate?.node, 'b', 'even though batch has the higher priority');
  assert.equal(preempt(world, makePod('urgent', { cpu: '1', priority: 100 })).outcome.candidate?.node, 'a', 'without the budget, the lower priority loses');
  const [violating, ok] = splitByPDBViolation(
    [newPodInfo(makePod('db-0', { labels: { app: 'db' } })), newPodInfo(makePod('db-1', { labels: { app: 'db' } })), newPodInfo(makePod('x', { labels: { app: 'x' } }))],
    [{ ...pdb, status: { disruptionsAllowed: 1 } }],
  );
  assert.deepEqual(violating.map((p) => p.pod.metadata.name), ['db-1']);
  assert.deepEqual(ok.map((p) => p.pod.metadata.name), ['db-0', 'x']);
});

test('PostFilter messages: not helpful, no victims, preemptionPolicy Never, terminating victims on the nominated node', () => {
  const world = makeWorld(
    [makeNode('tainted', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), makeNode('peers', { cpu: '1' })],
    [makePod('peer', { nodeName: 'peers', cpu: '1', priority: 100 })],
  );
  assert.equal(
    preempt(world, makePod('p', { cpu: '1', priority: 100 })).message,
    '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
  );
  assert.equal(
    preempt(world, makePod('never', { cpu: '1', priority: 1000, preemptionPolicy: 'Never' })).message,
    '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: }. preemption: not eligible due to preemptionPolicy=Never.',
  );
  const bigger = preempt(world, makePod('huge', { cpu: '2', priority: 1000 }));
  assert.equal(bigger.message, '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: }. preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 Preemption is not helpful for scheduling.');
  assert.equal(bigger.outcome.nominatedNodeName, '', 'a previous nomination is cleared');

  const victim = makePod('victim', { nodeName: 'peers', cpu: '1', priority: 1 });
  victim.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  victim.status!.conditions = [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }];
  const waiting = makeWorld([makeNode('peers', { cpu: '1' })], [victim]);
  const nominee = makePod('nominee', { cpu: '1', priority: 100 });
  nominee.status!.nominatedNodeName = 'peers';
  assert.equal(preempt(waiting, nominee).message, '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node.');
});

test('victims are found through inter-pod anti-affinity: the PreFilter state follows removed pods', () => {
  const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'noisy' } }, topologyKey: 'kubernetes.io/hostname' }] } };
  const world = makeWorld([makeNode('n')], [makePod('noisy', { nodeName: 'n', labels: { app: 'noisy' }, priority: 1 }), makePod('quiet', { nodeName: 'n', priority: 1 })]);
  const r = preempt(world, makePod('picky', { affinity: anti, priority: 10 }));
  assert.equal(r.message, "0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules.");
  assert.deepEqual(r.victims, ['noisy']);
});

test('pickOneNodeForPreemption: latest start time among equal candidates', () => {
  const v = (name: string, startTime: string) => newPodInfo(makePod(name, { priority: 1, startTime }));
  const picked = pickOneNodeForPreemption([
    { node: 'old', victims: [v('o', '2026-01-01T00:00:00Z')], numPDBViolations: 0 },
    { node: 'young', victims: [v('y', '2026-01-02T00:00:00Z')], numPDBViolations: 0 },
  ]);
  assert.equal(picked.node, 'young');
});
