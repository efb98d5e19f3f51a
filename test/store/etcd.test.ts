// The store contract on real etcd (one member, three members, a key prefix, TLS), and what only
// etcd has: other clusters' writes in the same etcd, members dying, bad configuration.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openEtcdStore, type EtcdStoreConfig } from '../../src/store/etcd/index.js';
import { openStore } from '../../src/store/index.js';
import { startCluster } from '../../src/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import type { KubeObject } from '../../src/api/types.js';
import { StoreError, type KeyValue } from '../../src/store/types.js';
import { freePort, startEtcd, type EtcdCluster } from '../helpers/etcd.js';
import { describeStoreContract } from './contract.js';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { WatchRecorder } from './watch-recorder.js';
import { createDespiteLoss } from './etcd-support.js';

const CONFIGMAPS = ApiClient.resourceOf('v1', 'ConfigMap');

/** One etcd cluster for a whole describe block, stopped after it. */
function sharedEtcd(options: Parameters<typeof startEtcd>[1]): () => EtcdCluster {
  let etcd: EtcdCluster | undefined;
  before(async () => {
    etcd = await startEtcd(null, options);
  });
  after(() => etcd?.stop());
  return () => etcd!;
}

function configOf(etcd: EtcdCluster, extra: Partial<EtcdStoreConfig> = {}): EtcdStoreConfig {
  return { endpoints: etcd.endpoints, compactIntervalMs: 0, ...(etcd.tls ? { tls: etcd.tls } : {}), ...extra };
}

/**
 * A store on a shared etcd that starts empty: without a prefix, cleanup deletes every key the
 * test wrote; with one, every test gets a prefix of its own.
 */
function contractOn(cluster: () => EtcdCluster, prefixed: boolean) {
  let n = 0;
  return async () => {
    const prefix = prefixed ? `/cluster-${process.pid}-${++n}` : undefined;
    const store = await openEtcdStore(configOf(cluster(), prefix ? { prefix } : {}));
    return {
      store,
      cleanup: async () => {
        await store.close();
        if (!prefixed) {
          const cleaner = await openEtcdStore(configOf(cluster()));
          try {
            for (const kv of (await cleaner.range('')).kvs) await cleaner.delete(kv.key);
          } finally {
            await cleaner.close();
          }
        }
      },
    };
  };
}

describe('etcd, one member', () => {
  const etcd = sharedEtcd({ members: 1 });
  describeStoreContract('etcd, one member', contractOn(etcd, false));
});

