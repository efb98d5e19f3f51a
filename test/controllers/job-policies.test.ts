import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../src/api/types.js';
import { controllerCluster, waitForPods, finishPod, runPod, getJob, eventsFor, jobManifest, podsOf, eventually, JOBS, PODS } from './job-helpers.js';

const NS = 'default';
const settle = () => new Promise((r) => setTimeout(r, 200));
const conditionsOf = (j: any) => (j.status?.conditions ?? []).map((x: any) => [x.type, x.status, x.reason, x.message]);
const hasCondition = (type: string) => async (c: any, name: string) => {
  const j = await getJob(c.client, NS, name);
  return j.status?.conditions?.some((x: any) => x.type === type && x.status === 'True') ? j : undefined;
};

describe('Job policies', () => {
  test('activeDeadlineSeconds fails the Job with DeadlineExceeded and removes its pods', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(JOBS, NS, jobManifest('slow', { activeDeadlineSeconds: 60, parallelism: 2, completions: 4 }));
    const pods = await waitForPods(c.client, NS, 'batch.kubernetes.io/job-name=slow', 2);
    await c.clock.advance(59_000);
    await settle();
    assert.equal((await waitForPods(c.client, NS, 'batch.kubernetes.io/job-name=slow', 2)).length, 2);
    await c.clock.advance(1_000);
    const failed = await eventually(() => hasCondition('Failed')(c, 'slow'));
    assert.deepEqual(conditionsOf(failed), [
      ['FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline'],
      ['Failed', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline'],
    ]);
    assert.equal(failed.status!.active, undefined);
    assert.equal(failed.status!.terminating, 0);
    // The deleted pods (never scheduled) counted as failures and lost their finalizers.
    assert.equal(failed.status!.failed, 2);
    await eventually(async () => (await podsOf(c.client, NS, 'batch.kubernetes.io/job-name=slow')).length === 0);
    assert.ok(pods.length === 2);
    await eventually(async () => (await eventsFor(c.client, NS, 'slow')).some((e) => e.reason === 'DeadlineExceeded' && e.type === 'Warning'));
  });

  test('Indexed: one pod per index with annotation, label, hostname and env; completedIndexes in interval form', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(JOBS, NS, jobManifest('idx', { completions: 5, parallelism: 2, completionMode: 'Indexed' }));
    const sel = 'batch.kubernetes.io/job-name=idx';
    let pods = await waitForPods(c.client, NS, sel, 2);
    const index = (p: Pod) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index'];
    assert.deepEqual(pods.map(index).sort(), ['0', '1']);
    for (const p of pods) {
      const ix = index(p)!;
      assert.equal(p.metadata.labels!['batch.kubernetes.io/job-completion-index'], ix);
      assert.equal(p.spec.hostname, `idx-${ix}`);
      assert.ok(p.metadata.generateName === `idx-${ix}-`);
      assert.deepEqual(p.spec.containers[0]!.env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }]);
    }
    // Index 1 succeeds, index 0 fails: 0 is retried (after back-off), 2 starts.
    await finishPod(c.client, c.clock, pods.find((p) => index(p) === '1')!, 0);
    await finishPod(c.client, c.clock, pods.find((p) => index(p) === '0')!, 1);
    await eventually(async () => (await getJob(c.client, NS, 'idx')).status?.completedIndexes === '1');
    await c.clock.advance(10_000);
    pods = await waitForPods(c.client, NS, sel, 2);
    assert.deepEqual(pods.map(index).sort(), ['0', '2']);
    for (const p of pods) await finishPod(c.client, c.clock, p, 0);
    pods = await waitForPods(c.client, NS, sel, 2);
    assert.deepEqual(pods.map(index).sort(), ['3', '4']);
    await eventually(async () => (await getJob(c.client, NS, 'idx')).status?.completedIndexes === '0-2');
    await finishPod(c.client, c.clock, pods.find((p) => index(p) === '4')!, 0);
    await eventually(async () => (await getJob(c.client, NS, 'idx')).status?.completedIndexes === '0-2,4');
    await finishPod(c.client, c.clock, pods.find((p) => index(p) === '3')!, 0);
    const done = await eventually(() => hasCondition('Complete')(c, 'idx'));
    assert.equal(done.status!.completedIndexes, '0-4');
    assert.equal(done.status!.succeeded, 5);
    assert.equal(done.status!.failed, 1);
  });

  test('podFailurePolicy: Ignore does not count a disrupted pod, FailJob ends the Job with the rule in the message', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(
      JOBS,
      NS,
      jobManifest('pfp', {
        backoffLimit: 6,
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          ],
        },
      }),
    );
    const sel = 'batch.kubernetes.io/job-name=pfp';
    const j0 = await getJob(c.client, NS, 'pfp');
    assert.equal(j0.spec.podReplacementPolicy, 'Failed');
    let [pod] = await waitForPods(c.client, NS, sel, 1);
    await finishPod(c.client, c.clock, pod!, 137, { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' }] as never });
    // Ignored: not counted, replaced without back-off.
    [pod] = await waitForPods(c.client, NS, sel, 1);
    const st = (await getJob(c.client, NS, 'pfp')).status!;
    assert.equal(st.failed, undefined);
    await finishPod(c.client, c.clock, pod!, 42);
    const failed = await eventually(() => hasCondition('Failed')(c, 'pfp'));
    const message = `Container main for pod default/${pod!.metadata.name} failed with exit code 42 matching FailJob rule at index 0`;
    assert.deepEqual(conditionsOf(failed), [
      ['FailureTarget', 'True', 'PodFailurePolicy', message],
      ['Failed', 'True', 'PodFailurePolicy', message],
    ]);
    assert.equal(failed.status!.failed, 1);
  });

  test('suspend deletes active pods and records Suspended; resuming restarts the pods and the clock of the deadline', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(JOBS, NS, jobManifest('nap', { suspend: true, parallelism: 2, completions: 2 }));
    const sel = 'batch.kubernetes.io/job-name=nap';
    const suspended = await eventually(() => hasCondition('Suspended')(c, 'nap'));
    assert.deepEqual(conditionsOf(suspended), [['Suspended', 'True', 'JobSuspended', 'Job suspended']]);
    assert.equal(suspended.status!.startTime, undefined);
    assert.equal((await podsOf(c.client, NS, sel)).length, 0);
    await c.client.patch(JOBS, NS, 'nap', { spec: { suspend: false } });
    const pods = await waitForPods(c.client, NS, sel, 2);
    const resumed = await getJob(c.client, NS, 'nap');
    assert.deepEqual(conditionsOf(resumed), [['Suspended', 'False', 'JobResumed', 'Job resumed']]);
    assert.ok(resumed.status!.startTime);
    await runPod(c.client, c.clock, pods[0]!);
    await c.client.patch(JOBS, NS, 'nap', { spec: { suspend: true } });
    await eventually(async () => (await podsOf(c.client, NS, sel)).length === 0);
    const again = await eventually(() => hasCondition('Suspended')(c, 'nap'));
    // Pods removed by a suspension are not failures.
    assert.equal(again.status!.failed, undefined);
    assert.equal(again.status!.active, undefined);
    const events = await eventsFor(c.client, NS, 'nap');
    assert.ok(events.some((e) => e.reason === 'Suspended' && e.message === 'Job suspended'));
    assert.ok(events.some((e) => e.reason === 'Resumed' && e.message === 'Job resumed'));
  });

  test('restartPolicy OnFailure: container restarts count toward the back-off limit', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(JOBS, NS, jobManifest('restarts', { backoffLimit: 3 }, { restartPolicy: 'OnFailure' }));
    const [pod] = await waitForPods(c.client, NS, 'batch.kubernetes.io/job-name=restarts', 1);
    await runPod(c.client, c.clock, pod!, { restartCount: 2 });
    await settle();
    assert.equal((await getJob(c.client, NS, 'restarts')).status?.conditions, undefined);
    await runPod(c.client, c.clock, pod!, { restartCount: 3 });
    const failed = await eventually(() => hasCondition('Failed')(c, 'restarts'));
    assert.deepEqual(conditionsOf(failed).at(-1), ['Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit']);
    await eventually(async () => (await podsOf(c.client, NS, 'batch.kubernetes.io/job-name=restarts')).length === 0);
  });

  test('podReplacementPolicy Failed: a terminating pod is replaced only once it has failed', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(JOBS, NS, jobManifest('careful', { podReplacementPolicy: 'Failed', backoffLimit: 5 }));
    const sel = 'batch.kubernetes.io/job-name=careful';
    const [pod] = await waitForPods(c.client, NS, sel, 1);
    // Bound to a node (so deletion is graceful), then deleted: it is terminating, not failed.
    await c.client.request('POST', `/api/v1/namespaces/${NS}/pods/${pod!.metadata.name}/binding`, { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod!.metadata.name }, target: { kind: 'Node', name: 'somewhere' } } });
    await runPod(c.client, c.clock, await c.client.get<Pod>(PODS, NS, pod!.metadata.name!));
    await c.client.delete(PODS, NS, pod!.metadata.name!);
    await eventually(async () => (await getJob(c.client, NS, 'careful')).status?.terminating === 1);
    await settle();
    assert.equal((await podsOf(c.client, NS, sel)).length, 1);
    await finishPod(c.client, c.clock, await c.client.get<Pod>(PODS, NS, pod!.metadata.name!), 143);
    await c.clock.advance(10_000);
    const [replacement] = await waitForPods(c.client, NS, sel, 1);
    assert.notEqual(replacement!.metadata.uid, pod!.metadata.uid);
    const st = (await getJob(c.client, NS, 'careful')).status!;
    assert.equal(st.failed, 1);
  });
});

