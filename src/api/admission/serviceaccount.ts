// The ServiceAccount admission plugin: default service account, its image pull secrets, and the
// projected API token volume mounted into every container.

import type { Pod, Volume, VolumeMount } from '../types.js';
import { objects } from '../validation/field.js';

export const SERVICE_ACCOUNT_VOLUME_PREFIX = 'kube-api-access-';
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Bound tokens are issued for 3607 s so that clients which refresh late are only warned. */
export const TOKEN_EXPIRATION_SECONDS = 3607;
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export interface ServiceAccountInfo {
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: { name: string }[];
}

export function apiAccessVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

/** Mutates the pod; the caller has already resolved the service account named by the pod. */
export function applyServiceAccount(pod: Pod, sa: ServiceAccountInfo, randomSuffix: () => string): void {
  const spec = pod.spec;
  if (!spec.imagePullSecrets || (spec.imagePullSecrets as unknown[]).length === 0) {
    if (sa.imagePullSecrets?.length) spec.imagePullSecrets = sa.imagePullSecrets.map((s) => ({ name: s.name }));
  }
  const automount = spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true;
  if (!automount) return;
  if (!Array.isArray(spec.volumes)) spec.volumes = [];
  const volumes = spec.volumes;
  const existing = objects(volumes).find((v) => typeof v.name === 'string' && v.name.startsWith(SERVICE_ACCOUNT_VOLUME_PREFIX));
  const volumeName = existing?.name ?? SERVICE_ACCOUNT_VOLUME_PREFIX + randomSuffix();
  let needsVolume = false;
  for (const c of [...objects(spec.initContainers), ...objects(spec.containers)]) {
    if (!Array.isArray(c.volumeMounts)) c.volumeMounts = [];
    const mounts = c.volumeMounts;
    if (objects(mounts).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
    const mount: VolumeMount = { name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH };
    mounts.push(mount);
    needsVolume = true;
  }
  if (!existing && needsVolume) volumes.push(apiAccessVolume(volumeName));
  if (volumes.length === 0) delete spec.volumes;
}
