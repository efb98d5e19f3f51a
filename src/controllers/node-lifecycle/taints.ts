// Taints and tolerations as the node lifecycle and taint-eviction controllers use them
// (k8s.io/api/core/v1 toleration.go, pkg/util/taints).

import type { Taint, Toleration } from '../../api/types.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

/** Does the toleration tolerate the taint (ToleratesTaint)? */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

/**
 * How long a pod with these tolerations may stay on a node with these NoExecute taints: 0 when a
 * taint is not tolerated, Infinity when every matching toleration is unbounded, else the least
 * tolerationSeconds (negative counts as 0).
 */
export function tolerationTimeMs(tolerations: Toleration[] | undefined, taints: Taint[]): number {
  let least = Infinity;
  for (const taint of taints) {
    const matching = (tolerations ?? []).filter((t) => (t.effect === 'NoExecute' || !t.effect) && tolerates(t, taint));
    if (!matching.length) return 0;
    for (const t of matching) if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) least = Math.min(least, Math.max(0, t.tolerationSeconds) * 1000);
  }
  return least;
}