describe('etcd, one member, keys under a prefix', () => {
  const etcd = sharedEtcd({ members: 1 });
  describeStoreContract('etcd, prefixed', contractOn(etcd, true));

  test('users see unprefixed keys; etcd holds them under the prefix; other prefixes stay apart', async () => {
    const a = await openEtcdStore(configOf(etcd(), { prefix: '/a' }));
    const b = await openEtcdStore(configOf(etcd(), { prefix: '/ab' }));
    const raw = await openEtcdStore(configOf(etcd()));
    try {
      await a.create('/registry/x', 'from a');
      await b.create('/registry/x', 'from b');
      assert.deepEqual((await a.range('/')).kvs.map((kv) => [kv.key, kv.value]), [['/registry/x', 'from a']]);
      assert.deepEqual((await b.range('/')).kvs.map((kv) => [kv.key, kv.value]), [['/registry/x', 'from b']]);
      assert.equal((await raw.get('/a/registry/x'))!.value, 'from a');
      assert.equal((await raw.get('/ab/registry/x'))!.value, 'from b');
      assert.equal(await a.count('/'), 1);
    } finally {
      await Promise.all([a.close(), b.close(), raw.close()]);
    }
  });

  test("other clusters' writes move the revision; watches get progress instead of events", async () => {
    const ours = await openEtcdStore(configOf(etcd(), { prefix: '/ours' }));
    const theirs = await openEtcdStore(configOf(etcd(), { prefix: '/theirs' }));
    try {
      const mine = await ours.create('/k/1', 'mine');
      const progress: number[] = [];
      const rec = new WatchRecorder(ours, '/', mine.modRevision);
      const handle = ours.watch('/', mine.modRevision, { onEvents: () => {}, onError: () => {}, onProgress: (r) => progress.push(r) });
      let last: KeyValue | undefined;
      for (let i = 0; i < 5; i++) last = await theirs.create(`/k/${i}`, 'theirs');
      const head = await ours.currentRevision();
      assert.equal(head, last!.modRevision);
      assert.ok(head > mine.modRevision + 4);
      // currentRevision() saw the watches behind the head: a progress notification catches them up.
      const deadline = Date.now() + 5000;
      while (!progress.some((r) => r >= head) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(progress.some((r) => r >= head), `progress ${progress.join(',')} never reached ${head}`);
      const next = await ours.create('/k/2', 'mine again');
      const [event] = await rec.waitForEvents(1);
      assert.deepEqual({ ...event!.kv }, { ...next });
      assert.equal(rec.events.length, 1);
      handle.cancel();
    } finally {
      await Promise.all([ours.close(), theirs.close()]);
    }
  });
});

describe('etcd shared by clusters', () => {
  const etcd = sharedEtcd({ members: 1 });

  test("a cluster's consistent lists do not wait on another cluster's writes", async (t) => {
    const cluster = await startCluster({ store: { endpoints: etcd().endpoints, prefix: '/one', compactIntervalMs: 0 } });
    t.after(() => cluster.stop());
    const other = await openEtcdStore(configOf(etcd(), { prefix: '/two' }));
    t.after(() => other.close());
    await cluster.client.create(CONFIGMAPS, 'default', { metadata: { name: 'mine' } } as KubeObject);
    for (let round = 0; round < 5; round++) {
      // The other cluster's writes move etcd's revision past every event this cluster's cache sees.
      for (let i = 0; i < 20; i++) await other.create(`/registry/x/${round}-${i}`, '{}');
      const head = await other.currentRevision();
      const started = Date.now();
      const list = await cluster.client.list(CONFIGMAPS, 'default');
      assert.ok(list.items.some((o) => o.metadata.name === 'mine'));
      // The list is at least as new as etcd's revision before it: progress, not events, got it there.
      assert.ok(Number(list.metadata.resourceVersion) >= head, `list at ${list.metadata.resourceVersion}, etcd at ${head}`);
      // About 30 ms with progress notifications; without them the list waits for this cluster's
      // next own write (lease renewals, every 2 s) or times out.
      assert.ok(Date.now() - started < 1000, `the list took ${Date.now() - started} ms`);
    }
  });

  test('automatic compaction keeps one interval of history', async () => {
    const store = await openEtcdStore(configOf(etcd(), { prefix: '/compacting', compactIntervalMs: 300 }));
    try {
      let kv = await store.create('/k', '0');
      const first = kv.modRevision;
      const deadline = Date.now() + 10_000;
      while ((await store.compactedRevision()) < first && Date.now() < deadline) {
        kv = await store.update('/k', String(kv.modRevision), kv.modRevision);
        await new Promise((r) => setTimeout(r, 50));
      }
      const compacted = await store.compactedRevision();
      assert.ok(compacted >= first, `compacted to ${compacted}, wanted at least ${first}`);
      assert.ok(compacted < (await store.currentRevision()), 'the newest interval stays');
      await assert.rejects(store.get('/k', compacted - 1), { code: 'Compacted', compactRevision: compacted });
    } finally {
      await store.close();
    }
  });
});

describe('etcd, a watch started in the past under a busy etcd', () => {
  const etcd = sharedEtcd({ members: 1 });

  test('gets progress once it has caught up', async () => {
    const ours = await openEtcdStore(configOf(etcd(), { prefix: '/ours' }));
    const theirs = await openEtcdStore(configOf(etcd(), { prefix: '/theirs' }));
    try {
      const mine = await ours.create('/k/1', 'mine');
      for (let i = 0; i < 5; i++) await theirs.create(`/k/${i}`, 'theirs');
      // Created behind the head, with nothing of its own to replay: etcd starts it unsynced.
      const progress: number[] = [];
      const handle = ours.watch('/', mine.modRevision, { onEvents: () => {}, onError: () => {}, onProgress: (r) => progress.push(r) });
      const deadline = Date.now() + 8000;
      let head = 0;
      while (!progress.some((r) => r >= head && head > 0) && Date.now() < deadline) {
        await theirs.create(`/k/more-${Date.now()}`, 'theirs');
        head = await ours.currentRevision();
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(progress.some((r) => r >= head), `progress ${progress.join(',')} never reached ${head}`);
      handle.cancel();
    } finally {
      await Promise.all([ours.close(), theirs.close()]);
    }
  });
});

/** A TCP relay to `target` on a free loopback port whose connections can be cut at will. */
async function cuttableProxy(target: string): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const { port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(targetPort), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const cut = () => {
    for (const s of sockets) s.destroy();
  };
  return { url: `http://127.0.0.1:${port}`, cut, close: () => new Promise<void>((resolve) => (cut(), server.close(() => resolve()))) };
}

describe('etcd, a watch whose connection breaks', () => {
  const etcd = sharedEtcd({ members: 1 });

  test('resumes from its last event: every event once, in order, across repeated cuts', async (t) => {
    const proxy = await cuttableProxy(etcd().endpoints[0]!);
    t.after(() => proxy.close());
    const watched = await openEtcdStore({ endpoints: [proxy.url], prefix: '/cut', compactIntervalMs: 0 });
    const writer = await openEtcdStore(configOf(etcd(), { prefix: '/cut' }));
    t.after(() => Promise.all([watched.close(), writer.close()]));
    const rec = new WatchRecorder(watched, '/', await writer.currentRevision());
    const acked: KeyValue[] = [];
    for (let cut = 0; cut < 4; cut++) {
      for (let i = 0; i < 25; i++) acked.push(await writer.create(`/k/${cut}-${i}`, 'v'));
      proxy.cut();
    }
    acked.push(await writer.create('/k/last', 'v'));
    const events = await rec.waitForEvents(acked.length, 15_000);
    assert.deepEqual(
      events.map((e) => e.kv.modRevision),
      acked.map((kv) => kv.modRevision),
    );
    await rec.quiesce();
    assert.equal(rec.events.length, acked.length);
    assert.equal(rec.error, undefined);
  });
});

describe('etcd, three members', () => {
  const etcd = sharedEtcd({ members: 3 });
  describeStoreContract('etcd, three members', contractOn(etcd, true));
});

describe('etcd over TLS with a client certificate', () => {
  const etcd = sharedEtcd({ members: 1, tls: true });
  describeStoreContract('etcd, TLS', contractOn(etcd, true));

  test('without the client certificate etcd refuses the connection, and opening says so', async () => {
    const started = Date.now();
    await assert.rejects(
      openEtcdStore({ endpoints: etcd().endpoints, tls: { caFile: etcd().tls!.caFile }, dialTimeoutMs: 1500 }),
      (err: Error) => /cannot reach etcd at https:\/\/127\.0\.0\.1:\d+ within 1\.5 s/.test(err.message),
    );
    assert.ok(Date.now() - started < 10_000);
  });
});

describe('etcd with a smaller request limit than the store', () => {
  const etcd = sharedEtcd({ members: 1, args: ['--max-request-bytes=1048576'] });

  test("a value under MAX_VALUE_BYTES that etcd refuses is TooLarge, naming etcd's limit", async () => {
    const store = await openEtcdStore(configOf(etcd()));
    try {
      const rev = await store.currentRevision();
      const err = await store.create('/big', 'x'.repeat(1_200_000)).then(
        () => assert.fail('etcd accepted a request above its limit'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StoreError, String(err));
      assert.equal(err.code, 'TooLarge');
      assert.match(err.message, /--max-request-bytes/);
      assert.equal(await store.get('/big'), undefined);
      assert.equal(await store.currentRevision(), rev);
      assert.equal((await store.create('/small', 'x'.repeat(1000))).value.length, 1000);
    } finally {
      await store.close();
    }
  });
});

describe('etcd configuration', () => {
  test('an unreachable etcd fails the open within the dial timeout, naming the endpoint', async () => {
    const port = await freePort();
    await assert.rejects(openStore({ backend: 'etcd', endpoints: [`http://127.0.0.1:${port}`], dialTimeoutMs: 1000 }), (err: Error) => {
      assert.match(err.message, new RegExp(`cannot reach etcd at http://127\\.0\\.0\\.1:${port} within 1 s: .+`));
      return true;
    });
  });

  test('bad endpoints and TLS settings are one clear sentence each', async () => {
    const cases: [EtcdStoreConfig, RegExp][] = [
      [{ endpoints: [] }, /needs at least one endpoint/],
      [{ endpoints: ['localhost:2379'] }, /invalid etcd endpoint "localhost:2379": the scheme must be http or https/],
      [{ endpoints: ['127.0.0.1:2379'] }, /invalid etcd endpoint "127\.0\.0\.1:2379": want a URL/],
      [{ endpoints: ['not a url'] }, /invalid etcd endpoint "not a url": want a URL/],
      [{ endpoints: ['http://127.0.0.1:2379/v3'] }, /only scheme, host and port/],
      [{ endpoints: ['http://a:1', 'https://b:2'] }, /mix http and https/],
      [{ endpoints: ['http://a:1'], tls: { caFile: '/x' } }, /TLS files were given but the endpoints are http/],
      [{ endpoints: ['https://a:1'], tls: { certFile: '/x' } }, /needs both --etcd-certfile and --etcd-keyfile/],
      [{ endpoints: ['https://a:1'], tls: { caFile: '/nonexistent/ca.crt' } }, /cannot read the etcd CA file \/nonexistent\/ca\.crt: ENOENT/],
    ];
    for (const [config, message] of cases) {
      await assert.rejects(openEtcdStore(config), (err: Error) => {
        assert.equal(err.name, 'EtcdConfigError');
        assert.match(err.message, message);
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    }
  });
});

describe('etcd, losing a member of three', () => {
  test('a follower killed: writes keep working, the watch delivers every event once, the member rejoins', async (t) => {
    const etcd = await startEtcd(t, { members: 3 });
    const store = await openEtcdStore(configOf(etcd));
    t.after(() => store.close());
    const base = await store.currentRevision();
    const rec = new WatchRecorder(store, '/w/', base);
    const acked: KeyValue[] = [];
    for (let i = 0; i < 10; i++) acked.push(await store.create(`/w/before-${i}`, `${i}`));
    await rec.waitForEvents(acked.length);

    const leader = await etcd.leader();
    const follower = etcd.members.find((m) => m !== leader)!;
    await follower.kill();
    for (let i = 0; i < 20; i++) acked.push(await createDespiteLoss(store, `/w/without-${i}`, `${i}`, 15_000));
    assert.equal(await store.count('/w/'), acked.length);
    await follower.restart();
    acked.push(await store.create('/w/rejoined', 'x'));
    const events = await rec.waitForEvents(acked.length, 15_000);
    assert.deepEqual(
      events.map((e) => [e.kv.key, e.kv.modRevision]),
      acked.map((kv) => [kv.key, kv.modRevision]),
    );
    await rec.quiesce();
    assert.equal(rec.events.length, acked.length);
  });

  test('a write fails with a clear error, not a hang, when no member is left', async (t) => {
    const etcd = await startEtcd(t, { members: 1 });
    const store = await openEtcdStore(configOf(etcd, { requestTimeoutMs: 1500 }));
    t.after(() => store.close());
    await store.create('/a', '1');
    await etcd.members[0]!.kill();
    const started = Date.now();
    await assert.rejects(store.create('/b', '2'), (err: Error) => {
      assert.ok(!(err instanceof StoreError), String(err));
      assert.match(err.message, /^etcd create at http:\/\/127\.0\.0\.1:\d+ failed: /);
      return true;
    });
    await assert.rejects(store.get('/a'), /etcd get at .* failed: /);
    assert.ok(Date.now() - started < 10_000);
    // Once the member is back, the very next calls work: no host is shunned for a while.
    await etcd.members[0]!.restart();
    assert.equal((await store.get('/a'))!.value, '1');
    assert.equal((await store.create('/b', '2')).value, '2');
  });
});
