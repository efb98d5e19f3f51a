// Shared shapes of the node agent's modules: how runtime objects are tied to pods, what a sync sees
// of the runtime, and the seams to the API (status writer, event recorder) that tests replace.

import type { ObjectReference, Pod, PodStatus } from '../api/types.js';
import type { PodSandboxStatus, RuntimeContainer } from '../runtime/types.js';

// Labels and annotations the node agent puts on sandboxes and containers (as the kubelet does), so
// that the runtime's state alone tells which pod and container an instance belongs to.
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';
export const ANNOTATION_POD_DELETION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';

/** What the runtime holds for one pod, newest first, as the sync loop reads it. */
export interface PodRuntimeSnapshot {
  podUid: string;
  sandboxes: PodSandboxStatus[];
  containers: RuntimeContainer[];
  /** When the snapshot was taken (clock ms). */
  timestamp: number;
}

export type EventType = 'Normal' | 'Warning';

/** Records events about an object; the API-backed one aggregates like Kubernetes' event recorder. */
export interface EventRecorder {
  event(object: ObjectReference, type: EventType, reason: string, message: string): void;
}

/** Writes a pod's status to the API (a patch of the status subresource). */
export interface PodStatusWriter {
  /** Returns the pod as stored after the write, or undefined when the pod no longer exists. */
  writeStatus(pod: Pod, status: PodStatus): Promise<Pod | undefined>;
  /** Removes the pod object once it is terminated and deleted (grace period 0 delete with uid precondition). */
  deletePod(pod: Pod): Promise<void>;
}

/** Looks up the objects a container's environment and volumes refer to. */
export interface ConfigSource {
  getConfigMap(namespace: string, name: string): Promise<{ data?: Record<string, string>; binaryData?: Record<string, string> } | undefined>;
  getSecret(namespace: string, name: string): Promise<{ type?: string; data?: Record<string, string> } | undefined>;
  /** Services for service-link environment variables, or undefined before they were read once. */
  listServices(namespace: string): Promise<unknown[] | undefined>;
}

export function podReference(pod: Pod, fieldPath?: string): ObjectReference {
  return {
    kind: 'Pod',
    namespace: pod.metadata.namespace,
    name: pod.metadata.name,
    uid: pod.metadata.uid,
    apiVersion: 'v1',
    resourceVersion: pod.metadata.resourceVersion,
    ...(fieldPath ? { fieldPath } : {}),
  };
}
