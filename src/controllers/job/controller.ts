// The Job controller (pkg/controller/job): runs a Job's pods to completion. Pods are created with
// the batch.kubernetes.io/job-tracking finalizer; a finished pod is first recorded in
// status.uncountedTerminatedPods, then its finalizer is removed, then it moves into the
// succeeded/failed counters, so that no pod is counted twice or lost, whatever crashes.
// Terminal conditions wait until no pod of the Job is terminating (FailureTarget and
// SuccessCriteriaMet come first), as in Kubernetes 1.33.

import type { KubeObject, Pod } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { labelSelectorFromSpec } from '../../api/selectors.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import { KubeletEventRecorder } from '../../kubelet/events.js';
import { ApiEventSink } from '../../agent/api-seams.js';
import { rfc3339, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { WorkQueue } from '../shared/queue.js';
import { keyOf, splitKey } from '../shared/keys.js';
import { OwnerIndex, controllerOf } from './owner-index.js';
import { Expectations } from './expectations.js';
import { finishedTime, nextBackoffRecord, remainingBackoff, type BackoffRecord } from './backoff.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';
import { completionIndex, formatIndexes, parseIndexes } from './indexes.js';
import {
  COMPLETION_INDEX_ANNOTATION,
  INDEX_FAILURE_COUNT_ANNOTATION,
  JOB_CONTROLLER_NAME,
  JOB_TRACKING_FINALIZER,
  condition,
  finishedCondition,
  isTrue,
  type Job,
  type JobCondition,
  type JobStatus,
} from './types.js';

const JOBS = ApiClient.resourceOf('batch/v1', 'Job');
/** Queue keys of pods to release from a Job that no longer exists. */
const ORPHAN = 'orphan-pod:';
const PODS = ApiClient.resourceOf('v1', 'Pod');

/** At most this many pods are created or deleted per sync (MaxPodCreateDeletePerSync). */
const MAX_POD_CHANGES_PER_SYNC = 500;
/** status.uncountedTerminatedPods stays below this per list (MaxUncountedPods). */
const MAX_UNCOUNTED = 500;

export interface JobControllerOptions {
  client: ApiClient;
  pods: Informer<Pod>;
  podsByOwner: OwnerIndex<Pod>;
  clock: Clock;
  log: Logger;
  workers?: number;
}

type Counted = 'succeeded' | 'failed';

export class JobController {
  readonly jobs: Informer<Job>;
  private readonly queue: WorkQueue;
  private readonly expectations: Expectations;
  private readonly backoff = new Map<string, BackoffRecord>();
  /** The Job as our last status write returned it, newer than the informer's until the watch catches up. */
  private readonly written = new Map<string, Job>();
  private readonly recorder: KubeletEventRecorder;
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly log: Logger;
  private jobsSynced = false;

  constructor(private readonly opts: JobControllerOptions) {
    this.client = opts.client;
    this.clock = opts.clock;
    this.log = opts.log;
    this.expectations = new Expectations(() => this.clock.now());
    this.recorder = new KubeletEventRecorder({ sink: new ApiEventSink(opts.client), clock: opts.clock, component: 'job-controller', host: '' });
    this.queue = new WorkQueue((key) => this.sync(key), { clock: opts.clock, log: opts.log, workers: opts.workers ?? 5 });
    this.jobs = new Informer<Job>(opts.client, JOBS);
    this.jobs.on({
      add: (j) => this.queue.add(keyOf(j)),
      update: (j) => this.queue.add(keyOf(j)),
      delete: (j) => {
        this.expectations.forget(keyOf(j));
        this.backoff.delete(keyOf(j));
        this.written.delete(keyOf(j));
        // Its pods keep their tracking finalizers until we release them.
        for (const p of this.opts.podsByOwner.owned(j.metadata.uid!)) if (hasTrackingFinalizer(p)) this.queue.add(ORPHAN + keyOf(p));
      },
    });
    opts.pods.on({
      add: (p) => this.onPod(p, undefined, false),
      update: (p, old) => this.onPod(p, old, false),
      delete: (p) => this.onPod(p, undefined, true),
    });
  }

  async start(): Promise<void> {
    this.jobs.start();
    await Promise.all([this.jobs.synced, this.opts.pods.synced]);
    this.jobsSynced = true;
    for (const p of this.opts.pods.list()) {
      const ref = controllerOf(p);
      if (ref?.kind === 'Job' && hasTrackingFinalizer(p) && this.jobs.get(p.metadata.namespace!, ref.name)?.metadata.uid !== ref.uid) this.queue.add(ORPHAN + keyOf(p));
    }
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    this.jobs.stop();
  }

  /** Resolves when no sync is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private onPod(pod: Pod, old: Pod | undefined, deleted: boolean): void {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== 'Job' || !ref.apiVersion.startsWith('batch/')) return;
    const key = `${pod.metadata.namespace}/${ref.name}`;
    const uid = pod.metadata.uid!;
    if (this.jobsSynced && !deleted && hasTrackingFinalizer(pod) && this.jobs.get(pod.metadata.namespace!, ref.name)?.metadata.uid !== ref.uid) this.queue.add(ORPHAN + keyOf(pod));
    if (deleted) {
      this.expectations.deletionObserved(key, uid);
      this.expectations.finalizerRemovalObserved(key, uid);
    } else if (!old) {
      this.expectations.creationObserved(key);
    } else {
      if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) this.expectations.deletionObserved(key, uid);
      if (!hasTrackingFinalizer(pod)) this.expectations.finalizerRemovalObserved(key, uid);
    }
    this.queue.add(key);
  }

  private current(key: string): Job | undefined {
    const [ns, name] = splitKey(key);
    const informed = this.jobs.get(ns, name);
    const mine = this.written.get(key);
    if (!informed) return undefined;
    if (mine && mine.metadata.uid === informed.metadata.uid && Number(mine.metadata.resourceVersion) > Number(informed.metadata.resourceVersion)) return mine;
    this.written.delete(key);
    return informed;
  }

  private async sync(key: string): Promise<void> {
    if (key.startsWith(ORPHAN)) return this.releaseOrphan(key.slice(ORPHAN.length));
    const job = this.current(key);
    if (!job) return;
    if (job.spec.managedBy && job.spec.managedBy !== JOB_CONTROLLER_NAME) return;
    const uid = job.metadata.uid!;
    const selector = labelSelectorFromSpec(job.spec.selector);
    const pods = this.opts.podsByOwner.owned(uid).filter((p) => selector.matches(p.metadata.labels));
    if (finishedCondition(job)) {
      await this.removeFinalizers(key, pods.filter((p) => hasTrackingFinalizer(p) && (isTerminal(p) || p.metadata.deletionTimestamp)));
      return;
    }
    await new JobSync(this, key, job, pods).run();
  }

  /** A pod whose Job is gone (or was replaced by another of the same name) loses its tracking finalizer. */
  private async releaseOrphan(podKey: string): Promise<void> {
    const [ns, name] = splitKey(podKey);
    const pod = this.opts.pods.get(ns, name);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerOf(pod);
    if (ref && this.jobs.get(ns, ref.name)?.metadata.uid === ref.uid) return;
    if (ref) {
      try {
        const job = await this.client.get(JOBS, ns, ref.name);
        if (job.metadata.uid === ref.uid) return; // the informer is behind
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    try {
      await removeFinalizer(this.client, pod, JOB_TRACKING_FINALIZER);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }

  // ---- the operations a sync uses --------------------------------------------------------------

  /** @internal */ get now(): number {
    return this.clock.now();
  }

  /** @internal */ backoffOf(key: string): BackoffRecord | undefined {
    return this.backoff.get(key);
  }

  /** @internal */ setBackoff(key: string, r: BackoffRecord): void {
    this.backoff.set(key, r);
  }

  /** @internal */ expectationsSatisfied(key: string): boolean {
    return this.expectations.satisfied(key);
  }

  /** @internal */ finalizerRemovalPending(key: string, uid: string): boolean {
    return this.expectations.finalizerRemovalPending(key, uid);
  }

  /** @internal */ requeueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /** @internal */ event(job: Job, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event({ kind: 'Job', apiVersion: 'batch/v1', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion }, type, reason, message);
  }

  /** @internal */ async writeStatus(key: string, job: Job, status: JobStatus): Promise<Job> {
    const updated = await this.client.update<Job>(JOBS, { ...job, status }, 'status');
    this.written.set(key, updated);
    return updated;
  }

  /** @internal */ async createPods(key: string, job: Job, indexes: (number | undefined)[], annotate?: (index: number) => Record<string, string>): Promise<number> {
    this.expectations.expectCreations(key, indexes.length);
    let created = 0;
    // Slow start, as the controller does: batches of 1, 2, 4 ... stop at the first failure.
    let batch = 1;
    for (let i = 0; i < indexes.length; ) {
      const chunk = indexes.slice(i, i + batch);
      const results = await Promise.allSettled(chunk.map((ix) => this.createPod(job, ix, ix !== undefined && annotate ? annotate(ix) : {})));
      let failed = false;
      for (const r of results) {
        if (r.status === 'fulfilled') {
          created++;
          this.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
        } else {
          failed = true;
          this.expectations.creationFailed(key);
          const err = r.reason as Error;
          if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) {
            this.event(job, 'Warning', 'FailedCreate', `Error creating: ${err.message}`);
            this.log.warn('pod creation failed', { job: key, error: err.message });
          }
        }
      }
      i += chunk.length;
      if (failed) {
        for (let k = i; k < indexes.length; k++) this.expectations.creationFailed(key);
        throw new Error(`creating pods for job ${key} failed`);
      }
      batch *= 2;
    }
    return created;
  }

  private createPod(job: Job, index: number | undefined, annotations: Record<string, string>): Promise<Pod> {
    const pod = podFromTemplate(job, index);
    if (Object.keys(annotations).length) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...annotations };
    return this.client.create<Pod>(PODS, job.metadata.namespace!, pod);
  }

  /** @internal */ async deletePods(key: string, job: Job, pods: Pod[]): Promise<void> {
    await Promise.all(
      pods.map(async (p) => {
        this.expectations.expectDeletion(key, p.metadata.uid!);
        try {
          await this.client.delete(PODS, p.metadata.namespace!, p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
          this.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (err) {
          this.expectations.deletionObserved(key, p.metadata.uid!);
          if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
          this.event(job, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
          throw err;
        }
      }),
    );
  }

  /** Removes the tracking finalizer; returns the uids whose finalizer is gone. */
  async removeFinalizers(key: string, pods: Pod[]): Promise<Set<string>> {
    const done = new Set<string>();
    await Promise.all(
      pods.map(async (p) => {
        const uid = p.metadata.uid!;
        if (!hasTrackingFinalizer(p)) {
          done.add(uid);
          return;
        }
        this.expectations.expectFinalizerRemoval(key, uid);
        try {
          await removeFinalizer(this.client, p, JOB_TRACKING_FINALIZER);
          done.add(uid);
        } catch (err) {
          if (err instanceof ApiError && err.code === 404) {
            done.add(uid);
            return;
          }
          this.expectations.finalizerRemovalObserved(key, uid);
          this.log.warn('removing the job-tracking finalizer failed', { pod: keyOf(p), error: (err as Error).message });
        }
      }),
    );
    return done;
  }
}

/** One sync of one Job: reads the world once, decides, writes. */
class JobSync {
  private readonly status: JobStatus;
  private readonly now: number;
  private readonly indexed: boolean;
  private readonly completions: number | undefined;
  private readonly parallelism: number;
  private readonly onlyReplaceFailed: boolean;
  private readonly uncounted: { succeeded: Set<string>; failed: Set<string> };

  constructor(
    private readonly c: JobController,
    private readonly key: string,
    private readonly job: Job,
    private readonly pods: Pod[],
  ) {
    this.status = structuredClone(job.status ?? {});
    this.now = c.now;
    this.indexed = job.spec.completionMode === 'Indexed';
    this.completions = job.spec.completions ?? undefined;
    this.parallelism = job.spec.parallelism ?? 1;
    this.onlyReplaceFailed = job.spec.podReplacementPolicy === 'Failed' || job.spec.podFailurePolicy !== undefined;
    this.uncounted = {
      succeeded: new Set(this.status.uncountedTerminatedPods?.succeeded ?? []),
      failed: new Set(this.status.uncountedTerminatedPods?.failed ?? []),
    };
  }

  private get suspended(): boolean {
    return this.job.spec.suspend === true;
  }

  private isFailed(p: Pod): boolean {
    if (p.status?.phase === 'Failed') return true;
    if (this.onlyReplaceFailed) return false;
    return p.metadata.deletionTimestamp !== undefined && p.status?.phase !== 'Succeeded';
  }

  private validIndex(p: Pod): boolean {
    if (!this.indexed) return true;
    const ix = completionIndex(p);
    return ix !== undefined && ix < (this.completions ?? 0);
  }

  async run(): Promise<void> {
    const { job, key, now } = this;
    // Decided on this snapshot: creations the informer has not shown yet would be made twice.
    const mayCreate = this.c.expectationsSatisfied(key);
    const stamp = rfc3339(now);
    const active = this.pods.filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp);
    const terminating = this.pods.filter((p) => !isTerminal(p) && p.metadata.deletionTimestamp);

    if (!this.status.startTime && !this.suspended) this.status.startTime = stamp;

    // Pods that finished since the last sync and are not yet recorded anywhere.
    const fresh = (p: Pod) => hasTrackingFinalizer(p) && !this.uncounted.succeeded.has(p.metadata.uid!) && !this.uncounted.failed.has(p.metadata.uid!) && !this.c.finalizerRemovalPending(key, p.metadata.uid!);
    const newSucceeded = this.pods.filter((p) => fresh(p) && p.status?.phase === 'Succeeded');
    const newFailed = this.pods.filter((p) => fresh(p) && this.isFailed(p));

    // Indexed Jobs: which indexes succeeded, from the status and from the pods still around.
    const succeededIndexes = this.indexed ? parseIndexes(this.status.completedIndexes, this.completions ?? 0) : new Set<number>();
    const failedIndexes = this.perIndex ? parseIndexes(this.status.failedIndexes, this.completions ?? 0) : new Set<number>();
    const toRemoveFinalizer: Pod[] = [];
    const ignored = new Set<string>();
    let failJobMessage: string | undefined;
    const suspendedDeletion = (p: Pod) => this.suspended && p.metadata.deletionTimestamp !== undefined && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded';
    for (const p of [...newSucceeded, ...newFailed]) {
      const uid = p.metadata.uid!;
      if (this.uncounted.succeeded.size + this.uncounted.failed.size >= MAX_UNCOUNTED) break;
      toRemoveFinalizer.push(p);
      if (p.status?.phase === 'Succeeded') {
        const ix = completionIndex(p);
        if (this.indexed && (ix === undefined || !this.validIndex(p) || succeededIndexes.has(ix))) continue;
        if (ix !== undefined && this.indexed) succeededIndexes.add(ix);
        this.uncounted.succeeded.add(uid);
        continue;
      }
      if (!this.validIndex(p) || suspendedDeletion(p)) continue;
      let failIndex = false;
      if (job.spec.podFailurePolicy && p.status?.phase === 'Failed') {
        const match = matchPodFailurePolicy(job.spec.podFailurePolicy, p);
        if (match.message && !failJobMessage) failJobMessage = match.message;
        if (!match.countFailed) {
          ignored.add(uid);
          continue;
        }
        failIndex = match.action === 'FailIndex';
      }
      this.uncounted.failed.add(uid);
      // backoffLimitPerIndex: the index fails once its failures exceed the limit (or a FailIndex rule says so).
      if (this.perIndex && (failIndex || indexFailureCount(p) + 1 > job.spec.backoffLimitPerIndex!)) failedIndexes.add(completionIndex(p)!);
    }
    // Failures the pod failure policy ignores do not delay replacements either.
    const record = nextBackoffRecord(this.c.backoffOf(key), newSucceeded, newFailed.filter((p) => !ignored.has(p.metadata.uid!)));
    this.c.setBackoff(key, record);
    // Succeeded pods of an Indexed Job that left already still mark their index.
    if (this.indexed) for (const p of this.pods) if (p.status?.phase === 'Succeeded' && this.validIndex(p) && !hasTrackingFinalizer(p)) succeededIndexes.add(completionIndex(p)!);

    const failedCount = (this.status.failed ?? 0) + this.uncounted.failed.size;
    const succeededCount = this.indexed ? succeededIndexes.size : (this.status.succeeded ?? 0) + this.uncounted.succeeded.size;

    // ---- is the Job over? -----------------------------------------------------------------------
    let target: JobCondition | undefined; // FailureTarget or SuccessCriteriaMet, as already recorded or decided now
    const existingTarget = [condition(job, 'FailureTarget'), condition(job, 'SuccessCriteriaMet')].find((c) => c?.status === 'True');
    if (existingTarget) target = existingTarget;
    else if (failJobMessage) target = newCondition('FailureTarget', 'PodFailurePolicy', failJobMessage, stamp);
    else if (failedCount > (job.spec.backoffLimit ?? 6) || this.pastBackoffLimitOnFailure()) {
      target = newCondition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', stamp);
    } else if (this.perIndex && job.spec.maxFailedIndexes !== undefined && failedIndexes.size > job.spec.maxFailedIndexes) {
      target = newCondition('FailureTarget', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes', stamp);
    } else if (this.pastActiveDeadline()) {
      target = newCondition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline', stamp);
    } else if (job.spec.activeDeadlineSeconds !== undefined && !this.suspended && this.status.startTime) {
      this.c.requeueAfter(key, job.spec.activeDeadlineSeconds * 1000 - (now - Date.parse(this.status.startTime)));
    }

    let activeCount = active.length;
    let podsToDelete: Pod[] = [];
    let indexesToCreate: (number | undefined)[] = [];
    let backoffWait = 0;
    if (target) {
      // Over: every active pod goes.
      podsToDelete = active;
      activeCount = 0;
    } else if (this.suspended) {
      podsToDelete = active;
      activeCount = 0;
    } else {
      // While our own creations and deletions are not all seen, the pod list is not to be trusted.
      const plan = mayCreate ? this.plan(active, terminating, succeededIndexes, succeededCount, failedIndexes) : { remove: [], create: [] };
      podsToDelete = plan.remove;
      indexesToCreate = plan.create;
      if (indexesToCreate.length && this.perIndex) {
        // Each index backs off on its own failures.
        const waits = indexesToCreate.map((ix) => this.indexBackoff(ix!));
        const next = Math.min(...waits.filter((w) => w > 0));
        if (Number.isFinite(next)) this.c.requeueAfter(key, next);
        indexesToCreate = indexesToCreate.filter((_, i) => waits[i] === 0);
      } else if (indexesToCreate.length) {
        backoffWait = remainingBackoff(record, now);
        if (backoffWait > 0) {
          this.c.requeueAfter(key, backoffWait);
          indexesToCreate = [];
        }
      }
      const complete = this.completions === undefined ? succeededCount > 0 && active.length - podsToDelete.length === 0 && indexesToCreate.length === 0 && backoffWait === 0 : succeededCount >= this.completions;
      if (!complete && this.perIndex && failedIndexes.size && succeededIndexes.size + failedIndexes.size >= (this.completions ?? 0)) {
        target = newCondition('FailureTarget', 'FailedIndexes', 'Job has failed indexes', stamp);
        podsToDelete = active;
        indexesToCreate = [];
      } else if (complete) {
        target = newCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', stamp);
        podsToDelete = active;
        indexesToCreate = [];
      }
      activeCount = active.length - podsToDelete.length + indexesToCreate.length;
    }

    // Suspension is a condition of its own, with its events.
    const conditions = [...(this.status.conditions ?? [])];
    const suspendedCond = conditions.find((c) => c.type === 'Suspended');
    if (this.suspended && !target && suspendedCond?.status !== 'True') {
      setCondition(conditions, newCondition('Suspended', 'JobSuspended', 'Job suspended', stamp));
      this.c.event(job, 'Normal', 'Suspended', 'Job suspended');
    } else if (!this.suspended && suspendedCond?.status === 'True') {
      setCondition(conditions, { ...newCondition('Suspended', 'JobResumed', 'Job resumed', stamp), status: 'False' });
      this.status.startTime = stamp; // the active deadline counts from the resumption
      this.c.event(job, 'Normal', 'Resumed', 'Job resumed');
    }
    if (target && !conditions.some((c) => c.type === target!.type && c.status === 'True')) conditions.push(target);
    this.status.conditions = conditions.length ? conditions : undefined;
    if (!this.status.conditions) delete this.status.conditions;

    // ---- first write: what finished is recorded before any finalizer goes -------------------------
    const terminatingNow = terminating.length + podsToDelete.length;
    this.status.active = activeCount;
    this.status.ready = active.filter((p) => !podsToDelete.includes(p) && isReady(p)).length;
    this.status.terminating = terminatingNow;
    this.status.uncountedTerminatedPods = uncountedOf(this.uncounted);
    if (this.indexed) this.status.completedIndexes = formatIndexes(succeededIndexes);
    if (this.perIndex) this.status.failedIndexes = formatIndexes(failedIndexes);
    omitZeros(this.status);
    let latest = this.job;
    if (!sameStatus(this.job.status, this.status)) latest = await this.c.writeStatus(key, latest, this.status);

    if (podsToDelete.length) await this.c.deletePods(key, latest, podsToDelete.slice(0, MAX_POD_CHANGES_PER_SYNC));

    // ---- finalizers, then the counters ------------------------------------------------------------
    const removable = this.pods.filter(
      (p) => hasTrackingFinalizer(p) && (this.uncounted.succeeded.has(p.metadata.uid!) || this.uncounted.failed.has(p.metadata.uid!) || ignored.has(p.metadata.uid!) || toRemoveFinalizer.includes(p)),
    );
    const gone = await this.c.removeFinalizers(key, removable);
    const present = new Set(this.pods.map((p) => p.metadata.uid!));
    for (const kind of ['succeeded', 'failed'] as Counted[]) {
      for (const uid of [...this.uncounted[kind]]) {
        if (gone.has(uid) || !present.has(uid)) {
          this.uncounted[kind].delete(uid);
          if (!(kind === 'succeeded' && this.indexed)) this.status[kind] = (this.status[kind] ?? 0) + 1;
        }
      }
    }
    if (this.indexed) this.status.succeeded = succeededIndexes.size;
    this.status.uncountedTerminatedPods = uncountedOf(this.uncounted);

    // ---- the terminal condition, once nothing is left running or uncounted ------------------------
    const settled = this.uncounted.succeeded.size === 0 && this.uncounted.failed.size === 0 && terminatingNow === 0;
    if (target && settled) {
      const finalType = target.type === 'SuccessCriteriaMet' ? 'Complete' : 'Failed';
      if (!this.status.conditions?.some((c) => c.type === finalType)) {
        this.status.conditions = [...(this.status.conditions ?? []), { ...target, type: finalType, lastProbeTime: stamp, lastTransitionTime: stamp }];
        if (finalType === 'Complete') {
          this.status.completionTime = stamp;
          this.c.event(job, 'Normal', 'Completed', 'Job completed');
        } else {
          this.c.event(job, 'Warning', target.reason!, target.message!);
        }
      }
    }
    omitZeros(this.status);
    if (!sameStatus(latest.status, this.status)) await this.c.writeStatus(key, latest, this.status);

    // ---- new pods, only when the informer has seen our previous writes ----------------------------
    if (indexesToCreate.length && mayCreate) {
      const batch = indexesToCreate.slice(0, MAX_POD_CHANGES_PER_SYNC);
      await this.c.createPods(key, latest, batch, this.perIndex ? (ix) => ({ [INDEX_FAILURE_COUNT_ANNOTATION]: String(this.lastFailure(ix)?.count ?? 0) }) : undefined);
    }
  }

  /** Which active pods to delete and which pods (by index) to create. */
  private plan(active: Pod[], terminating: Pod[], succeededIndexes: Set<number>, succeeded: number, failedIndexes: Set<number>): { remove: Pod[]; create: (number | undefined)[] } {
    const { parallelism, completions } = this;
    const occupying = this.onlyReplaceFailed ? terminating.length : 0;
    if (!this.indexed) {
      let want: number;
      if (completions === undefined) want = succeeded > 0 ? active.length : parallelism;
      else want = Math.max(0, Math.min(parallelism, completions - succeeded));
      if (active.length > want) return { remove: rankForDeletion(active).slice(0, active.length - want), create: [] };
      const n = Math.max(0, want - active.length - occupying);
      return { remove: [], create: Array.from({ length: n }, () => undefined) };
    }
    const total = completions ?? 0;
    const remove: Pod[] = [];
    const byIndex = new Map<number, Pod[]>();
    for (const p of active) {
      const ix = completionIndex(p);
      if (ix === undefined || ix >= total || succeededIndexes.has(ix) || failedIndexes.has(ix)) {
        remove.push(p);
        continue;
      }
      let list = byIndex.get(ix);
      if (!list) byIndex.set(ix, (list = []));
      list.push(p);
    }
    for (const list of byIndex.values()) if (list.length > 1) remove.push(...rankForDeletion(list).slice(0, list.length - 1));
    const keptActive = active.length - remove.length;
    const want = Math.max(0, Math.min(parallelism, total - succeededIndexes.size - failedIndexes.size));
    if (keptActive > want) {
      const kept = active.filter((p) => !remove.includes(p));
      remove.push(...rankForDeletion(kept).slice(0, keptActive - want));
      return { remove, create: [] };
    }
    const busy = new Set<number>(byIndex.keys());
    if (this.onlyReplaceFailed) for (const p of terminating) if (completionIndex(p) !== undefined) busy.add(completionIndex(p)!);
    const create: number[] = [];
    for (let ix = 0; ix < total && create.length < want - keptActive; ix++) if (!succeededIndexes.has(ix) && !failedIndexes.has(ix) && !busy.has(ix)) create.push(ix);
    return { remove, create };
  }

  private get perIndex(): boolean {
    return this.indexed && this.job.spec.backoffLimitPerIndex !== undefined;
  }

  /** The latest failed pod of an index and the failures of the index counting it. */
  private lastFailure(ix: number): { pod: Pod; count: number } | undefined {
    let last: Pod | undefined;
    for (const p of this.pods) {
      if (completionIndex(p) !== ix || !this.isFailed(p)) continue;
      if (!last || finishedTime(p) > finishedTime(last)) last = p;
    }
    return last ? { pod: last, count: indexFailureCount(last) + 1 } : undefined;
  }

  /** getRemainingTimePerIndex: how long index `ix` still waits before its next pod. */
  private indexBackoff(ix: number): number {
    const last = this.lastFailure(ix);
    if (!last) return 0;
    return remainingBackoff({ failuresAfterLastSuccess: last.count, lastFailureTime: finishedTime(last.pod) }, this.now);
  }

  private pastBackoffLimitOnFailure(): boolean {
    if (this.job.spec.template.spec.restartPolicy !== 'OnFailure') return false;
    let restarts = 0;
    for (const p of this.pods) {
      if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
      for (const s of [...(p.status.initContainerStatuses ?? []), ...(p.status.containerStatuses ?? [])]) restarts += s.restartCount ?? 0;
    }
    const limit = this.job.spec.backoffLimit ?? 6;
    return limit === 0 ? restarts > 0 : restarts >= limit;
  }

  private pastActiveDeadline(): boolean {
    const { activeDeadlineSeconds } = this.job.spec;
    if (activeDeadlineSeconds === undefined || !this.status.startTime || this.suspended) return false;
    return this.now - Date.parse(this.status.startTime) >= activeDeadlineSeconds * 1000;
  }
}

// ---- helpers -------------------------------------------------------------------------------------

export function hasTrackingFinalizer(p: Pod): boolean {
  return p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

/** The failures of the pod's index before it (batch.kubernetes.io/job-index-failure-count). */
function indexFailureCount(p: Pod): number {
  const n = Number(p.metadata.annotations?.[INDEX_FAILURE_COUNT_ANNOTATION] ?? '0');
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

function isTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

function isReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function newCondition(type: string, reason: string, message: string, stamp: string): JobCondition {
  return { type, status: 'True', lastProbeTime: stamp, lastTransitionTime: stamp, reason, message };
}

function setCondition(list: JobCondition[], c: JobCondition): void {
  const i = list.findIndex((x) => x.type === c.type);
  if (i >= 0) list[i] = c;
  else list.push(c);
}

/** active, succeeded, failed and completedIndexes are omitted when zero or empty, as Go's omitempty does. */
function omitZeros(s: JobStatus): void {
  for (const k of ['active', 'succeeded', 'failed'] as const) if (!s[k]) delete s[k];
  if (!s.completedIndexes) delete s.completedIndexes;
}

function uncountedOf(u: { succeeded: Set<string>; failed: Set<string> }): JobStatus['uncountedTerminatedPods'] {
  return { ...(u.succeeded.size ? { succeeded: [...u.succeeded] } : {}), ...(u.failed.size ? { failed: [...u.failed] } : {}) };
}

function sameStatus(a: JobStatus | undefined, b: JobStatus): boolean {
  return JSON.stringify(normalize(a ?? {})) === JSON.stringify(normalize(b));
}

function normalize(s: JobStatus): unknown {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(s).sort()) {
    const v = (s as Record<string, unknown>)[k];
    if (v === undefined) continue;
    out[k] = v;
  }
  return out;
}

/** Unscheduled, then pending, then not ready, then the newest first (controller.ActivePods order, simplified). */
function rankForDeletion(pods: Pod[]): Pod[] {
  const rank = (p: Pod) => (!p.spec.nodeName ? 0 : p.status?.phase === 'Pending' ? 1 : !isReady(p) ? 2 : 3);
  return [...pods].sort((a, b) => rank(a) - rank(b) || Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? ''));
}

/** The pod a Job creates (GetPodFromTemplate plus the Job's own additions). */
export function podFromTemplate(job: Job, index: number | undefined): KubeObject {
  const template = structuredClone(job.spec.template);
  const meta = template.metadata ?? {};
  const labels = { ...(meta.labels ?? {}) };
  const annotations = { ...(meta.annotations ?? {}) };
  const spec = template.spec;
  let generateName = `${job.metadata.name}-`;
  if (index !== undefined) {
    annotations[COMPLETION_INDEX_ANNOTATION] = String(index);
    labels[COMPLETION_INDEX_ANNOTATION] = String(index);
    generateName = `${job.metadata.name}-${index}-`;
    if (!spec.hostname) spec.hostname = `${job.metadata.name}-${index}`;
    const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } } };
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      if (!(c.env ?? []).some((e) => e.name === 'JOB_COMPLETION_INDEX')) c.env = [...(c.env ?? []), env];
    }
    if (job.spec.backoffLimitPerIndex !== undefined) annotations[INDEX_FAILURE_COUNT_ANNOTATION] ??= '0';
  }
  return {
    metadata: {
      generateName,
      namespace: job.metadata.namespace,
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      finalizers: [...new Set([...(meta.finalizers ?? []), JOB_TRACKING_FINALIZER])],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

/** Removes one finalizer with a JSON patch guarded by a test of its position (no lost updates). */
export async function removeFinalizer(client: ApiClient, obj: KubeObject, finalizer: string, info = PODS): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = attempt === 0 ? obj : await client.get(info, obj.metadata.namespace ?? '', obj.metadata.name!);
    if (current.metadata.uid !== obj.metadata.uid) return;
    const i = current.metadata.finalizers?.indexOf(finalizer) ?? -1;
    if (i < 0) return;
    try {
      await client.patch(info, obj.metadata.namespace ?? '', obj.metadata.name!, [
        { op: 'test', path: '/metadata/uid', value: obj.metadata.uid },
        { op: 'test', path: `/metadata/finalizers/${i}`, value: finalizer },
        { op: 'remove', path: `/metadata/finalizers/${i}` },
      ], 'json');
      return;
    } catch (err) {
      // A failed test (another writer moved the finalizers) answers 422 or 409: read again.
      if (err instanceof ApiError && (err.code === 422 || err.code === 409 || err.code === 500)) continue;
      throw err;
    }
  }
  throw new Error(`could not remove finalizer ${finalizer} from ${keyOf(obj)}`);
}

export { isTrue };
