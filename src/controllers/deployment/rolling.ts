// The RollingUpdate strategy (rolling.go): grow the new set while the total stays within
// replicas + maxSurge, shrink old sets while availability stays at replicas - maxUnavailable,
// removing unhealthy old replicas first so that they never block the rollout.

import type { ReplicaSet } from '../shared/types.js';
import type { SyncState } from './context.js';
import { syncRolloutStatus } from './progress.js';
import { cleanup, scaleAndRecord, setsAndSyncRevision } from './sync.js';
import { activeSets, availableReplicas, byCreation, deploymentComplete, maxUnavailable, newReplicasFor, replicasOf, specReplicas } from './util.js';

export async function rolloutRolling(s: SyncState, sets: ReplicaSet[]): Promise<void> {
  const { newRS, oldSets } = await setsAndSyncRevision(s, sets, true);
  const all = [...oldSets, newRS!];
  if (await reconcileNew(s, all, newRS!)) return syncRolloutStatus(s, all, newRS);
  if (await reconcileOld(s, all, activeSets(oldSets), newRS!)) return syncRolloutStatus(s, all, newRS);
  if (deploymentComplete(s.d, s.d.status)) await cleanup(s, oldSets);
  return syncRolloutStatus(s, all, newRS);
}

async function reconcileNew(s: SyncState, all: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  const want = replicasOf(s.d);
  if (replicasOf(newRS) === want) return false;
  if (replicasOf(newRS) > want) return (await scaleAndRecord(s, newRS, want)).scaled;
  return (await scaleAndRecord(s, newRS, newReplicasFor(s.d, all, newRS))).scaled;
}

async function reconcileOld(s: SyncState, all: ReplicaSet[], oldSets: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  const oldCount = specReplicas(oldSets);
  if (oldCount === 0) return false;
  const minAvailable = replicasOf(s.d) - maxUnavailable(s.d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const { sets: cleaned, count: cleanedUp } = await cleanupUnhealthy(s, oldSets, maxScaledDown);
  const scaledDown = await scaleDownOld(s, [...cleaned, newRS], cleaned);
  return cleanedUp + scaledDown > 0;
}

/** Scales old sets down by their unavailable replicas, oldest first, up to `max` in all. */
async function cleanupUnhealthy(s: SyncState, oldSets: ReplicaSet[], max: number): Promise<{ sets: ReplicaSet[]; count: number }> {
  const sets = [...oldSets].sort(byCreation);
  let total = 0;
  for (const [i, rs] of sets.entries()) {
    if (total >= max) break;
    const available = rs.status?.availableReplicas ?? 0;
    if (replicasOf(rs) === 0 || replicasOf(rs) === available) continue;
    const down = Math.min(max - total, replicasOf(rs) - available);
    sets[i] = (await scaleAndRecord(s, rs, replicasOf(rs) - down)).rs;
    total += down;
  }
  return { sets, count: total };
}

/** Scales old sets down, oldest first, as far as availability above the minimum allows. */
async function scaleDownOld(s: SyncState, all: ReplicaSet[], oldSets: ReplicaSet[]): Promise<number> {
  const minAvailable = replicasOf(s.d) - maxUnavailable(s.d);
  const available = availableReplicas(all);
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...oldSets].sort(byCreation)) {
    if (total >= budget) break;
    if (replicasOf(rs) === 0) continue;
    const down = Math.min(replicasOf(rs), budget - total);
    await scaleAndRecord(s, rs, replicasOf(rs) - down);
    total += down;
  }
  return total;
}
