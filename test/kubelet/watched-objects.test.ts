import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchedObjects, type ObjectFeed } from '../../src/kubelet/watched-objects.js';

/** A feed whose watches the test drives: `established` reports a state, `end` breaks the watch. */
function scriptedFeed() {
  const stored = new Map<string, string>();
  let gets = 0;
  const watches: { key: string; onState: (v: string | undefined) => void; end: () => void; stopped: boolean }[] = [];
  const feed: ObjectFeed<string> = {
    async get(namespace, name) {
      gets++;
      return stored.get(`${namespace}/${name}`);
    },
    follow(namespace, name, onState) {
      let end!: () => void;
      const done = new Promise<void>((r) => (end = r));
      const w = { key: `${namespace}/${name}`, onState, end, stopped: false };
      watches.push(w);
      return { done, stop: () => ((w.stopped = true), end()) };
    },
  };
  return { feed, stored, watches, gets: () => gets };
}

const turn = () => new Promise((r) => setImmediate(r));

test('reads are GETs until the watch reports the object, then answer from it', async () => {
  const s = scriptedFeed();
  const objects = new WatchedObjects(s.feed);
  s.stored.set('ns/a', 'v1');
  assert.equal(await objects.get('ns', 'a'), 'v1');
  assert.equal(s.gets(), 1);
  assert.equal(s.watches.length, 1);
  s.watches[0]!.onState('v1');
  assert.equal(await objects.get('ns', 'a'), 'v1');
  assert.equal(await objects.get('ns', 'a'), 'v1');
  assert.equal(s.gets(), 1);
  s.watches[0]!.onState('v2');
  assert.equal(await objects.get('ns', 'a'), 'v2');
  s.watches[0]!.onState(undefined);
  assert.equal(await objects.get('ns', 'a'), undefined);
  assert.equal(s.gets(), 1);
  objects.stop();
  assert.ok(s.watches[0]!.stopped);
});

test('a broken watch falls back to GETs and is re-established', async () => {
  const s = scriptedFeed();
  const objects = new WatchedObjects(s.feed);
  s.stored.set('ns/a', 'fresh');
  await objects.get('ns', 'a');
  s.watches[0]!.onState('stale');
  s.watches[0]!.end();
  await turn();
  assert.equal(await objects.get('ns', 'a'), 'fresh');
  assert.equal(s.gets(), 2);
  objects.stop();
});

test('watches no read used for the idle time are stopped', async () => {
  let now = 0;
  const s = scriptedFeed();
  const objects = new WatchedObjects(s.feed, { idleMs: 10_000, now: () => now });
  await objects.get('ns', 'a');
  now = 5_000;
  await objects.get('ns', 'b');
  now = 12_000;
  await objects.get('ns', 'b');
  assert.equal(objects.size, 1);
  assert.ok(s.watches.find((w) => w.key === 'ns/a')!.stopped);
  assert.ok(!s.watches.find((w) => w.key === 'ns/b')!.stopped);
  objects.stop();
});
