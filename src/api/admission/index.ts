// Mutating admission for pod creation, in the order kube-apiserver runs its default plugins:
// ServiceAccount, DefaultTolerationSeconds, Priority. Call after defaulting, before validation.

import { ApiError, errors } from '../errors.js';
import type { Pod } from '../types.js';
import { isObject } from '../validation/field.js';
import { applyPriority, SYSTEM_PRIORITY_CLASSES, type PriorityClassInfo } from './priority.js';
import { applyServiceAccount, MIRROR_POD_ANNOTATION, type ServiceAccountInfo } from './serviceaccount.js';
import { applyDefaultTolerations } from './tolerations.js';

export { apiAccessVolume, SERVICE_ACCOUNT_MOUNT_PATH, SERVICE_ACCOUNT_VOLUME_PREFIX, type ServiceAccountInfo } from './serviceaccount.js';
export { DEFAULT_TOLERATION_SECONDS } from './tolerations.js';
export { SYSTEM_PRIORITY_CLASSES, type PriorityClassInfo } from './priority.js';

export interface PodAdmissionContext {
  namespace: string;
  /** The service account the pod names (after defaulting to `default`); undefined when it does not exist. */
  serviceAccount?: ServiceAccountInfo | undefined;
  /** Five characters for the generated token volume name (names.randomSuffix in production). */
  randomSuffix(): string;
  /** Priority classes beyond the built-in system ones. */
  priorityClasses?: ReadonlyMap<string, PriorityClassInfo>;
}

const pods = { group: '', resource: 'pods' };

/** The service account a pod will run as: what admitPod needs looked up first. */
export function podServiceAccountName(pod: Pod): string {
  return pod.spec?.serviceAccountName || 'default';
}

/**
 * Applies the admission mutations to a pod being created. Returns the 403 a real plugin would
 * answer with, or undefined when the pod is admitted.
 */
export function admitPod(pod: Pod, ctx: PodAdmissionContext): ApiError | undefined {
  // A malformed spec is left for validation to report.
  if (!isObject(pod.metadata) || !isObject(pod.spec)) return undefined;
  const name = pod.metadata.name || pod.metadata.generateName || 'Unknown';
  const forbid = (reason: string) => errors.forbidden(pods, name, reason);
  const mirror = pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
  if (!mirror) {
    pod.spec.serviceAccountName = podServiceAccountName(pod);
    pod.spec.serviceAccount = pod.spec.serviceAccountName;
    if (!ctx.serviceAccount) {
      const sa = pod.spec.serviceAccountName;
      return forbid(`error looking up service account ${ctx.namespace}/${sa}: serviceaccount "${sa}" not found`);
    }
    applyServiceAccount(pod, ctx.serviceAccount, ctx.randomSuffix);
  }
  applyDefaultTolerations(pod);
  const classes = ctx.priorityClasses ? new Map([...SYSTEM_PRIORITY_CLASSES, ...ctx.priorityClasses]) : SYSTEM_PRIORITY_CLASSES;
  const rejected = applyPriority(pod, classes);
  return rejected ? forbid(rejected) : undefined;
}
