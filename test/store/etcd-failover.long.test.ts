// Every member of a three-member etcd killed in turn (the leader among them): the store's writes
// go on after each loss, and its watch, whose stream is on one of the members, delivers every
// event exactly once and in order across the losses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openEtcdStore } from '../../src/store/etcd/index.js';
import type { KeyValue } from '../../src/store/types.js';
import { startEtcd } from '../helpers/etcd.js';
import { createDespiteLoss } from './etcd-support.js';
import { WatchRecorder } from './watch-recorder.js';

test('with each member killed in turn, writes keep working and the watch delivers every event once', async (t) => {
  const etcd = await startEtcd(t, { members: 3 });
  const store = await openEtcdStore({ endpoints: etcd.endpoints, compactIntervalMs: 0 });
  t.after(() => store.close());
  const base = await store.currentRevision();
  const rec = new WatchRecorder(store, '/w/', base);
  const acked: KeyValue[] = [];
  for (let i = 0; i < 10; i++) acked.push(await store.create(`/w/before-${i}`, `${i}`));
  await rec.waitForEvents(acked.length);

  for (const [m, member] of etcd.members.entries()) {
    await member.kill();
    for (let i = 0; i < 10; i++) acked.push(await createDespiteLoss(store, `/w/without-${m}-${i}`, `${i}`, 20_000));
    await member.restart();
  }
  acked.push(await store.create('/w/all-back', 'x'));
  const events = await rec.waitForEvents(acked.length, 20_000);
  assert.deepEqual(
    events.map((e) => [e.kv.key, e.kv.modRevision]),
    acked.map((kv) => [kv.key, kv.modRevision]),
  );
  await rec.quiesce();
  assert.equal(rec.events.length, acked.length);
  assert.equal(await store.count('/w/'), acked.length);
});
