// The Store contract, as one suite every backend runs. Each test opens a fresh store and writes
// under its own keys; revisions are checked relative to the store's revision at the start, since a
// fresh etcd starts at 1 where the in-process backends start at 0. Closing the store in cleanup
// ends every watch a test opened.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_VALUE_BYTES, StoreError, type KeyValue, type Store, type StoreErrorCode } from '../../src/store/types.js';
import { WatchRecorder } from './watch-recorder.js';

export interface OpenedStore {
  store: Store;
  cleanup(): Promise<void>;
}

async function rejectsWith(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.length > 0);
    return err;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

function keysOf(kvs: readonly KeyValue[]): string[] {
  return kvs.map((kv) => kv.key);
}

export function describeStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store contract: ${name}`, () => {
    const withStore = (title: string, body: (store: Store) => Promise<void>) =>
      test(title, async (t) => {
        const opened = await open();
        t.after(() => opened.cleanup());
        await body(opened.store);
      });

    describe('writes', () => {
      withStore('create stores a new key at the next revision', async (store) => {
        const base = await store.currentRevision();
        const kv = await store.create('/c/a', '{"v":1}');
        assert.deepEqual({ ...kv }, { key: '/c/a', value: '{"v":1}', createRevision: base + 1, modRevision: base + 1 });
        assert.equal(await store.currentRevision(), base + 1);
        assert.deepEqual({ ...(await store.get('/c/a'))! }, { ...kv });
        assert.equal(store.name.length > 0, true);
      });

      withStore('create refuses an existing key and leaves the revision alone', async (store) => {
        await store.create('/c/a', '1');
        const rev = await store.currentRevision();
        await rejectsWith(store.create('/c/a', '2'), 'KeyExists');
        assert.equal(await store.currentRevision(), rev);
        assert.equal((await store.get('/c/a'))!.value, '1');
      });

      withStore('values round-trip exactly, including empty and non-ASCII text', async (store) => {
        const values = ['', '{"name":"ünïcødé ✓ 😀"}', ' \n\t"quoted"\\ '];
        for (const [i, value] of values.entries()) {
          await store.create(`/c/v${i}`, value);
          assert.equal((await store.get(`/c/v${i}`))!.value, value);
        }
      });

      withStore('update replaces the value when the modRevision matches', async (store) => {
        const created = await store.create('/c/a', '1');
        const updated = await store.update('/c/a', '2', created.modRevision);
        assert.equal(updated.value, '2');
        assert.equal(updated.createRevision, created.createRevision);
        assert.equal(updated.modRevision, created.modRevision + 1);
        assert.deepEqual({ ...(await store.get('/c/a'))! }, { ...updated });
      });

      withStore('update with a stale modRevision is a Conflict carrying the current value', async (store) => {
        const created = await store.create('/c/a', '1');
        const updated = await store.update('/c/a', '2', created.modRevision);
        const rev = await store.currentRevision();
        const err = await rejectsWith(store.update('/c/a', '3', created.modRevision), 'Conflict');
        assert.deepEqual({ ...err.current! }, { ...updated });
        assert.equal(await store.currentRevision(), rev);
      });

      withStore('update of an absent key is NotFound', async (store) => {
        await rejectsWith(store.update('/c/missing', '1', 1), 'NotFound');
      });

      withStore('delete returns the value at the delete revision and removes the key', async (store) => {
        const created = await store.create('/c/a', 'gone');
        const deleted = await store.delete('/c/a');
        assert.deepEqual({ ...deleted }, { key: '/c/a', value: 'gone', createRevision: created.createRevision, modRevision: created.modRevision + 1 });
        assert.equal(await store.get('/c/a'), undefined);
        assert.equal(await store.currentRevision(), deleted.modRevision);
        await rejectsWith(store.delete('/c/a'), 'NotFound');
      });

      withStore('delete checks the expected modRevision when given', async (store) => {
        const created = await store.create('/c/a', '1');
        const updated = await store.update('/c/a', '2', created.modRevision);
        const err = await rejectsWith(store.delete('/c/a', created.modRevision), 'Conflict');
        assert.deepEqual({ ...err.current! }, { ...updated });
        assert.equal((await store.get('/c/a'))!.value, '2');
        const deleted = await store.delete('/c/a', updated.modRevision);
        assert.equal(deleted.modRevision, updated.modRevision + 1);
      });

      withStore('a key created again after its deletion starts a new life', async (store) => {
        await store.create('/c/a', '1');
        await store.delete('/c/a');
        const again = await store.create('/c/a', '2');
        assert.equal(again.createRevision, again.modRevision);
        assert.equal(again.value, '2');
      });

      withStore('values over MAX_VALUE_BYTES are TooLarge; a value at the limit is accepted', async (store) => {
        const atLimit = 'x'.repeat(MAX_VALUE_BYTES);
        const kv = await store.create('/c/big', atLimit);
        assert.equal((await store.get('/c/big'))!.value.length, MAX_VALUE_BYTES);
        const rev = await store.currentRevision();
        const err = await rejectsWith(store.create('/c/bigger', atLimit + 'x'), 'TooLarge');
        assert.match(err.message, /\/c\/bigger/);
        // Counted in UTF-8 bytes, not characters: two bytes per "é".
        await rejectsWith(store.update('/c/big', 'é'.repeat(MAX_VALUE_BYTES / 2 + 1), kv.modRevision), 'TooLarge');
        assert.equal(await store.currentRevision(), rev);
        assert.equal(await store.get('/c/bigger'), undefined);
      });

      withStore('concurrent writes get distinct, consecutive revisions', async (store) => {
        const base = await store.currentRevision();
        const n = 200;
        const kvs = await Promise.all(Array.from({ length: n }, (_, i) => store.create(`/c/k${String(i).padStart(4, '0')}`, `${i}`)));
        assert.deepEqual(
          kvs.map((kv) => kv.modRevision).sort((a, b) => a - b),
          Array.from({ length: n }, (_, i) => base + 1 + i),
        );
        for (const kv of kvs) assert.equal((await store.get(kv.key))!.modRevision, kv.modRevision);
        assert.equal(await store.currentRevision(), base + n);
        assert.equal(await store.count('/c/'), n);
      });

      withStore('concurrent updates of one key: exactly one wins each round', async (store) => {
        let kv = await store.create('/c/hot', '0');
        for (let round = 0; round < 5; round++) {
          const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.update('/c/hot', `${round}-${i}`, kv.modRevision)));
          const won = results.filter((r) => r.status === 'fulfilled');
          assert.equal(won.length, 1);
          for (const r of results) {
            if (r.status === 'rejected') assert.equal((r.reason as StoreError).code, 'Conflict');
          }
          kv = (won[0] as PromiseFulfilledResult<KeyValue>).value;
        }
        assert.equal((await store.get('/c/hot'))!.modRevision, kv.modRevision);
      });
    });

    describe('reads', () => {
      withStore('range lists keys under a prefix in byte order', async (store) => {
        // In UTF-8 byte order U+FFFD sorts before U+1F600, the reverse of UTF-16 order.
        const keys = ['/r/b', '/r/a', '/r/\u{1F600}', '/r/\uFFFD', '/r/A', '/r/a/b', '/s/x'];
        for (const k of keys) await store.create(k, k);
        const result = await store.range('/r/');
        assert.deepEqual(keysOf(result.kvs), ['/r/A', '/r/a', '/r/a/b', '/r/b', '/r/\uFFFD', '/r/\u{1F600}']);
        assert.equal(result.more, false);
        assert.equal(result.revision, await store.currentRevision());
        for (const kv of result.kvs) assert.equal(kv.value, kv.key);
      });

      withStore('prefixes are literal: /a/b/ does not reach /a/bc/ or /a/b itself', async (store) => {
        for (const k of ['/a/b', '/a/b/1', '/a/b/2', '/a/bc/1', '/a/c']) await store.create(k, 'v');
        assert.deepEqual(keysOf((await store.range('/a/b/')).kvs), ['/a/b/1', '/a/b/2']);
        assert.deepEqual(keysOf((await store.range('/a/bc/')).kvs), ['/a/bc/1']);
        assert.equal(await store.count('/a/b/'), 2);
        assert.equal(await store.count('/a/'), 5);
        assert.equal(await store.count('/nothing/'), 0);
      });

      withStore('range pages with limit and startAfter, reporting more and remaining', async (store) => {
        const all = Array.from({ length: 25 }, (_, i) => `/p/${String(i).padStart(2, '0')}`);
        for (const k of [...all].reverse()) await store.create(k, 'v');
        await store.create('/q/after', 'v');
        const seen: string[] = [];
        let startAfter: string | undefined;
        const pages: { more: boolean; remaining: number | undefined }[] = [];
        for (;;) {
          const page = await store.range('/p/', { limit: 10, ...(startAfter ? { startAfter } : {}) });
          seen.push(...keysOf(page.kvs));
          pages.push({ more: page.more, remaining: page.remaining });
          if (!page.more) break;
          startAfter = page.kvs[page.kvs.length - 1]!.key;
        }
        assert.deepEqual(seen, all);
        assert.deepEqual(pages.map((p) => p.more), [true, true, false]);
        const remaining = pages.map((p) => p.remaining);
        if (remaining.every((r) => r !== undefined)) assert.deepEqual(remaining, [15, 5, 0]);
      });

      withStore('startAfter before the prefix starts at the prefix; past it, nothing', async (store) => {
        for (const k of ['/p/1', '/p/2']) await store.create(k, 'v');
        assert.deepEqual(keysOf((await store.range('/p/', { startAfter: '/a' })).kvs), ['/p/1', '/p/2']);
        assert.deepEqual(keysOf((await store.range('/p/', { startAfter: '/p/1' })).kvs), ['/p/2']);
        assert.deepEqual(keysOf((await store.range('/p/', { startAfter: '/p/2' })).kvs), []);
        assert.deepEqual(keysOf((await store.range('/p/', { startAfter: '/q' })).kvs), []);
      });

      withStore('a limit equal to the number of keys reports no more', async (store) => {
        for (const k of ['/p/1', '/p/2']) await store.create(k, 'v');
        const page = await store.range('/p/', { limit: 2 });
        assert.equal(page.kvs.length, 2);
        assert.equal(page.more, false);
        const unlimited = await store.range('/p/', { limit: 0 });
        assert.equal(unlimited.kvs.length, 2);
      });

      withStore('get and range read the past at a revision', async (store) => {
        const v1 = await store.create('/h/a', '1');
        const b = await store.create('/h/b', 'b');
        const v2 = await store.update('/h/a', '2', v1.modRevision);
        const del = await store.delete('/h/a');
        const c = await store.create('/h/c', 'c');
        await store.update('/h/b', 'b2', b.modRevision);

        assert.deepEqual({ ...(await store.get('/h/a', v1.modRevision))! }, { ...v1 });
        assert.deepEqual({ ...(await store.get('/h/a', b.modRevision))! }, { ...v1 });
        assert.deepEqual({ ...(await store.get('/h/a', v2.modRevision))! }, { ...v2 });
        assert.equal(await store.get('/h/a', del.modRevision), undefined);
        assert.equal(await store.get('/h/a', v1.modRevision - 1), undefined);
        assert.equal(await store.get('/h/c', v2.modRevision), undefined);

        const atV2 = await store.range('/h/', { revision: v2.modRevision });
        assert.equal(atV2.revision, v2.modRevision);
        assert.deepEqual(atV2.kvs.map((kv) => ({ ...kv })), [{ ...v2 }, { ...b }]);
        const atC = await store.range('/h/', { revision: c.modRevision });
        assert.deepEqual(keysOf(atC.kvs), ['/h/b', '/h/c']);
        assert.equal(atC.kvs[0]!.value, 'b');

        const paged = await store.range('/h/', { revision: v2.modRevision, limit: 1 });
        assert.deepEqual(keysOf(paged.kvs), ['/h/a']);
        assert.equal(paged.more, true);
        if (paged.remaining !== undefined) assert.equal(paged.remaining, 1);
        const next = await store.range('/h/', { revision: v2.modRevision, limit: 1, startAfter: '/h/a' });
        assert.deepEqual(keysOf(next.kvs), ['/h/b']);
        assert.equal(next.more, false);
      });

      withStore('reading a future revision is FutureRevision', async (store) => {
        await store.create('/f/a', '1');
        const rev = await store.currentRevision();
        await rejectsWith(store.get('/f/a', rev + 1), 'FutureRevision');
        await rejectsWith(store.range('/f/', { revision: rev + 5 }), 'FutureRevision');
        await rejectsWith(store.compact(rev + 1), 'FutureRevision');
      });

      withStore('count follows creates and deletes', async (store) => {
        for (let i = 0; i < 12; i++) await store.create(`/n/${i}`, 'v');
        await store.create('/m/x', 'v');
        assert.equal(await store.count('/n/'), 12);
        await store.delete('/n/3');
        await store.delete('/n/7');
        assert.equal(await store.count('/n/'), 10);
        assert.equal(await store.count('/m/'), 1);
      });
    });

    describe('compaction', () => {
      withStore('compacted revisions cannot be read; the compaction revision and later can', async (store) => {
        const a1 = await store.create('/k/a', '1');
        const a2 = await store.update('/k/a', '2', a1.modRevision);
        const a3 = await store.update('/k/a', '3', a2.modRevision);
        const b = await store.create('/k/b', 'b');
        await store.compact(a3.modRevision);
        assert.equal(await store.compactedRevision(), a3.modRevision);

        const err = await rejectsWith(store.get('/k/a', a2.modRevision), 'Compacted');
        assert.equal(err.compactRevision, a3.modRevision);
        await rejectsWith(store.range('/k/', { revision: a1.modRevision }), 'Compacted');
        assert.deepEqual({ ...(await store.get('/k/a', a3.modRevision))! }, { ...a3 });
        assert.deepEqual(keysOf((await store.range('/k/', { revision: a3.modRevision })).kvs), ['/k/a']);
        assert.deepEqual(keysOf((await store.range('/k/')).kvs), ['/k/a', '/k/b']);
        assert.equal((await store.get('/k/b'))!.modRevision, b.modRevision);

        // Compacting to an older revision changes nothing.
        await store.compact(a1.modRevision);
        assert.equal(await store.compactedRevision(), a3.modRevision);
      });

      withStore('a key deleted before the compaction revision stays gone', async (store) => {
        const a = await store.create('/k/a', '1');
        const del = await store.delete('/k/a');
        const b = await store.create('/k/b', 'b');
        await store.compact(b.modRevision);
        assert.equal(await store.get('/k/a', b.modRevision), undefined);
        assert.equal(await store.get('/k/a'), undefined);
        assert.deepEqual(keysOf((await store.range('/k/', { revision: b.modRevision })).kvs), ['/k/b']);
        assert.ok(del.modRevision > a.modRevision);
      });

      withStore('a watch from before the compaction revision ends with Compacted', async (store) => {
        const a = await store.create('/k/a', '1');
        await store.update('/k/a', '2', a.modRevision);
        const rev = await store.currentRevision();
        await store.compact(rev);
        const old = new WatchRecorder(store, '/k/', a.modRevision);
        const err = await old.waitForError();
        assert.equal(err.code, 'Compacted');
        assert.equal(err.compactRevision, rev);
        assert.equal(old.events.length, 0);

        const fresh = new WatchRecorder(store, '/k/', rev);
        await store.create('/k/b', 'b');
        const [event] = await fresh.waitForEvents(1);
        assert.equal(event!.kv.key, '/k/b');
      });
    });

    describe('watch', () => {
      withStore('from 0 replays all history in order, then goes live', async (store) => {
        const base = await store.currentRevision();
        const a = await store.create('/w/a', '1');
        await store.update('/w/a', '2', a.modRevision);
        await store.create('/w/b', 'b');
        await store.create('/x/other', 'x');
        await store.delete('/w/b');
        const rec = new WatchRecorder(store, '/w/', base);
        const replayed = await rec.waitForEvents(4);
        assert.deepEqual(
          replayed.map((e) => [e.type, e.kv.key, e.kv.value, e.kv.modRevision]),
          [
            ['PUT', '/w/a', '1', base + 1],
            ['PUT', '/w/a', '2', base + 2],
            ['PUT', '/w/b', 'b', base + 3],
            ['DELETE', '/w/b', 'b', base + 5],
          ],
        );
        await store.create('/w/c', 'c');
        const all = await rec.waitForEvents(5);
        assert.equal(all[4]!.kv.key, '/w/c');
        assert.equal(all[4]!.kv.modRevision, base + 6);
        await rec.quiesce();
        assert.equal(rec.events.length, 5);
      });

      withStore('events carry prevKv: none on create, the old value on update and delete', async (store) => {
        const rec = new WatchRecorder(store, '/w/', await store.currentRevision());
        const created = await store.create('/w/a', '1');
        const updated = await store.update('/w/a', '2', created.modRevision);
        const deleted = await store.delete('/w/a');
        const [c, u, d] = await rec.waitForEvents(3);
        assert.equal(c!.type, 'PUT');
        assert.equal(c!.prevKv, undefined);
        assert.deepEqual({ ...c!.kv }, { ...created });
        assert.equal(u!.type, 'PUT');
        assert.deepEqual({ ...u!.kv }, { ...updated });
        assert.deepEqual({ ...u!.prevKv! }, { ...created });
        assert.equal(d!.type, 'DELETE');
        assert.deepEqual({ ...d!.kv }, { ...deleted });
        assert.equal(d!.kv.modRevision, updated.modRevision + 1);
        assert.deepEqual({ ...d!.prevKv! }, { ...updated });
      });

      withStore('replayed events carry the same prevKv as live ones', async (store) => {
        const base = await store.currentRevision();
        const live = new WatchRecorder(store, '/w/', base);
        const created = await store.create('/w/a', '1');
        const updated = await store.update('/w/a', '2', created.modRevision);
        await store.delete('/w/a');
        await store.create('/w/a', '3');
        const liveEvents = await live.waitForEvents(4);
        const replay = new WatchRecorder(store, '/w/', base);
        const replayed = await replay.waitForEvents(4);
        const plain = (events: typeof liveEvents) =>
          events.map((e) => ({ type: e.type, kv: { ...e.kv }, prevKv: e.prevKv ? { ...e.prevKv } : undefined }));
        assert.deepEqual(plain(replayed), plain(liveEvents));
        assert.equal(replayed[1]!.kv.value, updated.value);
      });

      withStore('from a revision delivers only later events', async (store) => {
        await store.create('/w/a', '1');
        const b = await store.create('/w/b', '1');
        await store.create('/w/c', '1');
        const rec = new WatchRecorder(store, '/w/', b.modRevision);
        const [event] = await rec.waitForEvents(1);
        assert.equal(event!.kv.key, '/w/c');
        await rec.quiesce();
        assert.equal(rec.events.length, 1);
      });

      withStore('from the current revision delivers only new events, filtered by prefix', async (store) => {
        await store.create('/w/old', '1');
        const rec = new WatchRecorder(store, '/w/', await store.currentRevision());
        await store.create('/wx/not-mine', '1');
        await store.create('/w/new', '1');
        const [event] = await rec.waitForEvents(1);
        assert.equal(event!.kv.key, '/w/new');
        await rec.quiesce();
        assert.equal(rec.events.length, 1);
      });

      withStore('from a future revision waits for it', async (store) => {
        const base = await store.currentRevision();
        const rec = new WatchRecorder(store, '/w/', base + 2);
        await store.create('/w/1', '1');
        await store.create('/w/2', '1');
        await store.create('/w/3', '1');
        const [event] = await rec.waitForEvents(1);
        assert.equal(event!.kv.modRevision, base + 3);
        await rec.quiesce();
        assert.equal(rec.events.length, 1);
      });

      withStore('cancel stops delivery', async (store) => {
        const rec = new WatchRecorder(store, '/w/', await store.currentRevision());
        await store.create('/w/1', '1');
        await rec.waitForEvents(1);
        rec.handle.cancel();
        await store.create('/w/2', '1');
        await rec.quiesce();
        assert.equal(rec.events.length, 1);
        rec.handle.cancel();
      });

      withStore('writes racing a replay are delivered exactly once, in order', async (store) => {
        const base = await store.currentRevision();
        const before = 300;
        const during = 300;
        await Promise.all(Array.from({ length: before }, (_, i) => store.create(`/w/pre-${i}`, `${i}`)));
        const rec = new WatchRecorder(store, '/w/', base);
        const writes: Promise<KeyValue>[] = [];
        for (let i = 0; i < during; i++) {
          writes.push(store.create(`/w/live-${i}`, `${i}`));
          if (i % 50 === 0) await new Promise<void>((r) => setImmediate(r));
        }
        await Promise.all(writes);
        const events = await rec.waitForEvents(before + during);
        assert.deepEqual(
          events.map((e) => e.kv.modRevision),
          Array.from({ length: before + during }, (_, i) => base + 1 + i),
        );
        await rec.quiesce();
        assert.equal(rec.events.length, before + during);
      });

      withStore('many watchers each see every event once, in revision order', async (store) => {
        const base = await store.currentRevision();
        const recs = Array.from({ length: 20 }, (_, i) => new WatchRecorder(store, i % 2 ? '/w/' : '/', base));
        await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(`/w/${i}`, `${i}`)));
        for (const rec of recs) {
          const events = await rec.waitForEvents(100);
          assert.deepEqual(
            events.map((e) => e.kv.modRevision),
            Array.from({ length: 100 }, (_, i) => base + 1 + i),
          );
        }
      });

      withStore('a listener that writes still sees revisions in order', async (store) => {
        const base = await store.currentRevision();
        const seen: number[] = [];
        const handle = store.watch('/w/', base, {
          onEvents: (events) => {
            for (const e of events) {
              seen.push(e.kv.modRevision);
              if (e.kv.key === '/w/a') void store.create('/w/from-listener', 'x');
            }
          },
          onError: () => {},
        });
        const other = new WatchRecorder(store, '/w/', base);
        await store.create('/w/a', '1');
        await store.create('/w/b', '1');
        const events = await other.waitForEvents(3);
        handle.cancel();
        const revs = events.map((e) => e.kv.modRevision);
        assert.deepEqual(revs, [...revs].sort((x, y) => x - y));
        assert.deepEqual(seen.slice(0, 3), revs);
      });
    });

    describe('close', () => {
      test('close ends watches with Closed and refuses further calls', async () => {
        const opened = await open();
        try {
          const { store } = opened;
          await store.create('/z/a', '1');
          const rec = new WatchRecorder(store, '/z/', await store.currentRevision());
          await store.close();
          const err = await rec.waitForError();
          assert.equal(err.code, 'Closed');
          await rejectsWith(store.get('/z/a'), 'Closed');
          await rejectsWith(store.create('/z/b', '1'), 'Closed');
          await rejectsWith(store.range('/z/'), 'Closed');
          const late = new WatchRecorder(store, '/z/', 0);
          assert.equal((await late.waitForError()).code, 'Closed');
          await store.close();
        } finally {
          await opened.cleanup();
        }
      });
    });
  });
}