describe('Job deletion', () => {
  test('deleting a Job releases its pods from the tracking finalizer so that they go with it', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(JOBS, NS, jobManifest('bye', { parallelism: 2, completions: 2 }));
    const sel = 'batch.kubernetes.io/job-name=bye';
    const pods = await waitForPods(c.client, NS, sel, 2);
    await finishPod(c.client, c.clock, pods[0]!, 0);
    await c.client.delete(JOBS, NS, 'bye', { propagationPolicy: 'Background' });
    await eventually(async () => (await podsOf(c.client, NS, sel)).length === 0);
  });
});

describe('backoffLimitPerIndex', () => {
  test('an index fails on its own after its retries; the Job fails with FailedIndexes once every index is done', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(JOBS, NS, jobManifest('per', { completions: 3, parallelism: 3, completionMode: 'Indexed', backoffLimitPerIndex: 1 }));
    const sel = 'batch.kubernetes.io/job-name=per';
    const ix = (p: Pod) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index'];
    let pods = await waitForPods(c.client, NS, sel, 3);
    assert.ok(pods.every((p) => p.metadata.annotations!['batch.kubernetes.io/job-index-failure-count'] === '0'));
    await finishPod(c.client, c.clock, pods.find((p) => ix(p) === '0')!, 1);
    await finishPod(c.client, c.clock, pods.find((p) => ix(p) === '1')!, 0);
    await eventually(async () => (await getJob(c.client, NS, 'per')).status?.failed === 1);
    await c.clock.advance(10_000);
    pods = await waitForPods(c.client, NS, sel, 2);
    const retry = pods.find((p) => ix(p) === '0')!;
    assert.equal(retry.metadata.annotations!['batch.kubernetes.io/job-index-failure-count'], '1');
    await finishPod(c.client, c.clock, retry, 1);
    await eventually(async () => (await getJob(c.client, NS, 'per')).status?.failedIndexes === '0');
    await c.clock.advance(60_000);
    await settle();
    assert.deepEqual((await waitForPods(c.client, NS, sel, 1)).map(ix), ['2']);
    await finishPod(c.client, c.clock, (await waitForPods(c.client, NS, sel, 1))[0]!, 0);
    const failed = await eventually(() => hasCondition('Failed')(c, 'per'));
    assert.deepEqual(conditionsOf(failed).at(-1), ['Failed', 'True', 'FailedIndexes', 'Job has failed indexes']);
    assert.equal(failed.status!.completedIndexes, '1,2');
    assert.equal(failed.status!.failedIndexes, '0');
    assert.equal(failed.status!.failed, 2);
  });

  test('maxFailedIndexes ends the Job at the first index beyond it', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(JOBS, NS, jobManifest('few', { completions: 4, parallelism: 2, completionMode: 'Indexed', backoffLimitPerIndex: 0, maxFailedIndexes: 0 }));
    const sel = 'batch.kubernetes.io/job-name=few';
    const pods = await waitForPods(c.client, NS, sel, 2);
    await finishPod(c.client, c.clock, pods[0]!, 3);
    const failed = await eventually(() => hasCondition('Failed')(c, 'few'));
    assert.deepEqual(conditionsOf(failed).at(-1), ['Failed', 'True', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes']);
    await eventually(async () => (await podsOf(c.client, NS, sel)).every((p) => p.status?.phase === 'Failed' || p.metadata.deletionTimestamp === undefined) && (await getJob(c.client, NS, 'few')).status?.active === undefined);
  });
});
