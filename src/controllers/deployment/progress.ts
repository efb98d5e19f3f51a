// Deployment status and the Progressing/Available conditions (progress.go, sync.go
// calculateStatus): progress refreshes the Progressing condition, completion marks it
// NewReplicaSetAvailable, and no progress for progressDeadlineSeconds marks it
// ProgressDeadlineExceeded. A rollout still in flight is re-synced when its deadline falls due.

import { isDeepStrictEqual } from 'node:util';
import { omitEmpty, type Condition, type Deployment, type DeploymentStatus, type ReplicaSet } from '../shared/types.js';
import type { SyncState } from './context.js';
import {
  actualReplicas,
  availableReplicas,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  maxUnavailable,
  newCondition,
  readyReplicas,
  removeCondition,
  replicasOf,
  setCondition,
  specReplicas,
} from './util.js';

export function normalizeStatus(status: DeploymentStatus | undefined): DeploymentStatus {
  return omitEmpty({ ...(status ?? {}) });
}

export function calculateStatus(d: Deployment, all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, now: number): DeploymentStatus {
  const available = availableReplicas(all);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: actualReplicas(all),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(all),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(all) - available),
    conditions: (d.status?.conditions ?? []).map((c) => ({ ...c })),
    collisionCount: d.status?.collisionCount,
  };
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now));
  }
  return normalizeStatus(status);
}

/** syncRolloutStatus. */
export async function syncRolloutStatus(s: SyncState, all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
  const d = s.d;
  const now = s.now();
  const status = calculateStatus(d, all, newRS, now);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  const complete = status.replicas === status.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
  if (hasProgressDeadline(d) && !complete) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, status)) {
      setCondition(status, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', `${subject} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, status)) {
      // Progress refreshes lastUpdateTime even when the reason stays the same.
      let c: Condition = newCondition('Progressing', 'True', 'ReplicaSetUpdated', `${subject} is progressing.`, now);
      if (current) {
        if (current.status === 'True') c = { ...c, lastTransitionTime: current.lastTransitionTime };
        removeCondition(status, 'Progressing');
      }
      setCondition(status, c);
    } else if (deploymentTimedOut(d, status, now)) {
      setCondition(status, newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', `${subject} has timed out progressing.`, now));
    }
  }
  const failure = replicaFailure(all, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, 'ReplicaFailure');

  const next = normalizeStatus(status);
  if (isDeepStrictEqual(next, normalizeStatus(d.status))) {
    requeueStuck(s, next);
    return;
  }
  await s.writeStatus(next);
}

/** A ReplicaFailure of the new set, else of any old one, as a Deployment condition. */
function replicaFailure(all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Condition | undefined {
  const ordered = newRS ? [newRS, ...all.filter((rs) => rs && rs !== newRS)] : all;
  for (const rs of ordered) {
    const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
    if (c) return { type: 'ReplicaFailure', status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
  }
  return undefined;
}

/** requeueStuckDeployment: check again when the progress deadline would be exceeded. */
function requeueStuck(s: SyncState, status: DeploymentStatus): void {
  const d = s.d;
  const c = getCondition(status, 'Progressing');
  if (!hasProgressDeadline(d) || !c || c.reason === 'ProgressDeadlineExceeded' || deploymentComplete(d, status)) return;
  const due = Date.parse(c.lastUpdateTime ?? '') + d.spec.progressDeadlineSeconds! * 1000 - s.now();
  s.ctx.requeueAfter(s.key, Math.max(due, 0) + 1000);
}
