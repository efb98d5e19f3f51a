// The CronJob controller (pkg/controller/cronjob, v2): creates a Job for each activation of the
// schedule in the CronJob's time zone, named <cronjob>-<minutes since the epoch>, honouring
// suspend, startingDeadlineSeconds and the concurrency policy; keeps status.active,
// lastScheduleTime and lastSuccessfulTime; prunes finished Jobs beyond the history limits.

import type { KubeObject, ObjectMeta, ObjectReference } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import { KubeletEventRecorder } from '../../kubelet/events.js';
import { ApiEventSink } from '../../agent/api-seams.js';
import { isKnownTimeZone } from '../../api/validation/cron.js';
import { rfc3339, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { WorkQueue } from '../shared/queue.js';
import { keyOf, splitKey } from '../shared/keys.js';
import { OwnerIndex, controllerOf } from '../job/owner-index.js';
import { finishedCondition, type Job, type JobSpec } from '../job/types.js';
import { compileSchedule, formatInZone, mostRecentScheduleTime, type Schedule } from './schedule.js';

const CRONJOBS = ApiClient.resourceOf('batch/v1', 'CronJob');
const JOBS = ApiClient.resourceOf('batch/v1', 'Job');

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** The controller wakes this long after an activation (nextScheduleTimeDuration's 100 ms). */
const WAKE_SLACK_MS = 100;

export interface CronJob extends KubeObject {
  spec: {
    schedule: string;
    timeZone?: string;
    startingDeadlineSeconds?: number;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    suspend?: boolean;
    jobTemplate: { metadata?: ObjectMeta; spec: JobSpec };
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
  };
  status?: { active?: ObjectReference[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
}

export interface CronJobControllerOptions {
  client: ApiClient;
  jobs: Informer<Job>;
  clock: Clock;
  log: Logger;
}

export class CronJobController {
  readonly cronJobs: Informer<CronJob>;
  private readonly jobsByOwner: OwnerIndex<Job>;
  private readonly queue: WorkQueue;
  private readonly recorder: KubeletEventRecorder;
  /** The CronJob as our last status write returned it. */
  private readonly written = new Map<string, CronJob>();

  constructor(private readonly opts: CronJobControllerOptions) {
    this.cronJobs = new Informer<CronJob>(opts.client, CRONJOBS);
    this.jobsByOwner = new OwnerIndex(opts.jobs);
    this.queue = new WorkQueue((key) => this.sync(key), { clock: opts.clock, log: opts.log });
    this.recorder = new KubeletEventRecorder({ sink: new ApiEventSink(opts.client), clock: opts.clock, component: 'cronjob-controller', host: '' });
    this.cronJobs.on({
      add: (cj) => this.queue.add(keyOf(cj)),
      update: (cj, old) => {
        if (JSON.stringify(cj.spec) !== JSON.stringify(old.spec) || cj.metadata.deletionTimestamp) this.queue.add(keyOf(cj));
      },
      delete: (cj) => this.written.delete(keyOf(cj)),
    });
    const onJob = (j: Job) => {
      const ref = controllerOf(j);
      if (ref?.kind === 'CronJob') this.queue.add(`${j.metadata.namespace}/${ref.name}`);
    };
    opts.jobs.on({ add: onJob, update: onJob, delete: onJob });
  }

  async start(): Promise<void> {
    this.cronJobs.start();
    await this.cronJobs.synced;
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    this.cronJobs.stop();
  }

  private event(cj: CronJob, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event({ kind: 'CronJob', apiVersion: 'batch/v1', namespace: cj.metadata.namespace, name: cj.metadata.name, uid: cj.metadata.uid, resourceVersion: cj.metadata.resourceVersion }, type, reason, message);
  }

  private current(key: string): CronJob | undefined {
    const [ns, name] = splitKey(key);
    const informed = this.cronJobs.get(ns, name);
    const mine = this.written.get(key);
    if (!informed) return undefined;
    if (mine && mine.metadata.uid === informed.metadata.uid && Number(mine.metadata.resourceVersion) > Number(informed.metadata.resourceVersion)) return { ...informed, status: mine.status, metadata: { ...informed.metadata, resourceVersion: mine.metadata.resourceVersion } };
    this.written.delete(key);
    return informed;
  }

  private async sync(key: string): Promise<void> {
    const cj = this.current(key);
    if (!cj) return;
    const jobs = this.jobsByOwner.owned(cj.metadata.uid!);
    const status = structuredClone(cj.status ?? {});
    const active = [...(status.active ?? [])];
    let changed = false;

    // ---- what became of the Jobs we started -------------------------------------------------------
    const children = new Set<string>();
    for (const j of jobs) {
      children.add(j.metadata.uid!);
      const listed = active.some((r) => r.uid === j.metadata.uid);
      const finished = finishedCondition(j);
      if (!listed && !finished) {
        this.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      } else if (listed && finished) {
        active.splice(active.findIndex((r) => r.uid === j.metadata.uid), 1);
        this.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${finished.type}`);
        changed = true;
      }
      if (finished?.type === 'Complete' && j.status?.completionTime) {
        if (!status.lastSuccessfulTime || Date.parse(j.status.completionTime) > Date.parse(status.lastSuccessfulTime)) {
          status.lastSuccessfulTime = j.status.completionTime;
          changed = true;
        }
      }
    }
    for (const ref of [...active]) {
      if (children.has(ref.uid!)) continue;
      if (await this.jobExists(ref)) continue;
      this.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
      active.splice(active.indexOf(ref), 1);
      changed = true;
    }

    let requeueAt: number | undefined;
    if (!cj.metadata.deletionTimestamp) requeueAt = await this.schedule(cj, status, active, jobs, () => (changed = true));
    if (active.length) status.active = active;
    else delete status.active;
    if (changed) {
      try {
        const updated = await this.opts.client.update<CronJob>(CRONJOBS, { ...cj, status }, 'status');
        this.written.set(key, updated);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    if (!cj.metadata.deletionTimestamp) await this.cleanupFinished(cj, jobs);
    if (requeueAt !== undefined) this.queue.addAfter(key, Math.max(0, requeueAt - this.opts.clock.now()) + WAKE_SLACK_MS);
  }

  /** Starts the Job for the activation due, if any; returns when to look again. */
  private async schedule(cj: CronJob, status: NonNullable<CronJob['status']>, active: ObjectReference[], jobs: Job[], changed: () => void): Promise<number | undefined> {
    const zone = cj.spec.timeZone;
    if (zone !== undefined && !isKnownTimeZone(zone)) {
      this.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${zone}": unknown time zone ${zone}`);
      return undefined;
    }
    if (cj.spec.suspend) return undefined;
    let schedule: Schedule;
    try {
      schedule = compileSchedule(cj.spec.schedule, zone);
    } catch (err) {
      this.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${cj.spec.schedule}" : ${(err as Error).message}`);
      return undefined;
    }
    const now = this.opts.clock.now();
    let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now;
    if (cj.spec.startingDeadlineSeconds !== undefined) earliest = Math.max(earliest, now - cj.spec.startingDeadlineSeconds * 1000);
    const { mostRecent, missed } = mostRecentScheduleTime(schedule, earliest, now);
    if (missed > 100) this.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    const nextAfter = (t: number) => schedule.next(t);
    if (mostRecent === undefined) return nextAfter(now);

    const tooLate = cj.spec.startingDeadlineSeconds !== undefined && mostRecent + cj.spec.startingDeadlineSeconds * 1000 < now;
    if (tooLate) {
      this.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(mostRecent)}`);
      return nextAfter(now);
    }
    const name = `${cj.metadata.name}-${Math.floor(mostRecent / 60_000)}`;
    if (active.some((r) => r.name === name) || jobs.some((j) => j.metadata.name === name)) return nextAfter(now);

    const policy = cj.spec.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active.length) {
      this.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return nextAfter(now);
    }
    if (policy === 'Replace') {
      for (const ref of [...active]) {
        try {
          await this.opts.client.delete(JOBS, ref.namespace!, ref.name!, { propagationPolicy: 'Background', preconditions: { uid: ref.uid } });
          this.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${ref.name}`);
        } catch (err) {
          if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) {
            this.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(err as Error).message}`);
            throw err;
          }
        }
        active.splice(active.indexOf(ref), 1);
        changed();
      }
    }

    let job: Job;
    try {
      job = await this.opts.client.create<Job>(JOBS, cj.metadata.namespace!, jobFromTemplate(cj, name, mostRecent));
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'AlreadyExists') return nextAfter(now);
      this.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
      throw err;
    }
    this.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`);
    active.push({ kind: 'Job', namespace: job.metadata.namespace!, name: job.metadata.name!, uid: job.metadata.uid!, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion! });
    status.lastScheduleTime = rfc3339(mostRecent);
    changed();
    return nextAfter(now);
  }

  private async jobExists(ref: ObjectReference): Promise<boolean> {
    try {
      const j = await this.opts.client.get(JOBS, ref.namespace!, ref.name!);
      return j.metadata.uid === ref.uid;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return false;
      throw err;
    }
  }

  /** Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit. */
  private async cleanupFinished(cj: CronJob, jobs: Job[]): Promise<void> {
    const finished = jobs.filter((j) => finishedCondition(j) && !j.metadata.deletionTimestamp);
    const prune = async (kind: 'Complete' | 'Failed', limit: number | undefined) => {
      if (limit === undefined) return;
      const list = finished.filter((j) => finishedCondition(j)!.type === kind).sort(byStart);
      for (const j of list.slice(0, Math.max(0, list.length - limit))) {
        try {
          await this.opts.client.delete(JOBS, j.metadata.namespace!, j.metadata.name!, { propagationPolicy: 'Background', preconditions: { uid: j.metadata.uid } });
          this.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
        } catch (err) {
          if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
        }
      }
    };
    await prune('Complete', cj.spec.successfulJobsHistoryLimit);
    await prune('Failed', cj.spec.failedJobsHistoryLimit);
  }
}

function byStart(a: Job, b: Job): number {
  const t = (j: Job) => Date.parse(j.status?.startTime ?? j.metadata.creationTimestamp ?? '') || 0;
  return t(a) - t(b) || (a.metadata.name! < b.metadata.name! ? -1 : 1);
}

/** The Job of one activation (getJobFromTemplate2). */
function jobFromTemplate(cj: CronJob, name: string, scheduled: number): KubeObject {
  const tmpl = structuredClone(cj.spec.jobTemplate);
  const annotations = { ...(tmpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(scheduled, cj.spec.timeZone) };
  return {
    metadata: {
      name,
      namespace: cj.metadata.namespace,
      ...(tmpl.metadata?.labels ? { labels: tmpl.metadata.labels } : {}),
      annotations,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name!, uid: cj.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: tmpl.spec,
  };
}

/** Go's time.RFC1123Z in UTC: "Mon, 02 Jan 2006 15:04:05 +0000". */
function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${p(d.getUTCDate())} ${mon} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
