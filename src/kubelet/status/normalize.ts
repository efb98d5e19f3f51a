// Status comparison helpers of the status manager: whole-second timestamps, capped termination
// messages, stable order, and equality that ignores conditions the kubelet does not own.

import type { ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from '../../api/types.js';
import { rfc3339 } from '../../util/clock.js';
import { findCondition, KUBELET_OWNED_CONDITIONS, KUBELET_SHARED_CONDITIONS } from './conditions.js';
import { byName } from './container-statuses.js';

/** Total bytes of termination messages a pod status may carry, shared by its containers. */
export const MAX_POD_TERMINATION_MESSAGE_BYTES = 12 * 1024;

function seconds<T extends string | null | undefined>(ts: T): T {
  if (typeof ts !== 'string' || !ts.includes('.')) return ts;
  const ms = Date.parse(ts);
  return (Number.isNaN(ms) ? ts : rfc3339(ms)) as T;
}

function normalizeState(state: ContainerState | undefined, maxMessage: number): ContainerState | undefined {
  if (!state) return state;
  const out: ContainerState = {};
  if (state.waiting) out.waiting = state.waiting;
  if (state.running) out.running = { ...state.running, startedAt: seconds(state.running.startedAt) };
  if (state.terminated) {
    const t = state.terminated;
    out.terminated = { ...t, startedAt: seconds(t.startedAt), finishedAt: seconds(t.finishedAt) };
    if (t.message !== undefined && Buffer.byteLength(t.message) > maxMessage) {
      out.terminated.message = Buffer.from(t.message).subarray(0, maxMessage).toString('utf8');
    }
  }
  return out;
}

function normalizeContainers(list: ContainerStatus[] | undefined, maxMessage: number): ContainerStatus[] | undefined {
  if (!list) return list;
  return list.map((s) => ({ ...s, state: normalizeState(s.state, maxMessage), lastState: normalizeState(s.lastState, maxMessage) }));
}

function specOrder(pod: Pod, list: ContainerStatus[]): ContainerStatus[] {
  const index = new Map<string, number>();
  (pod.spec.initContainers ?? []).forEach((c, i) => index.set(c.name, i));
  return list.sort((a, b) => (index.get(a.name) ?? Infinity) - (index.get(b.name) ?? Infinity));
}

/** A copy of `status` as the API would store it. Never mutates its input. */
export function normalizeStatus(pod: Pod, status: PodStatus): PodStatus {
  const count = pod.spec.containers.length + (pod.spec.initContainers?.length ?? 0) + (pod.spec.ephemeralContainers?.length ?? 0);
  const maxMessage = Math.floor(MAX_POD_TERMINATION_MESSAGE_BYTES / Math.max(1, count));
  const out: PodStatus = { ...status };
  if (status.startTime) out.startTime = seconds(status.startTime);
  if (status.conditions) {
    out.conditions = status.conditions.map((c) => ({
      ...c,
      lastProbeTime: seconds(c.lastProbeTime),
      lastTransitionTime: seconds(c.lastTransitionTime),
    }));
  }
  const regular = normalizeContainers(status.containerStatuses, maxMessage);
  if (regular) out.containerStatuses = regular.sort(byName);
  const init = normalizeContainers(status.initContainerStatuses, maxMessage);
  if (init) out.initContainerStatuses = specOrder(pod, init);
  const ephemeral = normalizeContainers(status.ephemeralContainerStatuses, maxMessage);
  if (ephemeral) out.ephemeralContainerStatuses = ephemeral.sort(byName);
  return out;
}

/** Structural equality of JSON values; absent, undefined and null properties are the same. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b || (a ?? undefined) === (b ?? undefined)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k of Object.keys(ao)) if (!jsonEqual(ao[k], bo[k])) return false;
  for (const k of Object.keys(bo)) if (!(k in ao) && !jsonEqual(undefined, bo[k])) return false;
  return true;
}

/** Equal when the kubelet's conditions agree on status/reason/message and everything else is equal. */
export function isStatusEqualForKubelet(old: PodStatus, next: PodStatus): boolean {
  for (const c of next.conditions ?? []) {
    if (!KUBELET_OWNED_CONDITIONS.has(c.type) && !KUBELET_SHARED_CONDITIONS.has(c.type)) continue;
    const o = findCondition(old.conditions, c.type);
    if (!o || o.status !== c.status || (o.message ?? '') !== (c.message ?? '') || (o.reason ?? '') !== (c.reason ?? '')) return false;
  }
  return jsonEqual({ ...old, conditions: next.conditions }, next);
}

const TRANSITION_TRACKED = ['ContainersReady', 'Ready', 'Initialized', 'PodReadyToStartContainers', 'PodScheduled', 'DisruptionTarget'];

/** Keeps each tracked condition's lastTransitionTime unless its status flipped (then `now`). */
export function withTransitionTimes(next: PodStatus, old: PodStatus, now: number): PodStatus {
  if (!next.conditions) return next;
  const conditions: PodCondition[] = next.conditions.map((c) => {
    if (!TRANSITION_TRACKED.includes(c.type)) return c;
    const o = findCondition(old.conditions, c.type);
    const lastTransitionTime = o && o.status === c.status ? (o.lastTransitionTime ?? null) : rfc3339(now);
    return { ...c, lastProbeTime: c.lastProbeTime ?? null, lastTransitionTime };
  });
  return { ...next, conditions };
}
