// NodeResourcesFit: requests (cpu, memory, ephemeral storage, extended resources) and the pod count
// against allocatable (Filter), and the LeastAllocated score over cpu and memory (weight 1);
// NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory fractions stay even (weight 1).

import { MAX_NODE_SCORE, unschedulable, type FilterPlugin, type ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';
import type { PodInfo } from '../podinfo.js';
import { isZero } from '../resources.js';

/** Every resource the pod is short of on the node, in upstream's order (fitsRequest). */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const out: string[] = [];
  const a = node.allocatable;
  const used = node.requested;
  if (node.pods.size + 1 > a.pods) out.push('Too many pods');
  const want = pod.requests;
  if (isZero(want)) return out;
  if (want.milliCpu > 0 && want.milliCpu > a.milliCpu - used.milliCpu) out.push('Insufficient cpu');
  if (want.memory > 0 && want.memory > a.memory - used.memory) out.push('Insufficient memory');
  if (want.ephemeralStorage > 0 && want.ephemeralStorage > a.ephemeralStorage - used.ephemeralStorage) out.push('Insufficient ephemeral-storage');
  for (const [name, q] of want.scalar) {
    if (q === 0) continue;
    if (q > (a.scalar.get(name) ?? 0) - (used.scalar.get(name) ?? 0)) out.push(`Insufficient ${name}`);
  }
  return out;
}

export const nodeResourcesFit: FilterPlugin & ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  filter(_state, pod, node) {
    const reasons = insufficientResources(pod, node);
    return reasons.length ? unschedulable(...reasons) : undefined;
  },
  /** LeastAllocated over cpu and memory (weight 1 each), on non-zero requests. */
  score(_state, pod, node) {
    const a = node.allocatable;
    const pairs: [number, number][] = [
      [node.nonZeroRequested.milliCpu + pod.nonZeroRequests.milliCpu, a.milliCpu],
      [node.nonZeroRequested.memory + pod.nonZeroRequests.memory, a.memory],
    ];
    let sum = 0;
    let weights = 0;
    for (const [requested, capacity] of pairs) {
      if (capacity === 0) continue;
      sum += requested > capacity ? 0 : Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
      weights++;
    }
    return weights ? Math.trunc(sum / weights) : 0;
  },
};

export const balancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  /** Best-effort pods are not scored: they would otherwise all pile onto one node. */
  preScore(_state, pod) {
    return pod.requests.milliCpu > 0 || pod.requests.memory > 0;
  },
  score(_state, pod, node) {
    const a = node.allocatable;
    const fractions: number[] = [];
    for (const [requested, capacity] of [
      [node.requested.milliCpu + pod.requests.milliCpu, a.milliCpu],
      [node.requested.memory + pod.requests.memory, a.memory],
    ] as const) {
      if (capacity === 0) continue;
      fractions.push(Math.min(1, requested / capacity));
    }
    let std = 0;
    if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
    return Math.trunc((1 - std) * MAX_NODE_SCORE);
  },
};
