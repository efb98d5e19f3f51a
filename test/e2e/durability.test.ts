// Nothing acknowledged is lost: a `k8ts server` on sqlite is SIGKILLed in the middle of a burst of
// writes with many requests in flight, then restarted on the same data directory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

import type { KubeObject } from '../../src/api/types.js';
import { ApiError } from '../../src/api/errors.js';
import { ApiClient, resourcePath, type WatchEventOf } from '../../src/client/client.js';
import { clientFromKubeconfig, startK8tsServer, tempDir } from '../helpers/cli.js';

const CMS = ApiClient.resourceOf('v1', 'ConfigMap');
const NS = ApiClient.resourceOf('v1', 'Namespace');

const IN_FLIGHT = 48;
/** Acknowledged creates after which the server is killed; the writers keep going until it dies. */
const KILL_AFTER = 200;

test('SIGKILL during a write burst: every acknowledged write survives, resourceVersions move on, an old watch resumes exactly or expires', async (t) => {
  const dir = tempDir(t, 'k8ts-durability-');
  const dataDir = join(dir, 'data');
  const kubeconfig = join(dataDir, 'kubeconfig');
  const args = ['--data-dir', dataDir, '--write-kubeconfig=false'];

  const first = await startK8tsServer(t, args);
  let c = clientFromKubeconfig(kubeconfig);
  t.after(() => c.close());
  await c.create(NS, '', { metadata: { name: 'burst' } });
  await c.create(CMS, 'default', { metadata: { name: 'counter' }, data: { n: '0' } });
  const startRV = (await c.list(CMS, 'burst')).metadata.resourceVersion!;
  await c.patch(CMS, 'default', 'counter', { data: { n: '1' } });

  // Acknowledged writes: creates (name → resourceVersion) and the counter's last acknowledged value.
  const acked = new Map<string, number>();
  let counterAcked = 1;
  let dead = false;
  let killed: Promise<unknown> | undefined;
  let next = 0;
  const writer = async () => {
    while (!dead) {
      const name = `cm-${next++}`;
      try {
        const created = await c.create<KubeObject>(CMS, 'burst', { metadata: { name }, data: { payload: name.repeat(20) } });
        acked.set(name, Number(created.metadata.resourceVersion));
      } catch (err) {
        if (err instanceof ApiError) throw err; // a refusal from a live server is a bug, not the crash
        return; // the connection died with the server
      }
      if (acked.size >= KILL_AFTER && !killed) killed = first.stop('SIGKILL');
    }
  };
  const counter = async () => {
    for (let n = counterAcked + 1; !dead; n++) {
      try {
        await c.patch(CMS, 'default', 'counter', { data: { n: String(n) } });
        counterAcked = n;
      } catch (err) {
        if (err instanceof ApiError) throw err;
        return;
      }
    }
  };
  const writers = [...Array.from({ length: IN_FLIGHT }, writer), counter()];
  const exit = await first.exited;
  dead = true;
  await Promise.all(writers);
  assert.equal(exit.signal, 'SIGKILL');
  assert.ok(acked.size >= KILL_AFTER, `only ${acked.size} writes were acknowledged before the kill`);
  assert.ok(next > acked.size, 'writes were still in flight when the server died');
  c.close();

  // Restart on the same data directory (a new port, so a new kubeconfig).
  const second = await startK8tsServer(t, args);
  c = clientFromKubeconfig(kubeconfig);
  const list = await c.list(CMS, 'burst');
  const stored = new Map(list.items.map((i) => [i.metadata.name!, Number(i.metadata.resourceVersion)]));
  for (const [name, rv] of acked) {
    assert.equal(stored.get(name), rv, `acknowledged ${name} at ${rv} is ${stored.has(name) ? `at ${stored.get(name)}` : 'missing'}`);
  }
  const counterNow = Number((await c.get<KubeObject & { data: Record<string, string> }>(CMS, 'default', 'counter')).data.n);
  assert.ok(counterNow >= counterAcked, `counter ${counterNow} went back behind the acknowledged ${counterAcked}`);

  // resourceVersions keep increasing past everything stored before the crash.
  const highest = Math.max(...stored.values(), Number(list.metadata.resourceVersion) - 1);
  const after = await c.create<KubeObject>(CMS, 'default', { metadata: { name: 'after-crash' } });
  assert.ok(Number(after.metadata.resourceVersion) > highest, `${after.metadata.resourceVersion} > ${highest}`);
  assert.ok(Number(after.metadata.resourceVersion) > Number(list.metadata.resourceVersion));

  // A watch from the revision before the burst either replays exactly what was stored after it, in
  // order and once each, or says 410 Expired.
  const events: WatchEventOf<KubeObject>[] = [];
  let resolveDone!: () => void;
  const complete = new Promise<void>((r) => (resolveDone = r));
  const expected = [...stored.entries()].filter(([, rv]) => rv > Number(startRV));
  const w = c.watch<KubeObject>(resourcePath(CMS, 'burst'), { resourceVersion: startRV }, (e) => {
    events.push(e);
    if (e.type === 'ERROR' || events.length >= expected.length) resolveDone();
  });
  t.after(() => w.stop());
  await Promise.race([complete, w.done]);
  w.stop();
  if (events[0]?.type === 'ERROR') {
    const status = events[0].object as unknown as { code: number; reason: string; message: string };
    assert.equal(status.code, 410);
    assert.equal(status.reason, 'Expired');
    assert.match(status.message, /^too old resource version: \d+ \(\d+\)$/);
  } else {
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name, Number(e.object.metadata.resourceVersion)]),
      expected.sort((a, b) => a[1] - b[1]).map(([name, rv]) => ['ADDED', name, rv]),
    );
  }

  assert.deepEqual(await second.stop('SIGTERM'), { code: 0, signal: null });
});
