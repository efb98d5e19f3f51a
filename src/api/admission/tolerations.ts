// The DefaultTolerationSeconds admission plugin: pods tolerate a not-ready or unreachable node for
// five minutes before eviction unless they say otherwise.

import type { Pod, Toleration } from '../types.js';
import { isObject } from '../validation/field.js';

export const DEFAULT_TOLERATION_SECONDS = 300;
const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';

export function applyDefaultTolerations(pod: Pod, seconds = DEFAULT_TOLERATION_SECONDS): void {
  const tolerations = Array.isArray(pod.spec.tolerations) ? pod.spec.tolerations : [];
  const covers = (key: string) =>
    tolerations.some((t) => isObject(t) && (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const added: Toleration[] = [];
  for (const key of [NOT_READY, UNREACHABLE]) {
    if (!covers(key)) added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
  }
  if (added.length) pod.spec.tolerations = [...tolerations, ...added];
}
