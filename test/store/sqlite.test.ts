import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { DATABASE_FILE, DataDirectoryInUseError, openSqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/index.js';
import type { WatchEvent } from '../../src/store/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { describeStoreContract } from './contract.js';
import { WatchRecorder } from './watch-recorder.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'k8ts-store-'));
}

async function openTemp(options: Partial<SqliteStoreOptions> = {}) {
  const dir = tempDir();
  try {
    const store = await openSqliteStore({ path: dir, synchronous: 'normal', ...options });
    return {
      store,
      dir,
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

describeStoreContract('sqlite', () => openTemp());
describeStoreContract('sqlite, fsync on commit, replaying in pages of 3', () => openTemp({ synchronous: 'full', watchPageSize: 3 }));

const childScript = new URL('./sqlite-writer.child.js', import.meta.url).pathname;

/** Runs the writer child until it has acknowledged `atLeast` writes, then SIGKILLs it. */
async function killMidBurst(dir: string, atLeast: number, prefix = '/d/'): Promise<Map<string, number>> {
  const child = spawn(process.execPath, [childScript, dir, prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked = new Map<string, number>();
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const [key, rev] = line.split(' ');
          acked.set(key!, Number(rev));
        }
        if (acked.size >= atLeast) resolve();
      });
      child.once('exit', (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
    });
    child.kill('SIGKILL');
    const { signal } = await exited;
    assert.equal(signal, 'SIGKILL');
    return acked;
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

describe('sqlite durability', () => {
  test('every acknowledged write survives SIGKILL mid-burst; revisions continue upward', async (t) => {
    const dir = tempDir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const first = await killMidBurst(dir, 400);
    const firstMax = Math.max(...first.values());

    const store = await openSqliteStore({ path: dir });
    try {
      const revision = await store.currentRevision();
      assert.ok(revision >= firstMax, `revision ${revision} < last acknowledged ${firstMax}`);
      for (const [key, rev] of first) {
        const kv = await store.get(key);
        assert.ok(kv, `acknowledged ${key} is missing`);
        assert.equal(kv.modRevision, rev);
        assert.equal(JSON.parse(kv.value).key, key);
      }
      const kv = await store.create('/after/restart', 'x');
      assert.equal(kv.modRevision, revision + 1);
    } finally {
      await store.close();
    }

    // A second crash of the same directory: the lock died with the process, and numbering goes on.
    const second = await killMidBurst(dir, 100, '/e/');
    assert.ok(Math.min(...second.values()) > firstMax);
    const reopened = await openSqliteStore({ path: dir });
    try {
      for (const key of [...first.keys(), ...second.keys()]) assert.ok(await reopened.get(key), key);
    } finally {
      await reopened.close();
    }
  });

  test('a restart keeps keys, history, the compaction point and the revision', async (t) => {
    const { store, dir } = await openTemp({ autoCompact: false });
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const events: WatchEvent[] = [];
    store.watch('/r/', 0, { onEvents: (e) => events.push(...e), onError: () => {} });
    let a = await store.create('/r/a', '1');
    a = await store.update('/r/a', '2', a.modRevision);
    await store.create('/r/b', 'b');
    await store.delete('/r/b');
    const compactAt = await store.currentRevision();
    await store.compact(compactAt);
    const c = await store.create('/r/c', 'c');
    a = await store.update('/r/a', '3', a.modRevision);
    const del = await store.delete('/r/c');
    const head = await store.currentRevision();
    await store.close();

    const again = await openSqliteStore({ path: dir, autoCompact: false });
    try {
      assert.equal(await again.currentRevision(), head);
      assert.equal(await again.compactedRevision(), compactAt);
      assert.deepEqual({ ...(await again.get('/r/a'))! }, { ...a });
      assert.equal(await again.get('/r/b'), undefined);
      assert.equal((await again.get('/r/a', compactAt))!.value, '2');
      assert.equal((await again.get('/r/c', c.modRevision))!.value, 'c');
      await assert.rejects(again.get('/r/a', compactAt - 1), { code: 'Compacted' });

      const replay = new WatchRecorder(again, '/r/', compactAt);
      const replayed = await replay.waitForEvents(3);
      const plain = (list: WatchEvent[]) => list.map((e) => ({ type: e.type, kv: { ...e.kv }, prevKv: e.prevKv && { ...e.prevKv } }));
      assert.deepEqual(plain(replayed), plain(events.filter((e) => e.kv.modRevision > compactAt)));
      assert.equal(replayed[2]!.kv.modRevision, del.modRevision);

      const next = await again.create('/r/d', 'd');
      assert.equal(next.modRevision, head + 1);
    } finally {
      await again.close();
    }
  });

  test('close commits the writes it has already accepted', async (t) => {
    const { store, dir } = await openTemp();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const writes = Array.from({ length: 50 }, (_, i) => store.create(`/q/${i}`, `${i}`));
    await store.close();
    const kvs = await Promise.all(writes);
    assert.equal(kvs.length, 50);
    const again = await openSqliteStore({ path: dir });
    try {
      assert.equal(await again.count('/q/'), 50);
      assert.equal(await again.currentRevision(), kvs[49]!.modRevision);
    } finally {
      await again.close();
    }
  });

  test('a newer schema is refused with a clear message', async (t) => {
    const dir = tempDir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const raw = new Database(join(dir, DATABASE_FILE));
    raw.pragma('user_version = 99');
    raw.close();
    await assert.rejects(openSqliteStore({ path: dir }), /schema version 99/);
  });
});

describe('sqlite exclusive ownership', () => {
  test('a second opener in the same process is refused until the first closes', async (t) => {
    const { store, dir, cleanup } = await openTemp();
    t.after(cleanup);
    await store.create('/x/a', '1');
    await assert.rejects(openSqliteStore({ path: dir }), (err: unknown) => {
      assert.ok(err instanceof DataDirectoryInUseError);
      assert.match(err.message, /in use by another process/);
      assert.ok(err.message.includes(dir));
      return true;
    });
    assert.equal((await store.get('/x/a'))!.value, '1');
    await store.close();
    const next = await openSqliteStore({ path: dir });
    assert.equal((await next.get('/x/a'))!.value, '1');
    await next.close();
  });

  test('another process opening the directory gets DataDirectoryInUseError', async (t) => {
    const { store, dir, cleanup } = await openTemp();
    t.after(cleanup);
    await store.create('/x/a', '1');
    const module = new URL('../../src/store/sqlite/index.js', import.meta.url).href;
    const script = `
      const { openSqliteStore } = await import(${JSON.stringify(module)});
      try { await openSqliteStore({ path: ${JSON.stringify(dir)} }); console.log('opened'); }
      catch (err) { console.log(err.name); }`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(result.stdout.trim(), 'DataDirectoryInUseError', result.stderr);
    assert.equal((await store.get('/x/a'))!.value, '1');
  });
});

describe('sqlite under load', () => {
  test('hundreds of writes in flight commit without errors', async (t) => {
    const { store, cleanup } = await openTemp({ synchronous: 'full' });
    t.after(cleanup);
    const base = await store.currentRevision();
    const created = await Promise.all(Array.from({ length: 800 }, (_, i) => store.create(`/l/${i}`, `{"i":${i}}`)));
    const updates = await Promise.all(created.map((kv) => store.update(kv.key, `{"i":"updated"}`, kv.modRevision)));
    const deletes = await Promise.all(updates.slice(0, 300).map((kv) => store.delete(kv.key, kv.modRevision)));
    const revisions = [...created, ...updates, ...deletes].map((kv) => kv.modRevision).sort((a, b) => a - b);
    assert.deepEqual(revisions, Array.from({ length: 1900 }, (_, i) => base + 1 + i));
    assert.equal(await store.count('/l/'), 500);
    assert.equal(store.stats().keys, 500);
  });

  test('a replay of large values is read in bounded pages, and loses nothing', async (t) => {
    const { store, cleanup } = await openTemp();
    t.after(cleanup);
    const base = await store.currentRevision();
    const big = (i: number) => String(i).repeat(1_400_000);
    for (let i = 0; i < 8; i++) await store.create(`/big/${i}`, big(i));
    const rec = new WatchRecorder(store, '/big/', base);
    const events = await rec.waitForEvents(8);
    assert.deepEqual(events.map((e) => e.kv.value.slice(0, 1)), ['0', '1', '2', '3', '4', '5', '6', '7']);
    assert.ok(events.every((e, i) => e.kv.value === big(i)));
    assert.ok(rec.batches.length >= 2, `one page held ${rec.batches[0]} large values`);
  });

  test('history stays bounded while the same keys are rewritten forever', async (t) => {
    const clock = new FakeClock();
    const { store, cleanup } = await openTemp({ clock, retainRevisions: 300, retainMs: 60_000, compactIntervalMs: 1000, purgeBatchSize: 200 });
    t.after(cleanup);
    const leases = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(`/leases/node-${i}`, lease(i, 0))));
    const rewrite = async (rounds: number) => {
      for (let round = 0; round < rounds; round++) {
        const next = await Promise.all(leases.map((kv, i) => store.update(kv.key, lease(i, round), kv.modRevision)));
        leases.splice(0, leases.length, ...next);
        if (round % 10 === 9) await clock.advance(1000);
      }
      await clock.advance(1000);
    };
    await rewrite(100);
    const warm = store.stats();
    assert.equal(warm.compactedRevision, warm.revision - 300);
    assert.ok(warm.logRows <= 300, `log has ${warm.logRows} rows`);

    await rewrite(600);
    const later = store.stats();
    assert.ok(later.revision >= warm.revision + 12_000);
    assert.equal(later.compactedRevision, later.revision - 300);
    assert.ok(later.logRows <= 300, `log has ${later.logRows} rows`);
    assert.ok(later.databaseBytes <= warm.databaseBytes * 1.5 + 65536, `database grew from ${warm.databaseBytes} to ${later.databaseBytes}`);
    assert.equal(await store.count('/leases/'), 20);
  });
});

function lease(i: number, round: number): string {
  return JSON.stringify({ kind: 'Lease', metadata: { name: `node-${i}` }, spec: { renewTime: round, holderIdentity: `node-${i}`, pad: 'x'.repeat(300) } });
}
