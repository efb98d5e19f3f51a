// The grace period a container is killed with (the kubelet's setTerminationGracePeriod).

import type { Container, Pod } from '../../api/types.js';

export const MINIMUM_GRACE_PERIOD_SECONDS = 2;

/**
 * Seconds of grace for killing `container`: the pod's deletion grace if it is being deleted, else the
 * failed probe's own terminationGracePeriodSeconds when the kill is for a liveness or startup
 * failure, else the pod's terminationGracePeriodSeconds.
 */
export function killGracePeriodSeconds(pod: Pod, container: Container, reason?: 'liveness' | 'startup'): number {
  if (pod.metadata.deletionGracePeriodSeconds !== undefined) return pod.metadata.deletionGracePeriodSeconds;
  const podGrace = pod.spec.terminationGracePeriodSeconds;
  if (podGrace === undefined) return MINIMUM_GRACE_PERIOD_SECONDS;
  const probe = reason === 'liveness' ? container.livenessProbe : reason === 'startup' ? container.startupProbe : undefined;
  return probe?.terminationGracePeriodSeconds ?? podGrace;
}
