// The objects a pod makes its node read: its service account, and the secrets, config maps and
// claims named by its volumes, environment and image pull secrets.

import type { Pod } from '../../api/types.js';

export interface PodReferences {
  /** Absent for pods admission gave no account (mirror pods). */
  serviceAccount?: string;
  secrets: Set<string>;
  configMaps: Set<string>;
  claims: Set<string>;
}

type Rec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function each(list: unknown): Rec[] {
  return Array.isArray(list) ? list.filter((x): x is Rec => typeof x === 'object' && x !== null) : [];
}

function add(set: Set<string>, name: unknown): void {
  if (typeof name === 'string' && name) set.add(name);
}

export function podReferences(pod: Pod): PodReferences {
  const spec = (pod.spec ?? {}) as Rec;
  const refs: PodReferences = {
    ...(typeof spec.serviceAccountName === 'string' && spec.serviceAccountName ? { serviceAccount: spec.serviceAccountName } : {}),
    secrets: new Set(),
    configMaps: new Set(),
    claims: new Set(),
  };
  for (const s of each(spec.imagePullSecrets)) add(refs.secrets, s.name);
  for (const c of [...each(spec.initContainers), ...each(spec.containers), ...each(spec.ephemeralContainers)]) {
    for (const from of each(c.envFrom)) {
      add(refs.secrets, from.secretRef?.name);
      add(refs.configMaps, from.configMapRef?.name);
    }
    for (const env of each(c.env)) {
      add(refs.secrets, env.valueFrom?.secretKeyRef?.name);
      add(refs.configMaps, env.valueFrom?.configMapKeyRef?.name);
    }
  }
  for (const v of each(spec.volumes)) {
    add(refs.secrets, v.secret?.secretName);
    add(refs.configMaps, v.configMap?.name);
    add(refs.claims, v.persistentVolumeClaim?.claimName);
    if (v.ephemeral) add(refs.claims, `${pod.metadata.name}-${v.name}`);
    for (const source of each(v.projected?.sources)) {
      add(refs.secrets, source.secret?.name);
      add(refs.configMaps, source.configMap?.name);
    }
    // Volume plugins that read a secret for their credentials.
    for (const plugin of Object.values(v)) {
      if (plugin && typeof plugin === 'object' && 'secretRef' in plugin) add(refs.secrets, (plugin as Rec).secretRef?.name);
    }
  }
  return refs;
}
