// DaemonSet status (daemon_controller.go updateDaemonSetStatus): per node that should run the
// pod, whether one is scheduled, ready, available and up to date; per node that should not, whether
// one is there anyway.

import type { Node, Pod } from '../../api/types.js';
import { isPodAvailable, isPodReady } from '../shared/pods.js';
import { omitEmpty, type DaemonSet, type DaemonSetStatus } from '../shared/types.js';
import { nodeShouldRunDaemonPod } from './node-fit.js';
import { byCreationAndScheduling, isPodUpdated, templateGeneration } from './pods.js';

export const REQUIRED_STATUS_FIELDS = ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'] as const;

export function calculateStatus(ds: DaemonSet, nodes: Node[], nodePods: Map<string, Pod[]>, hash: string, now: number): DaemonSetStatus {
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let updated = 0;
  let available = 0;
  const generation = templateGeneration(ds);
  for (const node of nodes) {
    const pods = nodePods.get(node.metadata.name!) ?? [];
    const { shouldRun } = nodeShouldRunDaemonPod(ds.spec.template.spec, node);
    if (!shouldRun) {
      if (pods.length) misscheduled++;
      continue;
    }
    desired++;
    if (!pods.length) continue;
    current++;
    const pod = [...pods].sort(byCreationAndScheduling)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, ds.spec.minReadySeconds ?? 0, now)) available++;
    }
    if (isPodUpdated(pod, hash, generation)) updated++;
  }
  return omitEmpty<DaemonSetStatus>(
    {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: ds.status?.observedGeneration,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: desired - available,
      collisionCount: ds.status?.collisionCount,
      conditions: ds.status?.conditions,
    },
    REQUIRED_STATUS_FIELDS,
  );
}

/** A stored status in the shape calculateStatus returns, for comparison. */
export function normalizeStatus(status: DaemonSetStatus | undefined): DaemonSetStatus {
  return omitEmpty<DaemonSetStatus>({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, ...(status ?? {}) }, REQUIRED_STATUS_FIELDS);
}
