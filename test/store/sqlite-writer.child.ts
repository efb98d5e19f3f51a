// A writer to be killed: opens the store in the directory given as argument and creates keys with
// 32 writes in flight, printing `<key> <revision>` for each acknowledged one, until it is killed.

import { openSqliteStore } from '../../src/store/sqlite/index.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: sqlite-writer.child.js <data directory>');
const store = await openSqliteStore({ path: dir });
const prefix = process.argv[3] ?? '/d/';
let next = 0;

async function writer(): Promise<never> {
  for (;;) {
    const key = `${prefix}${String(next++).padStart(8, '0')}`;
    const kv = await store.create(key, JSON.stringify({ key, payload: 'x'.repeat(200) }));
    process.stdout.write(`${kv.key} ${kv.modRevision}\n`);
  }
}

await Promise.all(Array.from({ length: 32 }, () => writer()));
