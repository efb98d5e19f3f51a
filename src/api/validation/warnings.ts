// Warnings a create or update answers with (the `Warning: …` lines kubectl prints), for pods and
// the pod templates inside workloads (pkg/api/pod warnings).

import type { KubeObject, PodSpec } from '../types.js';
import { isObject, rec, type Rec } from './field.js';
import { isDNS1123Label } from './strings.js';


function podSpecWarnings(spec: PodSpec | undefined, path: string): string[] {
  const out: string[] = [];
  const grace = spec?.terminationGracePeriodSeconds;
  if (typeof grace === 'number' && grace < 0) {
    out.push(`${path}.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1`);
  }
  return out;
}

export function podWarnings(pod: KubeObject): string[] {
  const out: string[] = [];
  const name = isObject(pod.metadata) && typeof pod.metadata.name === 'string' ? pod.metadata.name : '';
  const nameProblems = name ? isDNS1123Label(name) : [];
  if (nameProblems.length) {
    out.push(`metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [${nameProblems.join(' ')}]`);
  }
  return out.concat(podSpecWarnings(pod.spec as PodSpec | undefined, 'spec'));
}

/** Warnings for the pod template of a Deployment, ReplicaSet, DaemonSet or Job. */
export function templateWarnings(obj: KubeObject): string[] {
  return podSpecWarnings(rec(rec(obj.spec).template).spec as PodSpec | undefined, 'spec.template.spec');
}

export function cronJobWarnings(obj: KubeObject): string[] {
  const spec = rec(rec(rec(rec(obj.spec).jobTemplate).spec).template).spec;
  return podSpecWarnings(spec as PodSpec | undefined, 'spec.jobTemplate.spec.template.spec');
}
