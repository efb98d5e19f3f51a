// activeDeadlineSeconds: a pod that has been active on the node (since status.startTime) for
// longer than its deadline is failed with reason DeadlineExceeded.

import type { Pod } from '../api/types.js';

export const DEADLINE_REASON = 'DeadlineExceeded';
export const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

/** When the pod's deadline passes (clock ms), if it has one and a start time. */
export function activeDeadlineAt(pod: Pod, startTime: string | undefined): number | undefined {
  const seconds = pod.spec.activeDeadlineSeconds;
  if (seconds === undefined || seconds === null || !startTime) return undefined;
  return Date.parse(startTime) + seconds * 1000;
}
