// Pod QoS class (pkg/apis/core/v1/helper/qos): decided by cpu and memory over init and regular
// containers; ephemeral containers never count.

import type { Container, Pod } from './types.js';
import { Quantity, tryParseQuantity } from './quantity.js';

export type QoSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const qosResources = ['cpu', 'memory'] as const;

export function computeQoSClass(pod: Pick<Pod, 'spec'>): QoSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const containers: Container[] = [...listOf(pod.spec?.initContainers), ...listOf(pod.spec?.containers)];
  for (const c of containers) {
    // A limit without a request is a request of the same size once the pod is defaulted.
    accumulate({ ...c.resources?.limits, ...c.resources?.requests }, requests);
    const found = accumulate(c.resources?.limits, limits);
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, request] of requests) {
      const limit = limits.get(name);
      if (!limit || !limit.equals(request)) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

function listOf(list: Container[] | undefined): Container[] {
  return Array.isArray(list) ? list.filter((c) => typeof c === 'object' && c !== null) : [];
}

/** Adds the positive cpu/memory amounts of `list` into `into`; returns the names that were positive. */
function accumulate(list: Record<string, string | number> | undefined, into: Map<string, Quantity>): Set<string> {
  const found = new Set<string>();
  if (typeof list !== 'object' || list === null) return found;
  for (const name of qosResources) {
    if (!(name in list)) continue;
    const q = tryParseQuantity(list[name]);
    if (!q || q.sign() <= 0) continue;
    found.add(name);
    const prev = into.get(name);
    into.set(name, prev ? prev.add(q) : q);
  }
  return found;
}
