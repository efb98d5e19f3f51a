// ReplicaSet status from the pods it owns (replica_set_utils.go calculateStatus), and the
// ReplicaFailure condition that reports a failed create or delete.

import { isDeepStrictEqual } from 'node:util';
import type { Pod } from '../../api/types.js';
import { labelSelectorFromSpec } from '../../api/selectors.js';
import { rfc3339 } from '../../util/clock.js';
import { isPodAvailable, isPodReady } from '../shared/pods.js';
import { omitEmpty, type Condition, type ReplicaSet, type ReplicaSetStatus } from '../shared/types.js';

export function calculateStatus(rs: ReplicaSet, pods: Pod[], manageError: unknown, now: number): ReplicaSetStatus {
  const templateLabels = rs.spec.template?.metadata?.labels ?? {};
  const fullyLabeled = labelSelectorFromSpec({ matchLabels: templateLabels });
  let fullyLabeledReplicas = 0;
  let readyReplicas = 0;
  let availableReplicas = 0;
  for (const pod of pods) {
    if (fullyLabeled.matches(pod.metadata.labels)) fullyLabeledReplicas++;
    if (isPodReady(pod)) {
      readyReplicas++;
      if (isPodAvailable(pod, rs.spec.minReadySeconds ?? 0, now)) availableReplicas++;
    }
  }
  let conditions = [...(rs.status?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageError && !failure) {
    const diff = pods.length - (rs.spec.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : undefined;
    const cond: Condition = { type: 'ReplicaFailure', status: 'True', lastTransitionTime: rfc3339(now), ...(reason ? { reason } : {}), message: (manageError as Error).message ?? String(manageError) };
    conditions.push(cond);
  } else if (!manageError && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  return omitEmpty<ReplicaSetStatus>(
    {
      replicas: pods.length,
      fullyLabeledReplicas,
      readyReplicas,
      availableReplicas,
      observedGeneration: rs.status?.observedGeneration,
      conditions,
    },
    ['replicas'],
  );
}

export function sameStatus(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  return isDeepStrictEqual(omitEmpty(a ?? { replicas: 0 }, ['replicas']), b);
}
