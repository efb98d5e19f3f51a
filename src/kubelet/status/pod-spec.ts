// Small questions about a pod's spec and statuses that phase, conditions and the status manager share.

import type { Container, ContainerStatus, Pod, PodPhase } from '../../api/types.js';

/** An init container with `restartPolicy: Always` keeps running beside the main containers. */
export function isSidecar(container: Container): boolean {
  return container.restartPolicy === 'Always';
}

export function isTerminalPhase(phase: PodPhase | undefined): phase is 'Succeeded' | 'Failed' {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Pods from the node's own manifests (not the API) are never given a terminal phase by the kubelet. */
export function isStaticPod(pod: Pod): boolean {
  const source = pod.metadata.annotations?.['kubernetes.io/config.source'];
  return source !== undefined && source !== 'api';
}

export function findStatus(statuses: readonly ContainerStatus[] | undefined, name: string): ContainerStatus | undefined {
  if (!statuses) return undefined;
  for (const s of statuses) if (s.name === name) return s;
  return undefined;
}

/** Whether any regular container has left the waiting state, i.e. the pod got past initialization once. */
export function hasAnyRegularContainerStarted(pod: Pod, statuses: readonly ContainerStatus[]): boolean {
  for (const c of pod.spec.containers) {
    const s = findStatus(statuses, c.name);
    if (s?.state?.running || s?.state?.terminated) return true;
  }
  return false;
}

/** `<name>_<namespace>(<uid>)`, the kubelet's way of naming a pod in messages. */
export function podFullName(pod: Pod): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}

/** Go's rendering of a string slice with %s / %v: `[a b]`. */
export function goList(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}
