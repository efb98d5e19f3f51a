// The pod-failure back-off of a Job (pkg/controller/job/backoff_utils.go): consecutive failures
// since the last success delay the next pod creation by 10 s, doubling, capped at 10 min, measured
// from the last failure's finish time.

import type { Pod } from '../../api/types.js';

export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

/** The record after newly finished pods are seen. */
export function nextBackoffRecord(prev: BackoffRecord | undefined, succeeded: Pod[], failed: Pod[]): BackoffRecord {
  const record: BackoffRecord = { failuresAfterLastSuccess: prev?.failuresAfterLastSuccess ?? 0, ...(prev?.lastFailureTime !== undefined ? { lastFailureTime: prev.lastFailureTime } : {}) };
  const failTimes = failed.map(finishedTime).sort((a, b) => a - b);
  if (!succeeded.length) {
    if (!failTimes.length) return record;
    return { failuresAfterLastSuccess: record.failuresAfterLastSuccess + failTimes.length, lastFailureTime: failTimes[failTimes.length - 1]! };
  }
  const lastSuccess = Math.max(...succeeded.map(finishedTime));
  const after = failTimes.filter((t) => t > lastSuccess);
  return after.length ? { failuresAfterLastSuccess: after.length, lastFailureTime: after[after.length - 1]! } : { failuresAfterLastSuccess: 0 };
}

/** Milliseconds until a replacement pod may be created (0: now). */
export function remainingBackoff(record: BackoffRecord | undefined, now: number, base = POD_FAILURE_BACKOFF_MS, max = MAX_POD_FAILURE_BACKOFF_MS): number {
  if (!record || record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  let delay = base;
  for (let i = 1; i < record.failuresAfterLastSuccess; i++) {
    delay *= 2;
    if (delay >= max) {
      delay = max;
      break;
    }
  }
  const elapsed = now - record.lastFailureTime;
  return elapsed > delay ? 0 : delay - elapsed;
}

/**
 * When a pod finished: the latest container finish time, else when Ready turned False, else its
 * deletion time less the grace period, else its creation.
 */
export function finishedTime(pod: Pod): number {
  const statuses = pod.status?.containerStatuses ?? [];
  let latest: number | undefined;
  let complete = statuses.length > 0;
  for (const s of statuses) {
    const at = s.state?.terminated?.finishedAt ? Date.parse(s.state.terminated.finishedAt) : NaN;
    if (Number.isNaN(at)) {
      complete = false;
      break;
    }
    latest = latest === undefined ? at : Math.max(latest, at);
  }
  if (complete && latest !== undefined) return latest;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'False' && ready.lastTransitionTime) return Date.parse(ready.lastTransitionTime);
  if (pod.metadata.deletionTimestamp) return Date.parse(pod.metadata.deletionTimestamp) - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return Date.parse(pod.metadata.creationTimestamp ?? '') || 0;
}
