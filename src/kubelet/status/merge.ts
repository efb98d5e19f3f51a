// How the status manager reconciles its status with the API's before writing (mergePodStatus), and
// the last word on a pod whose containers are gone (TerminatePod).

import type { ContainerStatus, Pod, PodCondition, PodStatus } from '../../api/types.js';
import { rfc3339 } from '../../util/clock.js';
import { findCondition, KUBELET_OWNED_CONDITIONS, KUBELET_SHARED_CONDITIONS, terminalReadyCondition } from './conditions.js';
import { LOST_ON_TERMINATION_MESSAGE, UNKNOWN_STATUS_REASON } from './container-statuses.js';
import { findStatus, isSidecar, isStaticPod, isTerminalPhase } from './pod-spec.js';

function replaceCondition(conditions: PodCondition[], next: PodCondition, now: number): void {
  const at = conditions.findIndex((c) => c.type === next.type);
  if (at < 0) {
    conditions.push({ ...next, lastProbeTime: null, lastTransitionTime: rfc3339(now) });
    return;
  }
  const old = conditions[at]!;
  const lastTransitionTime = old.status === next.status ? (old.lastTransitionTime ?? null) : rfc3339(now);
  conditions[at] = { ...next, lastProbeTime: old.lastProbeTime ?? null, lastTransitionTime };
}

/**
 * The status to send: foreign conditions from the API, the kubelet's own from `next`; a terminal
 * phase held back while containers may still run; Ready/ContainersReady False once terminal.
 */
export function mergePodStatus(api: PodStatus, next: PodStatus, couldHaveRunningContainers: boolean, now: number): PodStatus {
  const conditions: PodCondition[] = [];
  for (const c of api.conditions ?? []) if (!KUBELET_OWNED_CONDITIONS.has(c.type)) conditions.push(c);
  const toTerminal = !isTerminalPhase(api.phase) && isTerminalPhase(next.phase);
  for (const c of next.conditions ?? []) {
    if (KUBELET_OWNED_CONDITIONS.has(c.type)) conditions.push(c);
    else if (KUBELET_SHARED_CONDITIONS.has(c.type) && toTerminal && !couldHaveRunningContainers) {
      const old = findCondition(api.conditions, c.type);
      const stamped = { ...c, lastTransitionTime: old && old.status === c.status ? (old.lastTransitionTime ?? null) : rfc3339(now) };
      const at = conditions.findIndex((x) => x.type === c.type);
      if (at >= 0) conditions[at] = stamped;
      else conditions.push(stamped);
    }
  }
  const merged: PodStatus = { ...next, conditions };
  if (toTerminal && couldHaveRunningContainers) {
    merged.phase = api.phase;
    if (api.reason !== undefined) merged.reason = api.reason;
    else delete merged.reason;
    if (api.message !== undefined) merged.message = api.message;
    else delete merged.message;
  }
  if (isTerminalPhase(merged.phase)) {
    const ready = findCondition(conditions, 'Ready')?.status === 'True';
    const containersReady = findCondition(conditions, 'ContainersReady')?.status === 'True';
    if (ready || containersReady) {
      replaceCondition(conditions, terminalReadyCondition('ContainersReady', merged.phase), now);
      replaceCondition(conditions, terminalReadyCondition('Ready', merged.phase), now);
    }
  }
  return merged;
}

const LOST: ContainerStatus['state'] = {
  terminated: { exitCode: 137, reason: UNKNOWN_STATUS_REASON, message: LOST_ON_TERMINATION_MESSAGE, startedAt: null, finishedAt: null },
};

/** Whether the pod got past its init containers once (judged from the API's status). */
export function hasPodInitialized(pod: Pod): boolean {
  const inits = pod.spec.initContainers ?? [];
  if (inits.length === 0) return true;
  for (const s of pod.status?.containerStatuses ?? []) if (s.lastState?.terminated || !s.state?.waiting) return true;
  const statuses = pod.status?.initContainerStatuses ?? [];
  const last = statuses[statuses.length - 1];
  if (!last) return false;
  const spec = inits[statuses.length - 1];
  if (!spec || spec.name !== last.name) return false;
  if (isSidecar(spec)) return Boolean(last.state?.running && last.started === true);
  return last.lastState?.terminated?.exitCode === 0 || last.state?.terminated?.exitCode === 0;
}

/** Init statuses except the trailing ones that never started (at least the first). */
function attemptedInitCount(statuses: readonly ContainerStatus[]): number {
  for (let i = statuses.length - 1; i >= 0; i--) {
    if (!statuses[i]!.state?.waiting || statuses[i]!.lastState?.terminated) return i + 1;
  }
  return Math.min(1, statuses.length);
}

/** The final status of a pod whose containers have all stopped: nothing left non-terminated, phase terminal. */
export function terminalStatus(pod: Pod, base: PodStatus): PodStatus {
  const status: PodStatus = { ...base };
  if (hasPodInitialized(pod) && base.containerStatuses) {
    status.containerStatuses = base.containerStatuses.map((s) => (s.state?.terminated ? s : { ...s, state: LOST }));
  }
  if (base.initContainerStatuses) {
    const attempted = attemptedInitCount(base.initContainerStatuses);
    status.initContainerStatuses = base.initContainerStatuses.map((s, i) => (i >= attempted || s.state?.terminated ? s : { ...s, state: LOST }));
  }
  if (!isStaticPod(pod) && !isTerminalPhase(status.phase)) status.phase = 'Failed';
  return status;
}

/** A container that was terminated for good must not come back (unless the policy restarts it). */
export function illegalTransition(pod: Pod, old: PodStatus, next: PodStatus): string | undefined {
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (policy === 'Always') return undefined;
  const mayRestart = (exitCode: number) => exitCode !== 0 && policy === 'OnFailure';
  for (const o of old.containerStatuses ?? []) {
    const t = o.state?.terminated;
    if (!t || mayRestart(t.exitCode)) continue;
    const n = findStatus(next.containerStatuses, o.name);
    if (n && !n.state?.terminated) return `terminated container ${o.name} attempted illegal transition to non-terminated state`;
  }
  const inits = pod.spec.initContainers ?? [];
  for (const o of old.initContainerStatuses ?? []) {
    const spec = inits.find((c) => c.name === o.name);
    if (!spec || isSidecar(spec)) continue;
    const t = o.state?.terminated;
    if (!t || mayRestart(t.exitCode)) continue;
    const n = findStatus(next.initContainerStatuses, o.name);
    if (n && !n.state?.terminated) return `terminated init container ${o.name} attempted illegal transition to non-terminated state`;
  }
  return undefined;
}
