import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/store/memory/index.js';
import { compareKeys, prefixEnd } from '../../src/store/memory/keys.js';
import { SortedKeys } from '../../src/store/memory/sorted-keys.js';
import { FakeClock } from '../../src/util/clock.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('memory', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});

describe('key order', () => {
  const utf8 = (s: string) => Buffer.from(s, 'utf8');

  test('compareKeys agrees with UTF-8 byte order', () => {
    const samples = ['', 'a', 'ab', 'b', '/a/b', '/a/b/', '/a/bc', '\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{1F600}', '\u{10FFFF}', 'a\u{1F600}', 'a\uFFFD'];
    for (const a of samples) {
      for (const b of samples) {
        assert.equal(Math.sign(compareKeys(a, b)), Math.sign(Buffer.compare(utf8(a), utf8(b))), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    }
  });

  test('prefixEnd bounds exactly the keys with the prefix', () => {
    assert.equal(prefixEnd('/a/'), '/a0');
    assert.equal(prefixEnd(''), undefined);
    assert.equal(prefixEnd('\u{10FFFF}'), undefined);
    assert.equal(prefixEnd('a\u{10FFFF}'), 'b');
    assert.equal(prefixEnd('a\ud7ff'), 'a\ue000');
    const end = prefixEnd('/a/b/')!;
    for (const k of ['/a/b/', '/a/b/x', '/a/b/\u{10FFFF}\u{10FFFF}']) assert.ok(compareKeys(k, end) < 0, k);
    for (const k of ['/a/b0', '/a/bc', '/a/c']) assert.ok(compareKeys(k, end) >= 0, k);
  });
});

describe('SortedKeys', () => {
  test('matches a sorted array through random inserts, deletes, seeks and counts', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const set = new SortedKeys();
    const model = new Set<string>();
    const key = () => `/k/${Math.floor(random() * 3000).toString(36)}`;
    for (let i = 0; i < 20000; i++) {
      const k = key();
      if (random() < 0.65) assert.equal(set.add(k), !model.has(k)), model.add(k);
      else assert.equal(set.delete(k), model.delete(k));
    }
    const sorted = [...model].sort(compareKeys);
    assert.equal(set.size, sorted.length);
    assert.deepEqual([...set.from('', false)], sorted);
    for (let i = 0; i < 200; i++) {
      const from = key();
      const exclusive = random() < 0.5;
      const expected = sorted.filter((k) => (exclusive ? compareKeys(k, from) > 0 : compareKeys(k, from) >= 0));
      assert.deepEqual([...set.from(from, exclusive)], expected);
      const end = key();
      const between = expected.filter((k) => compareKeys(k, end) < 0).length;
      assert.equal(set.countBetween(from, exclusive, end), between);
    }
  });
});

describe('memory retention', () => {
  test('compacts revisions older than retainMs on the clock', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock, retainMs: 60_000, retainRevisions: 1_000_000, compactIntervalMs: 10_000 });
    try {
      const a = await store.create('/r/a', '0');
      let kv = a;
      for (let i = 1; i <= 10; i++) kv = await store.update('/r/a', `${i}`, kv.modRevision);
      const old = kv.modRevision;
      await clock.advance(30_000);
      assert.equal(await store.compactedRevision(), 0);
      for (let i = 0; i < 5; i++) kv = await store.update('/r/a', `late-${i}`, kv.modRevision);
      await clock.advance(40_000);
      // The head sampled at open (revision 0) and at 10 s (revision 11) are more than 60 s old.
      assert.equal(await store.compactedRevision(), old);
      assert.equal((await store.get('/r/a', old))!.value, '10');
      await assert.rejects(store.get('/r/a', old - 1), { code: 'Compacted' });
    } finally {
      await store.close();
    }
  });

  test('keeps at most retainRevisions of history', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock, retainMs: 3_600_000, retainRevisions: 50, compactIntervalMs: 1000 });
    try {
      let kv = await store.create('/r/lease', '0');
      for (let i = 0; i < 500; i++) kv = await store.update('/r/lease', `${i}`, kv.modRevision);
      await clock.advance(1000);
      assert.equal(await store.compactedRevision(), kv.modRevision - 50);
      await store.close();
      assert.equal(clock.timerCount, 0);
    } finally {
      await store.close();
    }
  });

  test('autoCompact: false never compacts', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock, autoCompact: false, retainRevisions: 1 });
    try {
      let kv = await store.create('/r/a', '0');
      for (let i = 0; i < 10; i++) kv = await store.update('/r/a', `${i}`, kv.modRevision);
      await clock.advance(3_600_000);
      assert.equal(await store.compactedRevision(), 0);
      assert.equal(clock.timerCount, 0);
    } finally {
      await store.close();
    }
  });
});

describeStoreContract('memory, replaying in pages of 3', async () => {
  const store = new MemoryStore({ watchPageSize: 3 });
  return { store, cleanup: () => store.close() };
});
