// The pod conditions the kubelet owns, with Kubernetes' reasons and messages.

import type { ContainerStatus, Pod, PodCondition, PodPhase } from '../../api/types.js';
import type { PodSandboxStatus } from '../../runtime/types.js';
import { findStatus, goList, hasAnyRegularContainerStarted, isSidecar } from './pod-spec.js';
import { podSandboxChanged } from './sandbox.js';

export const KUBELET_OWNED_CONDITIONS: ReadonlySet<string> = new Set([
  'PodScheduled',
  'Ready',
  'Initialized',
  'ContainersReady',
  'PodReadyToStartContainers',
  'PodResizePending',
  'PodResizeInProgress',
]);
/** Conditions set by others that the kubelet also writes. */
export const KUBELET_SHARED_CONDITIONS: ReadonlySet<string> = new Set(['DisruptionTarget']);

export function findCondition(conditions: readonly PodCondition[] | undefined, type: string): PodCondition | undefined {
  if (!conditions) return undefined;
  for (const c of conditions) if (c.type === type) return c;
  return undefined;
}

function condition(type: string, status: PodCondition['status'], reason?: string, message?: string): PodCondition {
  return { type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

function terminalReason(phase: PodPhase): string | undefined {
  return phase === 'Failed' ? 'PodFailed' : phase === 'Succeeded' ? 'PodCompleted' : undefined;
}

/** Ready and ContainersReady once the phase is terminal: False, reason PodFailed or PodCompleted. */
export function terminalReadyCondition(type: 'Ready' | 'ContainersReady', phase: PodPhase): PodCondition {
  return condition(type, 'False', terminalReason(phase));
}

function joinMessages(parts: [string, string[]][]): string {
  return parts
    .filter(([, names]) => names.length > 0)
    .map(([label, names]) => `${label}: ${goList(names)}`)
    .join(', ');
}

export function containersReadyCondition(pod: Pod, statuses: readonly ContainerStatus[], phase: PodPhase): PodCondition {
  if (statuses.length === 0) return condition('ContainersReady', 'False', 'UnknownContainerStatuses');
  const unknown: string[] = [];
  const unready: string[] = [];
  const consider = (name: string) => {
    const s = findStatus(statuses, name);
    if (!s) unknown.push(name);
    else if (!s.ready) unready.push(name);
  };
  for (const c of pod.spec.initContainers ?? []) if (isSidecar(c)) consider(c.name);
  for (const c of pod.spec.containers) consider(c.name);

  if ((phase === 'Succeeded' && unknown.length === 0) || phase === 'Failed') return terminalReadyCondition('ContainersReady', phase);
  const message = joinMessages([
    ['containers with unknown status', unknown],
    ['containers with unready status', unready],
  ]);
  if (message) return condition('ContainersReady', 'False', 'ContainersNotReady', message);
  return condition('ContainersReady', 'True');
}

export function readyCondition(pod: Pod, conditions: readonly PodCondition[], statuses: readonly ContainerStatus[], phase: PodPhase): PodCondition {
  const containersReady = containersReadyCondition(pod, statuses, phase);
  if (containersReady.status !== 'True') return { ...containersReady, type: 'Ready' };
  const problems: string[] = [];
  for (const gate of pod.spec.readinessGates ?? []) {
    const c = findCondition(conditions, gate.conditionType);
    if (!c) problems.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') problems.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (problems.length > 0) return condition('Ready', 'False', 'ReadinessGatesNotReady', problems.join(', '));
  return condition('Ready', 'True');
}

export function initializedCondition(pod: Pod, statuses: readonly ContainerStatus[], phase: PodPhase): PodCondition {
  const inits = pod.spec.initContainers ?? [];
  if (statuses.length === 0 && inits.length > 0) return condition('Initialized', 'False', 'UnknownContainerStatuses');
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of inits) {
    const s = findStatus(statuses, c.name);
    if (!s) unknown.push(c.name);
    else if (isSidecar(c) ? s.started !== true : !s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return condition('Initialized', 'True', 'PodCompleted');
  if (hasAnyRegularContainerStarted(pod, statuses)) return condition('Initialized', 'True');
  const message = joinMessages([
    ['containers with unknown status', unknown],
    ['containers with incomplete status', incomplete],
  ]);
  if (message) return condition('Initialized', 'False', 'ContainersNotInitialized', message);
  return condition('Initialized', 'True');
}

export function readyToStartContainersCondition(pod: Pod, sandboxes: readonly PodSandboxStatus[]): PodCondition {
  return condition('PodReadyToStartContainers', podSandboxChanged(pod, sandboxes) ? 'False' : 'True');
}
