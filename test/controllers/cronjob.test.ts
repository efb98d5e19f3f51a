import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { controllerCluster, eventually, eventsFor, finishPod, waitForPods, CRONJOBS, JOBS, type ControllerCluster } from './job-helpers.js';
import { compileSchedule, formatInZone, mostRecentScheduleTime } from '../../src/controllers/cronjob/schedule.js';

const NS = 'default';
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
/** The clock starts half a minute in: each advance of a minute passes one activation. */
const START = T0 + 30_000;
const settle = () => new Promise((r) => setTimeout(r, 150));

function cronJob(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    metadata: { name },
    spec: {
      jobTemplate: { metadata: { labels: { from: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
  };
}

async function jobsOf(c: ControllerCluster, name: string): Promise<any[]> {
  const list = await c.client.list(JOBS, NS, { labelSelector: `from=${name}` });
  return (list.items as any[]).filter((j) => !j.metadata.deletionTimestamp).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

async function minutes(c: ControllerCluster, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await c.clock.advance(60_000);
    await settle();
  }
}

/** Completes a Job the way it really completes: its pod succeeds. */
async function completeJob(c: ControllerCluster, job: any): Promise<void> {
  const [pod] = await waitForPods(c.client, NS, `batch.kubernetes.io/controller-uid=${job.metadata.uid}`, 1);
  await finishPod(c.client, c.clock, pod!, 0);
  await eventually(async () => ((await c.client.get(JOBS, NS, job.metadata.name)) as any).status?.conditions?.some((x: any) => x.type === 'Complete'));
}

describe('CronJob schedules', () => {
  test('next activation in a time zone, day-of-month OR day-of-week, and the RFC 3339 form in the zone', () => {
    const tokyo = compileSchedule('30 9 * * *', 'Asia/Tokyo');
    assert.equal(new Date(tokyo.next(T0)!).toISOString(), '2026-01-01T00:30:00.000Z');
    assert.equal(formatInZone(Date.UTC(2026, 0, 1, 0, 30), 'Asia/Tokyo'), '2026-01-01T09:30:00+09:00');
    assert.equal(formatInZone(Date.UTC(2026, 0, 1, 0, 30), undefined), '2026-01-01T00:30:00Z');
    assert.equal(formatInZone(Date.UTC(2026, 6, 1, 12), 'America/New_York'), '2026-07-01T08:00:00-04:00');
    // 2026-01-01 is a Thursday: "0 0 13 * 5" fires on the 13th or on Fridays.
    const either = compileSchedule('0 0 13 * 5');
    assert.equal(new Date(either.next(T0)!).toISOString(), '2026-01-02T00:00:00.000Z');
    // Strictly after: an activation at the instant itself is not the next one.
    assert.equal(compileSchedule('* * * * *').next(T0), T0 + 60_000);
    // New York springs forward on 2026-03-08: 02:30 does not exist that day.
    const ny = compileSchedule('30 2 * * *', 'America/New_York');
    assert.equal(new Date(ny.next(Date.UTC(2026, 2, 7, 12))!).toISOString(), '2026-03-09T06:30:00.000Z');
    const w = mostRecentScheduleTime(compileSchedule('* * * * *'), T0, T0 + 150 * 60_000 + 5_000);
    assert.equal(w.mostRecent, T0 + 150 * 60_000);
    assert.equal(w.missed, 150);
  });
});

describe('CronJob controller', () => {
  test('creates a Job per activation with the minute-stamped name and scheduled-timestamp annotation; Forbid skips while one runs', async (t) => {
    const c = await controllerCluster(t, {}, { startAt: START });
    await c.client.create(CRONJOBS, NS, cronJob('tick', { schedule: '* * * * *', concurrencyPolicy: 'Forbid' }));
    await settle();
    await minutes(c, 1);
    const [job] = await eventually(async () => {
      const j = await jobsOf(c, 'tick');
      return j.length === 1 ? j : undefined;
    });
    const minute = Math.floor((T0 + 60_000) / 60_000);
    assert.equal(job.metadata.name, `tick-${minute}`);
    assert.equal(job.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-01-01T00:01:00Z');
    const cj: any = await c.client.get(CRONJOBS, NS, 'tick');
    assert.deepEqual(job.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    const st = await eventually(async () => ((await c.client.get(CRONJOBS, NS, 'tick')) as any).status?.active ? ((await c.client.get(CRONJOBS, NS, 'tick')) as any).status : undefined);
    assert.equal(st.lastScheduleTime, '2026-01-01T00:01:00Z');
    assert.deepEqual(st.active.map((r: any) => [r.kind, r.name, r.uid, r.apiVersion]), [['Job', job.metadata.name, job.metadata.uid, 'batch/v1']]);

    // Forbid: the 00:02 activation finds the Job still running.
    await minutes(c, 1);
    await eventually(async () => (await eventsFor(c.client, NS, 'tick')).some((e) => e.reason === 'JobAlreadyActive'));
    assert.equal((await jobsOf(c, 'tick')).length, 1);

    // Once it completes, the 00:02 activation Forbid held back runs at once (it is not past a deadline).
    await completeJob(c, job);
    const done = await eventually(async () => {
      const s = ((await c.client.get(CRONJOBS, NS, 'tick')) as any).status;
      return s?.lastSuccessfulTime && s.active?.length === 1 && s.active[0].uid !== job.metadata.uid ? s : undefined;
    });
    assert.equal(done.active[0].name, `tick-${minute + 1}`);
    assert.equal(done.lastScheduleTime, '2026-01-01T00:02:00Z');
    assert.equal(done.lastSuccessfulTime, ((await c.client.get(JOBS, NS, job.metadata.name)) as any).status.completionTime);
    assert.equal((await jobsOf(c, 'tick')).length, 2);
    const events = await eventsFor(c.client, NS, 'tick');
    assert.ok(events.some((e) => e.reason === 'SawCompletedJob' && e.message === `Saw completed job: ${job.metadata.name}, condition: Complete`));
    assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && e.message === `Created job ${job.metadata.name}`));
  });

  test('Replace deletes the running Job; history limits prune finished ones; time zones pick the activation', async (t) => {
    const c = await controllerCluster(t, {}, { startAt: START });
    await c.client.create(CRONJOBS, NS, cronJob('swap', { schedule: '* * * * *', concurrencyPolicy: 'Replace', successfulJobsHistoryLimit: 1 }));
    await c.client.create(CRONJOBS, NS, cronJob('tokyo', { schedule: '2 9 * * *', timeZone: 'Asia/Tokyo' }));
    await settle();
    await minutes(c, 1);
    const [first] = await eventually(async () => {
      const j = await jobsOf(c, 'swap');
      return j.length === 1 ? j : undefined;
    });
    await minutes(c, 1);
    const second = await eventually(async () => {
      const j = await jobsOf(c, 'swap');
      return j.length === 1 && j[0].metadata.uid !== first.metadata.uid ? j[0] : undefined;
    });
    await eventually(async () => (await eventsFor(c.client, NS, 'swap')).some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted job ${first.metadata.name}`));
    const tokyo = await eventually(async () => {
      const j = await jobsOf(c, 'tokyo');
      return j.length === 1 ? j[0] : undefined;
    });
    assert.equal(tokyo.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-01-01T09:02:00+09:00');
    assert.equal(tokyo.metadata.name, `tokyo-${Math.floor((T0 + 120_000) / 60_000)}`);

    // Two successes with a history limit of 1: the older goes.
    await completeJob(c, second);
    await minutes(c, 1);
    const third = await eventually(async () => {
      const j = await jobsOf(c, 'swap');
      return j.find((x) => x.metadata.uid !== second.metadata.uid);
    });
    await completeJob(c, third);
    await eventually(async () => {
      const j = await jobsOf(c, 'swap');
      return j.length === 1 && j[0].metadata.uid === third.metadata.uid;
    });
  });

  test('missed schedules: more than 100 warn and only the latest runs; startingDeadlineSeconds skips activations too far back', async (t) => {
    const c = await controllerCluster(t, {}, { startAt: START });
    await c.client.create(CRONJOBS, NS, cronJob('late', { schedule: '* * * * *', suspend: true }));
    await c.client.create(CRONJOBS, NS, cronJob('strict', { schedule: '*/10 * * * *', suspend: true, startingDeadlineSeconds: 30 }));
    await settle();
    await c.clock.advance(101 * 60_000 + 10_000);
    await settle();
    await c.client.patch(CRONJOBS, NS, 'late', { spec: { suspend: false } });
    await c.client.patch(CRONJOBS, NS, 'strict', { spec: { suspend: false } });
    const jobs = await eventually(async () => {
      const j = await jobsOf(c, 'late');
      return j.length ? j : undefined;
    });
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].metadata.name, `late-${Math.floor(T0 / 60_000) + 101}`);
    const warn = await eventually(async () => (await eventsFor(c.client, NS, 'late')).find((e) => e.reason === 'TooManyMissedTimes'));
    assert.equal(warn.type, 'Warning');
    assert.equal(warn.message, 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    // 01:40 was 100 s ago, beyond the 30 s deadline: nothing until 01:50.
    await settle();
    assert.equal((await jobsOf(c, 'strict')).length, 0);
    await c.clock.advance(8 * 60_000);
    await settle();
    assert.equal((await jobsOf(c, 'strict')).length, 0);
    await c.clock.advance(60_000);
    const strict = await eventually(async () => {
      const j = await jobsOf(c, 'strict');
      return j.length === 1 ? j[0] : undefined;
    });
    assert.equal(strict.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-01-01T01:50:00Z');
  });
});
