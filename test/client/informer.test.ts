import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from '../../src/client/client.js';
import { Informer } from '../../src/client/informer.js';
import { scriptedApi } from '../helpers/tls-server.js';
import type { KubeObject } from '../../src/api/types.js';

const CONFIG_MAPS = ApiClient.resourceOf('v1', 'ConfigMap');
const managed = [{ manager: 'test', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }];
const object = (name: string, rv: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', resourceVersion: rv, managedFields: managed }, data: { k: name } });

/** An API on a free port: a list of one object, then a watch that adds a second and stays open. */
const api = () =>
  scriptedApi('informer-test', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (!new URL(req.url!, 'https://x').searchParams.has('watch')) res.end(JSON.stringify({ kind: 'ConfigMapList', metadata: { resourceVersion: '1' }, items: [object('listed', '1')] }));
    else res.write(`${JSON.stringify({ type: 'ADDED', object: object('watched', '2') })}\n`);
  });

test('an informer with dropManagedFields keeps listed and watched objects without managedFields; one without keeps them', async () => {
  const s = await api();
  const dropping = new Informer<KubeObject>(s.client, CONFIG_MAPS, { namespace: 'default', dropManagedFields: true });
  const keeping = new Informer<KubeObject>(s.client, CONFIG_MAPS, { namespace: 'default' });
  try {
    const added: KubeObject[] = [];
    dropping.on({ add: (o) => added.push(o) }).start();
    keeping.start();
    await Promise.all([dropping.synced, keeping.synced]);
    for (let i = 0; i < 200 && (dropping.items.size < 2 || keeping.items.size < 2); i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual([...dropping.items.keys()].sort(), ['default/listed', 'default/watched']);
    for (const o of [...dropping.items.values(), ...added]) assert.equal(o.metadata.managedFields, undefined);
    assert.equal(added.length, 2);
    assert.equal(dropping.get('default', 'watched')?.metadata.resourceVersion, '2');
    assert.equal(keeping.items.size, 2);
    for (const o of keeping.items.values()) assert.deepEqual(o.metadata.managedFields, managed);
  } finally {
    dropping.stop();
    keeping.stop();
    await s.close();
  }
});
