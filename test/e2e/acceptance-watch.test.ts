// `kubectl get -w` against k8ts: the list, then one row per change as it happens, for a whole
// collection and for one object, with and without the event column.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

import { ApiClient } from '../../src/client/client.js';
import { testCluster, spawnCollect, type TestCluster } from '../helpers/cluster.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const CMS = ApiClient.resourceOf('v1', 'ConfigMap');

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const podBody = (name: string) => ({ metadata: { name, labels: { watch: 'yes' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } });

describe('kubectl get -w', () => {
  let k: TestCluster;
  let kubeconfig: string;
  let cache: string;
  const cleanups: (() => unknown)[] = [];
  const after_ = { after: (fn: () => unknown) => cleanups.push(fn) };
  before(async () => {
    k = await testCluster(after_, { store: 'memory' });
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-watch-'));
    cleanups.push(() => safeRemoveSync(dir, { unmount: true }));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, k.kubeconfig, { mode: 0o600 });
    cache = join(dir, 'cache');
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const watch = (args: string[]) => spawnCollect('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cache, ...args], after_);

  /** Reports the pod running and ready, as its kubelet would. */
  const markRunning = (name: string) =>
    k.client.patch(PODS, 'default', name, {
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: now() }],
        containerStatuses: [{ name: 'main', ready: true, started: true, restartCount: 0, image: 'busybox:1.36', imageID: '', state: { running: { startedAt: now() } } }],
      },
    }, 'merge', 'status');

  test('a collection: the list first, then a row for each create, update and delete', async () => {
    await k.client.create(PODS, 'default', podBody('first'));
    const w = watch(['get', 'pods', '-l', 'watch=yes', '-w']);
    await w.waitFor(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n(.*\n)?first\s+0\/1\s+Pending\s+0\s+\S+\n/m);

    await k.client.create(PODS, 'default', podBody('second'));
    await w.waitFor(/^second\s+0\/1\s+Pending\s+0\s+\S+$/m);
    await markRunning('second');
    await w.waitFor(/^second\s+1\/1\s+Running\s+0\s+\S+$/m);
    await k.client.delete(PODS, 'default', 'first');
    // The deleted object's last state, once more: two rows for `first` in all.
    await w.waitFor(/^first\s+0\/1\s+Pending(.*\n)+first\s+0\/1\s+Pending/m);
    // An object the selector does not match is not shown.
    await k.client.create(PODS, 'default', { metadata: { name: 'unwatched' }, spec: podBody('x').spec });
    await markRunning('second');
    await w.waitFor(/^second\s+1\/1\s+Running(.*\n)+second\s+1\/1\s+Running/m);
    assert.doesNotMatch(w.output(), /unwatched/);
    // Only one header: watch events are rows of the same table.
    assert.equal(w.output().match(/^NAME\s+READY/gm)?.length, 1);
    assert.equal(w.child.exitCode, null, 'still watching');
  });

  test('one object by name: its row, then a row per change of it only', async () => {
    await k.client.create(PODS, 'default', podBody('single'));
    await k.client.create(PODS, 'default', podBody('neighbour'));
    const w = watch(['get', 'pod', 'single', '-w']);
    await w.waitFor(/^single\s+0\/1\s+Pending\s+0\s+\S+\n/m);
    await k.client.patch(PODS, 'default', 'neighbour', { metadata: { labels: { touched: 'yes' } } });
    await markRunning('single');
    await w.waitFor(/^single\s+1\/1\s+Running\s+0\s+\S+$/m);
    // kubectl drops the replayed ADDED of the object it already printed: exactly two rows.
    assert.deepEqual(
      w.output().trim().split('\n').slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' ')),
      ['single 0/1 Pending', 'single 1/1 Running'],
    );
    assert.doesNotMatch(w.output(), /neighbour/);
  });

  test('--output-watch-events names each event; --watch-only skips the list', async () => {
    await k.client.create(CMS, 'default', { metadata: { name: 'before', labels: { events: 'yes' } }, data: { a: '1' } });
    const w = watch(['get', 'configmaps', '-l', 'events=yes', '-w', '--output-watch-events']);
    await w.waitFor(/^EVENT\s+NAME\s+DATA\s+AGE\nADDED\s+before\s+1\s+\S+\n/m);
    // -v=6 logs the watch request once its answer has begun: then it is watching.
    const only = watch(['get', 'configmaps', '-l', 'events=yes', '--watch-only', '-v=6']);
    await only.waitFor(/watch=true[^\n]*200 OK/);
    await k.client.create(CMS, 'default', { metadata: { name: 'during', labels: { events: 'yes' } }, data: { a: '1', b: '2' } });
    await w.waitFor(/^ADDED\s+during\s+2\s+\S+$/m);
    await k.client.patch(CMS, 'default', 'during', { data: { c: '3' } });
    await w.waitFor(/^MODIFIED\s+during\s+3\s+\S+$/m);
    await k.client.delete(CMS, 'default', 'during');
    await w.waitFor(/^DELETED\s+during\s+3\s+\S+$/m);
    await only.waitFor(/^during\s+3\s+\S+$/m);
    await only.waitFor(/^during\s+2\s+\S+$/m);
    assert.match(only.output(), /^NAME\s+DATA\s+AGE$/m);
    assert.doesNotMatch(only.output(), /^before\s/m, '--watch-only does not print the list');
  });
});
