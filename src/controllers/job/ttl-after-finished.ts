// The TTL-after-finished controller (pkg/controller/ttlafterfinished): a finished Job with
// spec.ttlSecondsAfterFinished is deleted, with its pods (foreground), that many seconds after the
// transition of its Complete or Failed condition.

import { ApiError } from '../../api/errors.js';
import { ApiClient } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { WorkQueue } from '../shared/queue.js';
import { keyOf, splitKey } from '../shared/keys.js';
import { finishedCondition, type Job } from './types.js';

const JOBS = ApiClient.resourceOf('batch/v1', 'Job');

export class TtlAfterFinishedController {
  private readonly queue: WorkQueue;

  constructor(
    private readonly client: ApiClient,
    private readonly jobs: Informer<Job>,
    private readonly clock: Clock,
    log: Logger,
  ) {
    this.queue = new WorkQueue((key) => this.sync(key), { clock, log });
    const enqueue = (j: Job) => {
      if (j.spec.ttlSecondsAfterFinished !== undefined && !j.metadata.deletionTimestamp && finishedCondition(j)) this.queue.add(keyOf(j));
    };
    jobs.on({ add: enqueue, update: enqueue });
  }

  start(): void {
    for (const j of this.jobs.list()) if (j.spec.ttlSecondsAfterFinished !== undefined && finishedCondition(j)) this.queue.add(keyOf(j));
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
  }

  /** When the Job expires, or undefined when it never does. */
  static expiry(job: Job): number | undefined {
    const ttl = job.spec.ttlSecondsAfterFinished;
    const finished = finishedCondition(job);
    if (ttl === undefined || !finished) return undefined;
    const at = Date.parse(finished.lastTransitionTime ?? job.status?.completionTime ?? '');
    return Number.isNaN(at) ? undefined : at + ttl * 1000;
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const job = this.jobs.get(ns, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const expiry = TtlAfterFinishedController.expiry(job);
    if (expiry === undefined) return;
    const left = expiry - this.clock.now();
    if (left > 0) {
      this.queue.addAfter(key, left);
      return;
    }
    try {
      // The resourceVersion precondition keeps a Job whose TTL was just changed.
      await this.client.delete(JOBS, ns, name, { propagationPolicy: 'Foreground', preconditions: { uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion } });
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }
}
