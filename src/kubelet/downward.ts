// The downward API: pod fields and container resources exposed to the pod itself, through
// environment variables (`fieldRef`, `resourceFieldRef`) and downwardAPI volume files.

import { cpus, totalmem } from 'node:os';
import type { Pod } from '../api/types.js';

export interface PodAddresses {
  podIPs: string[];
  hostIPs: string[];
}

export class DownwardApiError extends Error {}

/** The value of an env `fieldRef`; volumes may also ask for all labels or annotations. */
export function podFieldValue(pod: Pod, fieldPath: string, addresses: PodAddresses, forVolume = false): string {
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (keyed) {
    const map = keyed[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[keyed[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP':
      return addresses.hostIPs[0] ?? '';
    case 'status.hostIPs':
      return addresses.hostIPs.join(',');
    case 'status.podIP':
      return addresses.podIPs[0] ?? '';
    case 'status.podIPs':
      return addresses.podIPs.join(',');
  }
  if (forVolume && (fieldPath === 'metadata.labels' || fieldPath === 'metadata.annotations')) {
    const map = (fieldPath === 'metadata.labels' ? pod.metadata.labels : pod.metadata.annotations) ?? {};
    return Object.keys(map)
      .sort()
      .map((k) => `${k}=${JSON.stringify(map[k])}`)
      .join('\n');
  }
  throw new DownwardApiError(`unsupported fieldPath: ${fieldPath}`);
}

/** The value of a `resourceFieldRef`: a container's request or limit divided by `divisor`, rounded up. */
export function containerResourceValue(pod: Pod, containerName: string, resource: string, divisor?: string | number): string {
  const container = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === containerName);
  if (!container) throw new DownwardApiError(`container ${containerName} not found`);
  const [kind, name] = resource.split('.', 2) as [string, string];
  if ((kind !== 'limits' && kind !== 'requests') || !name) throw new DownwardApiError(`unsupported container resource : ${resource}`);
  const declared = container.resources?.[kind]?.[name];
  let amount: number;
  if (declared !== undefined) amount = quantityValue(declared);
  else if (kind === 'limits') amount = nodeAllocatable(name);
  else amount = kind === 'requests' && container.resources?.limits?.[name] !== undefined ? quantityValue(container.resources.limits[name]!) : 0;
  const unit = divisor === undefined || divisor === '' || divisor === 0 ? 1 : quantityValue(divisor);
  return String(Math.ceil(amount / unit - 1e-9));
}

function nodeAllocatable(resource: string): number {
  if (resource === 'cpu') return cpus().length;
  if (resource === 'memory') return totalmem();
  return 0;
}

const SUFFIXES: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A resource quantity (`500m`, `128Mi`, `1e3`) as a plain number. */
export function quantityValue(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m || !(m[2]! in SUFFIXES)) throw new DownwardApiError(`unable to parse quantity ${JSON.stringify(q)}`);
  return Number(m[1]) * SUFFIXES[m[2]!]!;
}
