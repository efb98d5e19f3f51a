// The Recreate strategy (recreate.go): scale every old set to zero, wait until none of their pods
// is still running, then create (or scale up) the new set.

import type { Pod } from '../../api/types.js';
import type { ReplicaSet } from '../shared/types.js';
import type { SyncState } from './context.js';
import { syncRolloutStatus } from './progress.js';
import { cleanup, scaleAndRecord, setsAndSyncRevision } from './sync.js';
import { actualReplicas, activeSets, deploymentComplete, replicasOf } from './util.js';

/** Pods of the Deployment's sets, by owning set uid. */
export type PodsBySet = Map<string, Pod[]>;

export async function rolloutRecreate(s: SyncState, sets: ReplicaSet[], podsBySet: PodsBySet): Promise<void> {
  let { newRS, oldSets } = await setsAndSyncRevision(s, sets, false);
  let all = [...oldSets, newRS];
  let scaledDown = false;
  for (const rs of activeSets(oldSets)) if ((await scaleAndRecord(s, rs, 0)).scaled) scaledDown = true;
  if (scaledDown) return syncRolloutStatus(s, all, newRS);
  if (oldPodsRunning(newRS, oldSets, podsBySet)) return syncRolloutStatus(s, all, newRS);
  if (!newRS) {
    ({ newRS, oldSets } = await setsAndSyncRevision(s, sets, true));
    all = [...oldSets, newRS];
  }
  if (newRS && replicasOf(newRS) !== replicasOf(s.d)) await scaleAndRecord(s, newRS, replicasOf(s.d));
  if (deploymentComplete(s.d, s.d.status)) await cleanup(s, oldSets);
  return syncRolloutStatus(s, all, newRS);
}

function oldPodsRunning(newRS: ReplicaSet | undefined, oldSets: ReplicaSet[], podsBySet: PodsBySet): boolean {
  if (actualReplicas(oldSets) > 0) return true;
  for (const [uid, pods] of podsBySet) {
    if (newRS && newRS.metadata.uid === uid) continue;
    if (pods.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')) return true;
  }
  return false;
}
