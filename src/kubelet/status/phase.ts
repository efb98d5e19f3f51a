// The pod phase from its container statuses, as the kubelet decides it (getPhase).

import type { ContainerStatus, Pod, PodPhase } from '../../api/types.js';
import { findStatus, hasAnyRegularContainerStarted, isSidecar, isStaticPod } from './pod-spec.js';

interface Counts {
  pendingInit: number;
  failedInit: number;
  unknown: number;
  running: number;
  waiting: number;
  stopped: number;
  succeeded: number;
}

function countRegularInit(counts: Counts, s: ContainerStatus | undefined): void {
  if (!s) return void counts.pendingInit++;
  const state = s.state ?? {};
  if (state.running) counts.pendingInit++;
  else if (state.terminated) {
    if (state.terminated.exitCode !== 0) counts.failedInit++;
  } else if (state.waiting) {
    const last = s.lastState?.terminated;
    if (!last) counts.pendingInit++;
    else if (last.exitCode !== 0) counts.failedInit++;
  } else counts.pendingInit++;
}

function countSidecar(counts: Counts, s: ContainerStatus | undefined): void {
  if (!s) return void counts.unknown++;
  const state = s.state ?? {};
  if (state.running) {
    if (s.started !== true) counts.pendingInit++;
    counts.running++;
  } else if (state.terminated) {
    // A stopped sidecar says nothing about the pod's phase.
  } else if (state.waiting) {
    if (!s.lastState?.terminated) {
      counts.pendingInit++;
      counts.waiting++;
    }
  } else {
    counts.pendingInit++;
    counts.unknown++;
  }
}

function countRegular(counts: Counts, s: ContainerStatus | undefined): void {
  if (!s) return void counts.unknown++;
  const state = s.state ?? {};
  if (state.running) counts.running++;
  else if (state.terminated) {
    counts.stopped++;
    if (state.terminated.exitCode === 0) counts.succeeded++;
  } else if (state.waiting) {
    if (s.lastState?.terminated) counts.stopped++;
    else counts.waiting++;
  } else counts.unknown++;
}

export function getPhase(pod: Pod, initStatuses: ContainerStatus[], statuses: ContainerStatus[], podIsTerminal: boolean): PodPhase {
  const counts: Counts = { pendingInit: 0, failedInit: 0, unknown: 0, running: 0, waiting: 0, stopped: 0, succeeded: 0 };
  for (const c of pod.spec.initContainers ?? []) {
    const s = findStatus(initStatuses, c.name);
    if (isSidecar(c)) countSidecar(counts, s);
    else countRegularInit(counts, s);
  }
  for (const c of pod.spec.containers) countRegular(counts, findStatus(statuses, c.name));

  const restartPolicy = pod.spec.restartPolicy ?? 'Always';
  if (counts.failedInit > 0 && restartPolicy === 'Never') return 'Failed';
  if ((counts.pendingInit > 0 && !hasAnyRegularContainerStarted(pod, statuses)) || counts.waiting > 0) return 'Pending';
  if (counts.running > 0 && counts.unknown === 0) return 'Running';
  if (counts.running === 0 && counts.stopped > 0 && counts.unknown === 0) {
    if (podIsTerminal && !isStaticPod(pod)) return counts.stopped === counts.succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (counts.stopped === counts.succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}
