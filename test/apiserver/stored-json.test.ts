// The stored JSON built per write, and the same text with its resourceVersion, are byte for byte
// what JSON.stringify gives for the object without and with metadata.resourceVersion.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringifyStored, withResourceVersion } from '../../src/apiserver/stored-json.js';
import { CacheHub } from '../../src/apiserver/watch-cache.js';
import { MemoryStore } from '../../src/store/memory/index.js';
import type { KubeObject } from '../../src/api/types.js';

const objects: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'ns', labels: { app: 'x' } }, spec: { nodeName: 'n1', containers: [] }, status: {} },
  { metadata: {} } as KubeObject,
  { kind: 'ConfigMap', metadata: { name: 'é "quoted" \u2028', annotations: { '1': 'x', b: 'y' } }, data: { '2': 'z', skipped: undefined } } as unknown as KubeObject,
  { apiVersion: 'v1', kind: 'List', items: [] } as unknown as KubeObject,
  { metadata: { name: 'n', finalizers: ['f'] }, extra: null, spec: { n: -0, big: 1e21, nested: [{ a: undefined }] } } as unknown as KubeObject,
];

test('stringifyStored is JSON.stringify, and withResourceVersion appends the resourceVersion to metadata', () => {
  for (const obj of objects) {
    const stored = stringifyStored(obj);
    assert.equal(stored.text, JSON.stringify(obj));
    const withRv = structuredClone(obj);
    if (!withRv.metadata) {
      assert.equal(stored.metadataEnd, -1);
      assert.equal(withResourceVersion(stored, 7), undefined);
      continue;
    }
    withRv.metadata.resourceVersion = '42';
    assert.equal(withResourceVersion(stored, 42), JSON.stringify(withRv));
  }
});

test('the watch cache holds the same JSON, labels and fields for an announced write as for a parsed one', async () => {
  const store = new MemoryStore();
  const hub = new CacheHub(store, '/registry/');
  const pods = hub.cache('/registry/core/pods/');
  await hub.start();
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'ns', labels: { app: 'x' } }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } } as KubeObject;
  const stored = stringifyStored(pod);
  hub.expectWrite('/registry/core/pods/ns/a', stored, pod);
  const kv = await store.create('/registry/core/pods/ns/a', stored.text);
  const announced = pods.objects.get('/registry/core/pods/ns/a')!;
  await store.create('/registry/core/pods/ns/b', stored.text.replace('"name":"a"', '"name":"b"'));
  const parsed = pods.objects.get('/registry/core/pods/ns/b')!;
  assert.equal(announced.json, JSON.stringify({ ...pod, metadata: { ...pod.metadata, resourceVersion: String(kv.modRevision) } }));
  assert.deepEqual(announced.object, JSON.parse(announced.json));
  assert.equal(announced.json.replace('"name":"a"', '"name":"b"').replace(`"${kv.modRevision}"`, `"${parsed.revision}"`), parsed.json);
  assert.deepEqual(announced.labels, parsed.labels);
  assert.deepEqual({ ...announced.fields, 'metadata.name': 'b' }, parsed.fields);
  assert.equal(announced.fields['spec.nodeName'], 'n1');
  assert.equal(announced.fields['status.phase'], 'Running');
  hub.stop();
  await store.close();
});
