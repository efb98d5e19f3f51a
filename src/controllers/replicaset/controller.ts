// The ReplicaSet controller (pkg/controller/replicaset): keeps spec.replicas active pods matching
// the selector. It adopts matching orphans and releases pods that stop matching, creates in
// slow-start batches (1, 2, 4, ...) up to 500 per sync, deletes the pods least worth keeping, and
// never acts again before the informer has seen the effect of its last creates and deletes.

import type { Pod } from '../../api/types.js';
import { labelSelectorFromSpec } from '../../api/selectors.js';
import { ApiError } from '../../api/errors.js';
import type { ApiClient } from '../../client/client.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { claim } from '../shared/claim.js';
import { controllerRecorder, type Recorder } from '../shared/events.js';
import { Expectations } from '../shared/expectations.js';
import { CacheIndex, byController, byNamespace } from '../shared/index.js';
import { PODS, REPLICA_SETS, keyOf, splitKey, type WorkloadInformers } from '../shared/informers.js';
import { controllerRefOf, newControllerRef } from '../shared/owner.js';
import { isPodActive, msUntilAvailable, podFromTemplate, podKey, podsToDelete, slowStartBatch } from '../shared/pods.js';
import { WorkQueue } from '../shared/queue.js';
import type { ReplicaSet } from '../shared/types.js';
import { calculateStatus, sameStatus } from './status.js';

/** At most this many creates or deletes per sync (controller.BurstReplicas). */
export const BURST_REPLICAS = 500;

export interface ReplicaSetControllerOptions {
  client: ApiClient;
  informers: WorkloadInformers;
  clock: Clock;
  log: Logger;
  burstReplicas?: number;
}

export class ReplicaSetController {
  readonly expectations: Expectations;
  private readonly queue: WorkQueue;
  private readonly recorder: Recorder;
  private readonly podsByOwner: CacheIndex<Pod>;
  private readonly setsByNamespace: CacheIndex<ReplicaSet>;
  private readonly setsByOwner: CacheIndex<ReplicaSet>;
  private readonly client: ApiClient;
  private readonly informers: WorkloadInformers;
  private readonly clock: Clock;
  private readonly burst: number;

  constructor(opts: ReplicaSetControllerOptions) {
    this.client = opts.client;
    this.informers = opts.informers;
    this.clock = opts.clock;
    this.burst = opts.burstReplicas ?? BURST_REPLICAS;
    this.expectations = new Expectations(opts.clock);
    this.queue = new WorkQueue((key) => this.sync(key), { clock: opts.clock, log: opts.log });
    this.recorder = controllerRecorder(opts.client, opts.clock, 'replicaset-controller', 'apps/v1', 'ReplicaSet');
    const { pods, replicaSets } = opts.informers;
    this.podsByOwner = new CacheIndex(pods, byController);
    this.setsByNamespace = new CacheIndex(replicaSets, byNamespace);
    this.setsByOwner = new CacheIndex(replicaSets, byController);
    replicaSets.on({
      add: (rs) => this.queue.add(keyOf(rs)),
      update: (rs, old) => rs.metadata.resourceVersion !== old.metadata.resourceVersion && this.queue.add(keyOf(rs)),
      delete: (rs) => {
        this.expectations.forget(keyOf(rs));
        this.queue.add(keyOf(rs));
      },
    });
    pods.on({ add: (p) => this.podAdded(p), update: (p, old) => this.podUpdated(p, old), delete: (p) => this.podDeleted(p) });
  }

  /** Starts processing; the informers must be started (and synced) by the caller. */
  start(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
  }

  // ---- event handlers ----------------------------------------------------------------------------

