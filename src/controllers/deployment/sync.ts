// The steps every Deployment strategy shares (pkg/controller/deployment/sync.go): finding or
// creating the new ReplicaSet and keeping revisions in step, scaling sets (with the
// ScalingReplicaSet event), proportional scaling when the Deployment is resized mid-rollout, and
// cleaning up old sets beyond revisionHistoryLimit.

import { isDeepStrictEqual } from 'node:util';
import { ApiError } from '../../api/errors.js';
import { REPLICA_SETS } from '../shared/informers.js';
import { computeTemplateHash } from '../shared/hash.js';
import { controllerRefOf, newControllerRef } from '../shared/owner.js';
import type { ReplicaSet } from '../shared/types.js';
import { isAlreadyExists, type SyncState } from './context.js';
import { calculateStatus, normalizeStatus } from './progress.js';
import {
  POD_TEMPLATE_HASH,
  activeSets,
  byCreation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  getCondition,
  hasProgressDeadline,
  maxRevision,
  maxSurge,
  newCondition,
  newReplicasFor,
  proportion,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  setCondition,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
  splitSets,
} from './util.js';

export interface SetsView {
  newRS?: ReplicaSet;
  oldSets: ReplicaSet[];
}

/** getAllReplicaSetsAndSyncRevision. */
export async function setsAndSyncRevision(s: SyncState, sets: ReplicaSet[], createIfMissing: boolean): Promise<SetsView> {
  const { oldSets } = splitSets(s.d, sets);
  const newRS = await newReplicaSet(s, sets, oldSets, createIfMissing);
  return { newRS, oldSets };
}

async function newReplicaSet(s: SyncState, sets: ReplicaSet[], oldSets: ReplicaSet[], createIfMissing: boolean): Promise<ReplicaSet | undefined> {
  const d = s.d;
  const existing = splitSets(d, sets).newRS;
  const newRevision = maxRevision(oldSets) + 1;
  if (existing) {
    const copy = structuredClone(existing);
    const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
    const minReady = d.spec.minReadySeconds ?? 0;
    if (annotationsChanged || (copy.spec.minReadySeconds ?? 0) !== minReady) {
      copy.spec.minReadySeconds = minReady;
      return s.ctx.client.update<ReplicaSet>(REPLICA_SETS, copy);
    }
    let needsUpdate = setDeploymentRevision(d, copy.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '');
    d.status ??= {};
    if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
      setCondition(d.status, newCondition('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${copy.metadata.name}"`, s.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await s.writeStatus();
    return copy;
  }
  if (!createIfMissing) return undefined;

  const template = structuredClone(d.spec.template);
  const hash = computeTemplateHash(template, d.status?.collisionCount);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash } };
  const selector = structuredClone(d.spec.selector);
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
  const rs: ReplicaSet = {
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      labels: { ...template.metadata.labels },
    },
    spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
  };
  rs.spec.replicas = newReplicasFor(d, [...oldSets, rs], rs);
  setNewReplicaSetAnnotations(d, rs, newRevision, false);

  let created: ReplicaSet;
  let alreadyExisted = false;
  try {
    created = await s.ctx.client.create<ReplicaSet>(REPLICA_SETS, d.metadata.namespace!, rs);
  } catch (err) {
    if (isAlreadyExists(err)) {
      const found = await s.ctx.client.get<ReplicaSet>(REPLICA_SETS, d.metadata.namespace!, rs.metadata.name!);
      if (controllerRefOf(found)?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, found.spec.template)) {
        created = found;
        alreadyExisted = true;
      } else {
        // A hash collision: another template has this name. Count it, so the next hash differs.
        d.status = { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 };
        await s.writeStatus();
        throw err;
      }
    } else {
      if (err instanceof ApiError && JSON.stringify(err.status.details ?? {}).includes('NamespaceTerminating')) throw err;
      const message = `Failed to create new replica set "${rs.metadata.name}": ${(err as Error).message}`;
      if (hasProgressDeadline(d)) {
        d.status ??= {};
        setCondition(d.status, newCondition('Progressing', 'False', 'ReplicaSetCreateError', message, s.now()));
        await s.writeStatus().catch(() => undefined);
      }
      s.ctx.recorder.event(d, 'Warning', 'ReplicaSetCreateError', message);
      throw err;
    }
  }
  if (!alreadyExisted && replicasOf(created) > 0) {
    s.ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicasOf(created)}`);
  }
  let needsUpdate = setDeploymentRevision(d, String(newRevision));
  if (!alreadyExisted && hasProgressDeadline(d)) {
    d.status ??= {};
    setCondition(d.status, newCondition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${created.metadata.name}"`, s.now()));
    needsUpdate = true;
  }
  if (needsUpdate) await s.writeStatus();
  return created;
}

