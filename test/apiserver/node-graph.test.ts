import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeGraph } from '../../src/apiserver/auth/node-graph.js';
import type { Pod } from '../../src/api/types.js';

function pod(uid: string, node: string, secret: string, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'ns', uid },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'i', envFrom: [{ secretRef: { name: secret } }] }], ...extra },
  } as Pod;
}

test('the graph follows a pod through status writes, a new ephemeral container, a new node and a new uid', () => {
  const g = new NodeGraph();
  g.setPod(pod('u1', 'n1', 's1'));
  assert.equal(g.relates('n1', 'secret', 'ns', 's1'), true);
  // A later write of the same pod (its status) keeps the edges.
  g.setPod({ ...pod('u1', 'n1', 's1'), status: { phase: 'Running' } } as Pod);
  assert.equal(g.relates('n1', 'secret', 'ns', 's1'), true);
  assert.equal(g.relates('n1', 'pod', 'ns', 'web'), true);
  // An ephemeral container may name a secret the pod did not.
  g.setPod(pod('u1', 'n1', 's1', { ephemeralContainers: [{ name: 'debug', image: 'i', envFrom: [{ secretRef: { name: 'debug-secret' } }] }] }));
  assert.equal(g.relates('n1', 'secret', 'ns', 'debug-secret'), true);
  // Another incarnation of the pod (new uid) on another node moves every edge.
  g.setPod(pod('u2', 'n2', 's2'));
  assert.equal(g.relates('n1', 'secret', 'ns', 's1'), false);
  assert.equal(g.relates('n1', 'secret', 'ns', 'debug-secret'), false);
  assert.equal(g.relates('n2', 'secret', 'ns', 's2'), true);
  assert.equal(g.nodeOfPod('ns', 'web'), 'n2');
  g.removePod(pod('u2', 'n2', 's2'));
  assert.equal(g.relates('n2', 'secret', 'ns', 's2'), false);
  assert.equal(g.nodeOfPod('ns', 'web'), undefined);
});
