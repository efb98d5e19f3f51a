// The Priority admission plugin: resolves priorityClassName to an integer priority and a
// preemption policy; only the built-in system classes exist unless the caller supplies more.

import type { Pod } from '../types.js';

export interface PriorityClassInfo {
  value: number;
  preemptionPolicy: string;
}

export const SYSTEM_PRIORITY_CLASSES: ReadonlyMap<string, PriorityClassInfo> = new Map([
  ['system-cluster-critical', { value: 2000000000, preemptionPolicy: 'PreemptLowerPriority' }],
  ['system-node-critical', { value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' }],
]);

const NO_CLASS: PriorityClassInfo = { value: 0, preemptionPolicy: 'PreemptLowerPriority' };

/** Mutates the pod; returns the reason the plugin forbids it, if it does. */
export function applyPriority(pod: Pod, classes: ReadonlyMap<string, PriorityClassInfo> = SYSTEM_PRIORITY_CLASSES): string | undefined {
  const spec = pod.spec;
  let resolved = NO_CLASS;
  if (spec.priorityClassName) {
    const pc = classes.get(spec.priorityClassName);
    if (!pc) return `no PriorityClass with name ${spec.priorityClassName} was found`;
    resolved = pc;
  }
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== resolved.value) {
    return `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${resolved.value} from the given PriorityClass name`;
  }
  spec.priority = resolved.value;
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== resolved.preemptionPolicy) {
    return `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${resolved.preemptionPolicy} from the given PriorityClass name`;
  }
  spec.preemptionPolicy = resolved.preemptionPolicy;
  return undefined;
}
