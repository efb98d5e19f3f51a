// The Deployment controller (pkg/controller/deployment): owns ReplicaSets by selector, and on
// every change decides between a status-only sync (being deleted), a pure resize (paused, or
// replicas changed), and a rollout step of its strategy.

import { isDeepStrictEqual } from 'node:util';
import type { Pod } from '../../api/types.js';
import { labelSelectorFromSpec } from '../../api/selectors.js';
import type { ApiClient } from '../../client/client.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { claim } from '../shared/claim.js';
import { controllerRecorder } from '../shared/events.js';
import { CacheIndex, byController, byNamespace } from '../shared/index.js';
import { DEPLOYMENTS, REPLICA_SETS, keyOf, splitKey, type WorkloadInformers } from '../shared/informers.js';
import { controllerRefOf, newControllerRef } from '../shared/owner.js';
import { WorkQueue } from '../shared/queue.js';
import type { Deployment, ReplicaSet } from '../shared/types.js';
import { SyncState, type DeploymentContext } from './context.js';
import { rolloutRecreate, type PodsBySet } from './recreate.js';
import { rolloutRolling } from './rolling.js';
import { cleanup, scale, setsAndSyncRevision, syncStatus } from './sync.js';
import { activeSets, desiredReplicasAnnotation, getCondition, hasProgressDeadline, newCondition, replicasOf, setCondition } from './util.js';

export interface DeploymentControllerOptions {
  client: ApiClient;
  informers: WorkloadInformers;
  clock: Clock;
  log: Logger;
}

export class DeploymentController {
  private readonly queue: WorkQueue;
  private readonly ctx: DeploymentContext;
  private readonly setsByOwner: CacheIndex<ReplicaSet>;
  private readonly deploymentsByNamespace: CacheIndex<Deployment>;
  private readonly podsByOwner: CacheIndex<Pod>;
  private readonly informers: WorkloadInformers;
  private readonly client: ApiClient;

  constructor(opts: DeploymentControllerOptions) {
    this.client = opts.client;
    this.informers = opts.informers;
    this.queue = new WorkQueue((key) => this.sync(key), { clock: opts.clock, log: opts.log });
    this.ctx = {
      client: opts.client,
      clock: opts.clock,
      recorder: controllerRecorder(opts.client, opts.clock, 'deployment-controller', 'apps/v1', 'Deployment'),
      requeueAfter: (key, ms) => this.queue.addAfter(key, ms),
    };
    const { deployments, replicaSets, pods } = opts.informers;
    this.setsByOwner = new CacheIndex(replicaSets, byController);
    this.deploymentsByNamespace = new CacheIndex(deployments, byNamespace);
    this.podsByOwner = new CacheIndex(pods, byController);
    deployments.on({
      add: (d) => this.queue.add(keyOf(d)),
      update: (d) => this.queue.add(keyOf(d)),
      delete: (d) => this.queue.add(keyOf(d)),
    });
    replicaSets.on({
      add: (rs) => this.setChanged(rs),
      update: (rs, old) => {
        if (rs.metadata.resourceVersion === old.metadata.resourceVersion) return;
        const oldRef = controllerRefOf(old);
        if (oldRef && oldRef.uid !== controllerRefOf(rs)?.uid) this.setChanged(old);
        this.setChanged(rs, JSON.stringify(rs.metadata.labels) !== JSON.stringify(old.metadata.labels));
      },
      delete: (rs) => this.setChanged(rs),
    });
    pods.on({ delete: (p) => this.podDeleted(p) });
  }

  start(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
  }

  private owner(obj: ReplicaSet): Deployment | undefined {
    const ref = controllerRefOf(obj);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.informers.deployments.get(obj.metadata.namespace!, ref.name);
    return d?.metadata.uid === ref.uid ? d : undefined;
  }

  private setChanged(rs: ReplicaSet, labelsChanged = true): void {
    const d = this.owner(rs);
    if (d) return this.queue.add(keyOf(d));
    if (controllerRefOf(rs) || !labelsChanged) return;
    for (const candidate of this.deploymentsByNamespace.get(rs.metadata.namespace!)) {
      if (labelSelectorFromSpec(candidate.spec.selector).matches(rs.metadata.labels)) this.queue.add(keyOf(candidate));
    }
  }

  /** A Recreate rollout waits for old pods to be gone. */
  private podDeleted(pod: Pod): void {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.informers.replicaSets.get(pod.metadata.namespace!, ref.name);
    const d = rs && this.owner(rs);
    if (d && d.spec.strategy?.type === 'Recreate') this.queue.add(keyOf(d));
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const cached = this.informers.deployments.get(namespace, name);
    if (!cached) return;
    const s = new SyncState(this.ctx, key, structuredClone(cached));
    const d = s.d;
    if (isDeepStrictEqual(d.spec.selector ?? {}, {})) {
      this.ctx.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) await s.writeStatus({ ...(d.status ?? {}), observedGeneration: d.metadata.generation });
      return;
    }
    const sets = await this.claimSets(d);
    if (d.metadata.deletionTimestamp) {
      const { newRS, oldSets } = await setsAndSyncRevision(s, sets, false);
      return syncStatus(s, [...oldSets, newRS], newRS);
    }
    await this.checkPausedConditions(s);
    if (s.d.spec.paused || (await this.isScalingEvent(s, sets))) return this.resize(s, sets);
    if (s.d.spec.strategy?.type === 'Recreate') return rolloutRecreate(s, sets, this.podsBySet(sets));
    return rolloutRolling(s, sets);
  }

  private async claimSets(d: Deployment): Promise<ReplicaSet[]> {
    const candidates = [...this.setsByOwner.get(`uid:${d.metadata.uid}`), ...this.setsByOwner.get(`orphan:${d.metadata.namespace}`)];
    return claim({
      client: this.client,
      owner: d,
      ownerRef: newControllerRef(d, 'apps/v1', 'Deployment'),
      ownerInfo: DEPLOYMENTS,
      info: REPLICA_SETS,
      selector: labelSelectorFromSpec(d.spec.selector),
      candidates,
    });
  }

  private podsBySet(sets: ReplicaSet[]): PodsBySet {
    const out: PodsBySet = new Map();
    for (const rs of sets) out.set(rs.metadata.uid!, this.podsByOwner.get(`uid:${rs.metadata.uid}`));
    return out;
  }

  /** The Progressing condition says when a Deployment is paused and resumed. */
  private async checkPausedConditions(s: SyncState): Promise<void> {
    const d = s.d;
    if (!hasProgressDeadline(d)) return;
    const c = getCondition(d.status, 'Progressing');
    if (c?.reason === 'ProgressDeadlineExceeded') return;
    const pausedShown = c?.reason === 'DeploymentPaused';
    d.status ??= {};
    if (d.spec.paused && !pausedShown) setCondition(d.status, newCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', s.now()));
    else if (!d.spec.paused && pausedShown) setCondition(d.status, newCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', s.now()));
    else return;
    await s.writeStatus();
  }

  /** Replicas changed since the active sets were last sized. */
  private async isScalingEvent(s: SyncState, sets: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldSets } = await setsAndSyncRevision(s, sets, false);
    return activeSets([...oldSets, newRS]).some((rs) => {
      const desired = desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== replicasOf(s.d);
    });
  }

  private async resize(s: SyncState, sets: ReplicaSet[]): Promise<void> {
    const { newRS, oldSets } = await setsAndSyncRevision(s, sets, false);
    await scale(s, newRS, oldSets);
    if (s.d.spec.paused) await cleanup(s, oldSets);
    await syncStatus(s, [...oldSets, newRS], newRS);
  }
}
