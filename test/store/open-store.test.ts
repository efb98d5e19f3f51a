import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type StoreOptions } from '../../src/store/index.js';

test('openStore opens the memory backend', async () => {
  const store = await openStore({ backend: 'memory' });
  try {
    assert.equal(store.name, 'memory');
    assert.equal((await store.create('/a', '1')).modRevision, 1);
  } finally {
    await store.close();
  }
});

test('openStore opens the sqlite backend in a data directory it creates', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'k8ts-open-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'data');
  const store = await openStore({ backend: 'sqlite', path: dir, synchronous: 'normal' });
  try {
    assert.equal(store.name, 'sqlite');
    assert.ok(existsSync(join(dir, 'store.db')));
    assert.equal((await store.create('/a', '1')).value, '1');
  } finally {
    await store.close();
  }
});

test('openStore refuses an unknown backend by name', async () => {
  await assert.rejects(openStore({ backend: 'zookeeper' } as unknown as StoreOptions), /unknown store backend "zookeeper"/);
});
