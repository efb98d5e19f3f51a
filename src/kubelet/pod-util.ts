// Small facts about pods and containers that several parts of the agent need.

import type { Container, Pod, RestartPolicy } from '../api/types.js';
import type { RuntimeContainer } from '../runtime/types.js';
import { ANNOTATION_CONTAINER_HASH, ANNOTATION_RESTART_COUNT, LABEL_CONTAINER_NAME } from './types.js';

/** `name_namespace(uid)`, as the kubelet names a pod in messages. */
export function formatPod(pod: Pod): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

export function restartPolicyOf(pod: Pod): RestartPolicy {
  return pod.spec.restartPolicy ?? 'Always';
}

export function isSidecar(container: Container): boolean {
  return container.restartPolicy === 'Always';
}

export function hasSidecars(pod: Pod): boolean {
  return (pod.spec.initContainers ?? []).some(isSidecar);
}

/** Where a container sits in the spec, for event field paths. */
export function containerFieldPath(pod: Pod, name: string): string {
  if ((pod.spec.initContainers ?? []).some((c) => c.name === name)) return `spec.initContainers{${name}}`;
  if ((pod.spec.ephemeralContainers ?? []).some((c) => c.name === name)) return `spec.ephemeralContainers{${name}}`;
  return `spec.containers{${name}}`;
}

export function findContainerSpec(pod: Pod, name: string): Container | undefined {
  return (
    pod.spec.containers.find((c) => c.name === name) ??
    pod.spec.initContainers?.find((c) => c.name === name) ??
    pod.spec.ephemeralContainers?.find((c) => c.name === name)
  );
}

/** The identity of a container's definition: only name and image, as the kubelet hashes since 1.31. */
export function containerHash(container: Container): string {
  const text = JSON.stringify({ name: container.name, image: container.image ?? '' });
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

export function nameOf(c: RuntimeContainer): string {
  return c.labels[LABEL_CONTAINER_NAME] ?? c.name;
}

export function restartCountOf(c: RuntimeContainer): number {
  const n = Number(c.annotations[ANNOTATION_RESTART_COUNT]);
  return Number.isFinite(n) ? n : c.attempt;
}

export function definitionChanged(container: Container, instance: RuntimeContainer): boolean {
  const recorded = instance.annotations[ANNOTATION_CONTAINER_HASH];
  return recorded !== undefined && recorded !== containerHash(container);
}

export function gracePeriodOf(pod: Pod): number {
  return pod.spec.terminationGracePeriodSeconds ?? 30;
}
