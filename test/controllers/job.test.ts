import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  controllerCluster,
  waitForPods,
  finishPod,
  runPod,
  getJob,
  eventsFor,
  jobManifest,
  podsOf,
  eventually,
  JOBS,
  PODS,
} from './job-helpers.js';

const NS = 'default';

describe('Job controller', () => {
  test('runs completions with parallelism, tracks pods with finalizers, completes with 1.33 conditions and events', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(JOBS, NS, jobManifest('work', { completions: 3, parallelism: 2 }));
    const job = await getJob(c.client, NS, 'work');
    const sel = `batch.kubernetes.io/controller-uid=${job.metadata.uid}`;
    const first = await waitForPods(c.client, NS, sel, 2);
    for (const p of first) {
      assert.ok(p.metadata.name!.startsWith('work-'));
      assert.deepEqual(p.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'work', uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      assert.equal(p.metadata.labels!['batch.kubernetes.io/job-name'], 'work');
      assert.equal(p.metadata.labels!['job-name'], 'work');
    }
    await eventually(async () => (await getJob(c.client, NS, 'work')).status?.active === 2);
    await runPod(c.client, c.clock, first[1]!);
    await eventually(async () => (await getJob(c.client, NS, 'work')).status?.ready === 1);

    await finishPod(c.client, c.clock, first[0]!, 0);
    // The finished pod is counted once its finalizer is gone; a third pod replaces it.
    const st = await eventually(async () => {
      const j = await getJob(c.client, NS, 'work');
      return j.status?.succeeded === 1 && j.status.active === 2 ? j.status : undefined;
    });
    assert.deepEqual(st.uncountedTerminatedPods, {});
    const done = await c.client.get(PODS, NS, first[0]!.metadata.name!);
    assert.deepEqual(done.metadata.finalizers ?? [], []);
    const running = await waitForPods(c.client, NS, sel, 2);
    for (const p of running) await finishPod(c.client, c.clock, p, 0);

    const finished = await eventually(async () => {
      const j = await getJob(c.client, NS, 'work');
      return j.status?.conditions?.some((x: any) => x.type === 'Complete') ? j : undefined;
    });
    assert.equal(finished.status!.succeeded, 3);
    // Zero counters are omitted, as Go's omitempty does; ready and terminating are pointers and stay.
    assert.equal(finished.status!.failed, undefined);
    assert.equal(finished.status!.ready, 0);
    assert.equal(finished.status!.active, undefined);
    assert.equal(finished.status!.terminating, 0);
    assert.ok(finished.status!.startTime);
    assert.ok(finished.status!.completionTime);
    assert.deepEqual(
      finished.status!.conditions.map((x: any) => [x.type, x.status, x.reason, x.message]),
      [
        ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
        ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
      ],
    );
    const all = await podsOf(c.client, NS, sel);
    assert.equal(all.length, 3);
    assert.ok(all.every((p) => !p.metadata.finalizers?.length));
    const events = await eventually(async () => {
      const e = await eventsFor(c.client, NS, 'work');
      return e.some((x) => x.reason === 'Completed') ? e : undefined;
    });
    assert.equal(events.filter((e) => e.reason === 'SuccessfulCreate').length, 3);
    assert.ok(events.every((e) => e.source?.component === 'job-controller'));
    assert.deepEqual(events.find((e) => e.reason === 'Completed')!.message, 'Job completed');

    const table = await c.kubectl(['get', 'jobs', 'work', '--no-headers']);
    assert.match(table.stdout, /^work\s+Complete\s+3\/3\s/);
  });

  test('re-creates failed pods after an exponential back-off and fails at the back-off limit', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(JOBS, NS, jobManifest('flaky', { backoffLimit: 2 }));
    const sel = 'batch.kubernetes.io/job-name=flaky';
    let [pod] = await waitForPods(c.client, NS, sel, 1);
    await finishPod(c.client, c.clock, pod!, 1);
    await eventually(async () => (await getJob(c.client, NS, 'flaky')).status?.failed === 1);
    // First failure: 10 s before the replacement.
    await c.clock.advance(9_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await podsOf(c.client, NS, sel)).filter((p) => p.status?.phase !== 'Failed').length, 0);
    await c.clock.advance(1_000);
    [pod] = await waitForPods(c.client, NS, sel, 1);
    await finishPod(c.client, c.clock, pod!, 1);
    await eventually(async () => (await getJob(c.client, NS, 'flaky')).status?.failed === 2);
    // Second consecutive failure: 20 s.
    await c.clock.advance(19_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await podsOf(c.client, NS, sel)).filter((p) => p.status?.phase !== 'Failed').length, 0);
    await c.clock.advance(1_000);
    [pod] = await waitForPods(c.client, NS, sel, 1);
    await finishPod(c.client, c.clock, pod!, 1);

    const failed = await eventually(async () => {
      const j = await getJob(c.client, NS, 'flaky');
      return j.status?.conditions?.some((x: any) => x.type === 'Failed') ? j : undefined;
    });
    assert.equal(failed.status!.failed, 3);
    assert.deepEqual(
      failed.status!.conditions.map((x: any) => [x.type, x.reason, x.message]),
      [
        ['FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
        ['Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
      ],
    );
    assert.equal(failed.status!.completionTime, undefined);
    const ev = await eventually(async () => (await eventsFor(c.client, NS, 'flaky')).find((e) => e.reason === 'BackoffLimitExceeded'));
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, 'Job has reached the specified backoff limit');
    const table = await c.kubectl(['get', 'jobs', 'flaky', '--no-headers']);
    assert.match(table.stdout, /^flaky\s+Failed\s+0\/1\s/);
  });
});