/** Scales `rs` to `newScale` if it differs; returns whether it was scaled and the set as written. */
export async function scaleAndRecord(s: SyncState, rs: ReplicaSet, newScale: number): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  if (replicasOf(rs) === newScale) return { scaled: false, rs };
  return scaleReplicaSet(s, rs, newScale, replicasOf(rs) < newScale ? 'up' : 'down');
}

export async function scaleReplicaSet(s: SyncState, rs: ReplicaSet, newScale: number, operation: string): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  const d = s.d;
  const sizeChanges = replicasOf(rs) !== newScale;
  const max = replicasOf(d) + maxSurge(d);
  if (!sizeChanges && !replicasAnnotationsNeedUpdate(rs, replicasOf(d), max)) return { scaled: false, rs };
  const oldScale = replicasOf(rs);
  const copy = structuredClone(rs);
  copy.spec.replicas = newScale;
  setReplicasAnnotations(copy, replicasOf(d), max);
  const written = await s.ctx.client.update<ReplicaSet>(REPLICA_SETS, copy);
  if (sizeChanges) s.ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${written.metadata.name} from ${oldScale} to ${newScale}`);
  return { scaled: sizeChanges, rs: written };
}

/** FindActiveOrLatest: the only active set, or the newest when none is active. */
function activeOrLatest(newRS: ReplicaSet | undefined, oldSets: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && !oldSets.length) return undefined;
  const newestFirst = [...oldSets].sort(byCreation).reverse();
  const active = activeSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

function saturated(s: SyncState, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const want = replicasOf(s.d);
  return desiredReplicasAnnotation(rs) === want && replicasOf(rs) === want && (rs.status?.availableReplicas ?? 0) === want;
}

/** dc.scale: a resize outside a rollout step, spread over the active sets in proportion. */
export async function scale(s: SyncState, newRS: ReplicaSet | undefined, oldSets: ReplicaSet[]): Promise<void> {
  const d = s.d;
  const only = activeOrLatest(newRS, oldSets);
  if (only) {
    if (replicasOf(only) !== replicasOf(d)) await scaleAndRecord(s, only, replicasOf(d));
    return;
  }
  if (saturated(s, newRS)) {
    for (const old of activeSets(oldSets)) await scaleAndRecord(s, old, 0);
    return;
  }
  if ((d.spec.strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
  const all = activeSets([...oldSets, newRS]);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(all);
  let operation = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.name!, replicasOf(rs) + p);
      added += p;
    } else sizes.set(rs.metadata.name!, replicasOf(rs));
  }
  for (const [i, rs] of all.entries()) {
    if (i === 0 && toAdd !== 0) sizes.set(rs.metadata.name!, Math.max(0, sizes.get(rs.metadata.name!)! + toAdd - added));
    await scaleReplicaSet(s, rs, sizes.get(rs.metadata.name!)!, operation);
  }
}

/** Deletes the oldest idle old sets beyond revisionHistoryLimit. */
export async function cleanup(s: SyncState, oldSets: ReplicaSet[]): Promise<void> {
  const limit = s.d.spec.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const alive = oldSets.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - limit;
  if (diff <= 0) return;
  alive.sort(byRevision);
  for (const rs of alive.slice(0, diff)) {
    if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    try {
      await s.ctx.client.delete(REPLICA_SETS, rs.metadata.namespace!, rs.metadata.name!);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
}

/** syncDeploymentStatus: the counts, written only when they changed. */
export async function syncStatus(s: SyncState, all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
  const status = calculateStatus(s.d, all, newRS, s.now());
  if (isDeepStrictEqual(status, normalizeStatus(s.d.status))) return;
  await s.writeStatus(status);
}