  private owningSet(pod: Pod): ReplicaSet | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.informers.replicaSets.get(pod.metadata.namespace!, ref.name);
    return rs?.metadata.uid === ref.uid ? rs : undefined;
  }

  private matchingSets(pod: Pod): ReplicaSet[] {
    return this.setsByNamespace.get(pod.metadata.namespace!).filter((rs) => labelSelectorFromSpec(rs.spec.selector).matches(pod.metadata.labels));
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
    const rs = this.owningSet(pod);
    if (rs) {
      this.expectations.creationObserved(keyOf(rs));
      this.queue.add(keyOf(rs));
      return;
    }
    if (!controllerRefOf(pod)) for (const s of this.matchingSets(pod)) this.queue.add(keyOf(s));
  }

  private podUpdated(pod: Pod, old: Pod): void {
    if (pod.metadata.resourceVersion === old.metadata.resourceVersion) return;
    const labelsChanged = JSON.stringify(pod.metadata.labels ?? {}) !== JSON.stringify(old.metadata.labels ?? {});
    if (pod.metadata.deletionTimestamp) {
      // A pod being deleted is a deletion the controller may have been waiting for.
      this.podDeleted(pod);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const ref = controllerRefOf(pod);
    const oldRef = controllerRefOf(old);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const previous = this.owningSet(old);
      if (previous) this.queue.add(keyOf(previous));
    }
    const rs = this.owningSet(pod);
    if (rs) return this.queue.add(keyOf(rs));
    if (!ref && (labelsChanged || oldRef)) for (const s of this.matchingSets(pod)) this.queue.add(keyOf(s));
  }

  private podDeleted(pod: Pod): void {
    const rs = this.owningSet(pod);
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), podKey(pod));
    this.queue.add(keyOf(rs));
  }

  // ---- sync --------------------------------------------------------------------------------------

  private async sync(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const rs = this.informers.replicaSets.get(namespace, name);
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const selector = labelSelectorFromSpec(rs.spec.selector);
    const candidates = [...this.podsByOwner.get(`uid:${rs.metadata.uid}`), ...this.podsByOwner.get(`orphan:${namespace}`)].filter(isPodActive);
    const pods = await claim({
      client: this.client,
      owner: rs,
      ownerRef: newControllerRef(rs, 'apps/v1', 'ReplicaSet'),
      ownerInfo: REPLICA_SETS,
      info: PODS,
      selector,
      candidates,
    });
    let manageError: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.manage(key, rs, pods);
      } catch (err) {
        manageError = err;
      }
    }
    await this.writeStatus(rs, pods, manageError);
    // No event reports a pod becoming available: look again when the next one will be.
    const due = msUntilAvailable(pods, rs.spec.minReadySeconds ?? 0, this.clock.now());
    if (due !== undefined) this.queue.addAfter(key, due + 100);
    if (manageError) throw manageError;
  }

  private async manage(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    const diff = pods.length - (rs.spec.replicas ?? 1);
    if (diff < 0) {
      const count = Math.min(-diff, this.burst);
      this.expectations.expectCreations(key, count);
      const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
      const { successes, error } = await slowStartBatch(count, 1, () => this.createPod(rs, ref));
      // Pods never created will never be observed.
      for (let i = successes; i < count; i++) this.expectations.creationObserved(key);
      if (error) throw error;
    } else if (diff > 0) {
      const count = Math.min(diff, this.burst);
      const victims = podsToDelete(pods, this.relatedPods(rs), count, this.clock.now());
      this.expectations.expectDeletions(key, victims.map(podKey));
      const results = await Promise.allSettled(victims.map((p) => this.deletePod(rs, p)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  /** Pods of every ReplicaSet under the same controller (a Deployment's sets), for deletion ranking. */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const ref = controllerRefOf(rs);
    const sets = ref ? this.setsByOwner.get(`uid:${ref.uid}`) : [rs];
    return sets.flatMap((s) => this.podsByOwner.get(`uid:${s.metadata.uid}`));
  }

  private async createPod(rs: ReplicaSet, ref: ReturnType<typeof newControllerRef>): Promise<void> {
    const pod = podFromTemplate(rs.spec.template, rs.metadata.namespace!, `${rs.metadata.name}-`, ref);
    try {
      const created = await this.client.create<Pod>(PODS, rs.metadata.namespace!, pod);
      this.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (err) {
      if (isNamespaceTerminating(err)) return;
      this.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      throw err;
    }
  }

  private async deletePod(rs: ReplicaSet, pod: Pod): Promise<void> {
    const key = keyOf(rs);
    try {
      await this.client.delete(PODS, pod.metadata.namespace!, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
      this.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      // The informer will not see a delete that did not happen.
      this.expectations.deletionObserved(key, podKey(pod));
      if (err instanceof ApiError && err.code === 404) return;
      this.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
      throw err;
    }
  }

  private async writeStatus(rs: ReplicaSet, pods: Pod[], manageError: unknown): Promise<ReplicaSet> {
    let current = rs;
    for (let attempt = 0; ; attempt++) {
      const status = calculateStatus(current, pods, manageError, this.clock.now());
      const generation = current.metadata.generation ?? 0;
      if (sameStatus(current.status, { ...status, observedGeneration: current.status?.observedGeneration }) && current.status?.observedGeneration === generation) {
        return current;
      }
      status.observedGeneration = generation;
      try {
        return await this.client.update<ReplicaSet>(REPLICA_SETS, { ...current, status }, 'status');
      } catch (err) {
        if (attempt >= 1 || !(err instanceof ApiError && err.code === 409)) throw err;
        current = await this.client.get<ReplicaSet>(REPLICA_SETS, rs.metadata.namespace!, rs.metadata.name!);
      }
    }
  }
}

function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof ApiError && JSON.stringify(err.status.details ?? {}).includes('NamespaceTerminating');
}
