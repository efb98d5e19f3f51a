import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/util/clock.js';
import { PodWorkers, effectiveGracePeriod, type PodSyncer } from '../../src/kubelet/pod-workers.js';
import type { SyncOutcome } from '../../src/kubelet/pod-sync.js';
import type { Pod } from '../../src/api/types.js';
import { makePod } from './harness.js';

class RecordingSyncer implements PodSyncer {
  readonly log: string[] = [];
  outcome: SyncOutcome = { terminal: false };
  syncGate: Promise<void> | undefined;
  constructor(private readonly clock: FakeClock) {}
  private at() {
    return (this.clock.now() - Date.UTC(2026, 0, 1)) / 1000;
  }
  async syncPod(pod: Pod, signal: AbortSignal): Promise<SyncOutcome> {
    this.log.push(`sync ${pod.metadata.resourceVersion ?? ''}@${this.at()}`);
    if (this.syncGate) await Promise.race([this.syncGate, new Promise((r) => signal.addEventListener('abort', r))]);
    return this.outcome;
  }
  async syncTerminatingPod(_pod: Pod, grace: number, signal: AbortSignal): Promise<void> {
    this.log.push(`terminating ${grace}@${this.at()}`);
    await this.clock.sleep(grace * 1000, signal).catch(() => undefined);
    if (signal.aborted) throw new Error('interrupted');
  }
  async syncTerminatingRuntimePod(uid: string, grace: number): Promise<void> {
    this.log.push(`orphan ${uid} ${grace}@${this.at()}`);
  }
  async syncTerminatedPod(): Promise<void> {
    this.log.push(`terminated@${this.at()}`);
  }
}

function setup() {
  const clock = new FakeClock();
  const syncer = new RecordingSyncer(clock);
  const workers = new PodWorkers({ syncer, clock, resyncMs: 60_000, errorBackoffMs: 10_000 });
  return { clock, syncer, workers };
}

describe('pod workers', () => {
  test('updates arriving during a sync coalesce into one more pass over the latest pod', async () => {
    const { clock, syncer, workers } = setup();
    let open!: () => void;
    syncer.syncGate = new Promise((r) => (open = r));
    const pod = makePod('a', { containers: [{ name: 'c', image: 'i' }] });
    workers.updatePod({ type: 'create', pod: { ...pod, metadata: { ...pod.metadata, resourceVersion: '1' } } });
    await clock.advance(0);
    for (const rv of ['2', '3', '4']) workers.updatePod({ type: 'update', pod: { ...pod, metadata: { ...pod.metadata, resourceVersion: rv } } });
    syncer.syncGate = undefined;
    open();
    await workers.idle();
    assert.deepEqual(syncer.log, ['sync 1@0', 'sync 4@0']);
    await clock.advance(60_000);
    await workers.idle();
    assert.deepEqual(syncer.log.slice(2), ['sync 4@60']);
    await workers.stop();
  });

  test('a newer object differing only in status replaces the pod without another pass; any other change syncs', async () => {
    const { clock, syncer, workers } = setup();
    const pod = makePod('r', { containers: [{ name: 'c', image: 'i' }] });
    const at = (rv: string, extra: Partial<Pod> = {}): Pod => ({ ...pod, ...extra, metadata: { ...pod.metadata, resourceVersion: rv, ...(extra.metadata ?? {}) } });
    workers.updatePod({ type: 'create', pod: at('1') });
    await workers.idle();
    assert.equal(workers.replacePod(at('2', { status: { phase: 'Running' } })), true);
    await workers.idle();
    assert.deepEqual(syncer.log, ['sync 1@0']);
    assert.equal(workers.replacePod(at('3', { metadata: { ...pod.metadata, labels: { changed: 'yes' } } })), false);
    assert.equal(workers.replacePod(makePod('unknown', { containers: [] })), false);
    await clock.advance(60_000);
    await workers.idle();
    assert.deepEqual(syncer.log, ['sync 1@0', 'sync 2@60']);
    await workers.stop();
  });

  test('§8.3 a terminal sync moves the pod to terminating then terminated, never back', async () => {
    const { clock, syncer, workers } = setup();
    syncer.outcome = { terminal: true };
    const pod = makePod('b', { terminationGracePeriodSeconds: 5, containers: [{ name: 'c', image: 'i' }] });
    workers.updatePod({ type: 'create', pod });
    await clock.advance(10_000);
    await workers.idle();
    workers.updatePod({ type: 'update', pod });
    await clock.advance(120_000);
    await workers.idle();
    assert.deepEqual(syncer.log, ['sync @0', 'terminating 5@0', 'terminated@5']);
    assert.equal(workers.isFinished(pod.metadata.uid!), true);
    assert.equal(workers.forget(pod.metadata.uid!), true);
    await workers.stop();
  });

  test('§8.3 deletion interrupts a sync; a shorter grace interrupts termination; a longer one is ignored', async () => {
    const { clock, syncer, workers } = setup();
    syncer.syncGate = new Promise(() => undefined);
    const pod = makePod('c', { containers: [{ name: 'c', image: 'i' }] });
    workers.updatePod({ type: 'create', pod });
    await clock.advance(1000);
    const deleted = (grace: number): Pod => ({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:01:00Z', deletionGracePeriodSeconds: grace } });
    workers.updatePod({ type: 'update', pod: deleted(30) });
    await clock.advance(2000);
    workers.updatePod({ type: 'update', pod: deleted(60) });
    await clock.advance(1000);
    workers.updatePod({ type: 'update', pod: deleted(3) });
    await clock.advance(10_000);
    await workers.idle();
    assert.deepEqual(syncer.log, ['sync @0', 'terminating 30@1', 'terminating 3@4', 'terminated@7']);
    await workers.stop();
  });

  test('§8.3 a pod only the runtime knows is stopped with the override grace', async () => {
    const { clock, syncer, workers } = setup();
    workers.updatePod({ type: 'kill', podUid: 'ghost', gracePeriodOverride: 1 });
    await clock.advance(0);
    await workers.idle();
    assert.deepEqual(syncer.log, ['orphan ghost 1@0']);
    assert.equal(workers.isFinished('ghost'), true);
    await workers.stop();
  });

  test('§8.3 effective grace: the deletion decides, an override wins, zero falls back to the spec, at least 1', () => {
    const pod = makePod('d', { terminationGracePeriodSeconds: 20, containers: [{ name: 'c', image: 'i' }] });
    const del = (g: number): Pod => ({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: 'x', deletionGracePeriodSeconds: g } });
    assert.equal(effectiveGracePeriod(pod, undefined), 20);
    assert.equal(effectiveGracePeriod(del(7), undefined), 7);
    assert.equal(effectiveGracePeriod(del(7), 2), 2);
    assert.equal(effectiveGracePeriod(del(0), undefined), 20);
    assert.equal(effectiveGracePeriod({ ...pod, spec: { ...pod.spec, terminationGracePeriodSeconds: 0 } }, undefined), 1);
  });
});
