// The watch cache keeps its keys in order through adds and deletes, and answers resumes from its
// bounded history.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceCache, decodeStored, type CacheEvent } from '../../src/apiserver/watch-cache.js';

function put(key: string, revision: number, previous?: CacheEvent['current']): CacheEvent {
  const current = decodeStored(key, JSON.stringify({ metadata: { name: key } }), revision);
  return { type: previous ? 'MODIFIED' : 'ADDED', current, ...(previous ? { previous } : {}), revision };
}

test('keys stay sorted through interleaved adds and deletes', () => {
  const cache = new ResourceCache('/registry/core/configmaps/', 100);
  const live = new Set<string>();
  let revision = 0;
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 2000; i++) {
    const key = `/registry/core/configmaps/ns/k${Math.floor(random() * 300)}`;
    cache.keys(); // keep the sorted list materialised so updates go through insertion and removal
    const existing = cache.objects.get(key);
    if (existing && random() < 0.5) {
      cache.apply({ type: 'DELETED', current: existing, previous: existing, revision: ++revision });
      live.delete(key);
    } else {
      cache.apply(put(key, ++revision, existing));
      live.add(key);
    }
  }
  assert.deepEqual(cache.keys(), [...live].sort());
});

test('history answers resumes within its bound and refuses older ones', () => {
  const cache = new ResourceCache('/registry/core/configmaps/', 3);
  cache.setInitial([], 10);
  for (let r = 11; r <= 15; r++) cache.apply(put(`/registry/core/configmaps/ns/k${r}`, r));
  assert.equal(cache.eventsSince(11), undefined);
  assert.deepEqual(cache.eventsSince(12)!.map((e) => e.revision), [13, 14, 15]);
  assert.deepEqual(cache.eventsSince(15), []);
});

test('pods are indexed by spec.nodeName through binds, moves and deletes, in key order', () => {
  const cache = new ResourceCache('/registry/core/pods/', 100);
  const pod = (name: string, revision: number, nodeName?: string) =>
    decodeStored(`/registry/core/pods/ns/${name}`, JSON.stringify({ metadata: { name, namespace: 'ns' }, spec: nodeName ? { nodeName } : {} }), revision);
  cache.setInitial([pod('b', 1, 'n1'), pod('a', 1)], 1);
  assert.deepEqual(cache.keysOnNode('n1'), ['/registry/core/pods/ns/b']);
  assert.deepEqual(cache.keysOnNode(''), ['/registry/core/pods/ns/a']);
  // Binding a moves it from the unbound pods to n1.
  cache.apply({ type: 'MODIFIED', current: pod('a', 2, 'n1'), previous: cache.objects.get('/registry/core/pods/ns/a'), revision: 2 });
  assert.deepEqual(cache.keysOnNode('n1'), ['/registry/core/pods/ns/a', '/registry/core/pods/ns/b']);
  assert.deepEqual(cache.keysOnNode(''), []);
  cache.apply({ type: 'ADDED', current: pod('c', 3, 'n2'), revision: 3 });
  cache.apply({ type: 'DELETED', current: pod('b', 4, 'n1'), previous: cache.objects.get('/registry/core/pods/ns/b'), revision: 4 });
  assert.deepEqual(cache.keysOnNode('n1'), ['/registry/core/pods/ns/a']);
  assert.deepEqual(cache.keysOnNode('n2'), ['/registry/core/pods/ns/c']);
  // Other resources keep no such index.
  assert.equal(new ResourceCache('/registry/core/configmaps/', 10).keysOnNode('n1'), undefined);
});
