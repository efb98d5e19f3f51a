// Daemon pods as the controller sees them: which are up to date, the order among several on one
// node, and the template a new one is made from.

import type { Pod } from '../../api/types.js';
import type { DaemonSet, PodTemplateSpec } from '../shared/types.js';
import { daemonTolerations } from './node-fit.js';
import { REVISION_HASH } from './history.js';

export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** The template generation the API server keeps in an annotation of apps/v1 DaemonSets, if any. */
export function templateGeneration(ds: DaemonSet): string | undefined {
  return ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
}

/** util.IsPodUpdated: the pod carries the current revision hash (or template generation). */
export function isPodUpdated(pod: Pod, hash: string, generation: string | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  return (hash !== '' && labels[REVISION_HASH] === hash) || (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation);
}

/** podByCreationTimestampAndPhase: scheduled pods first, then the oldest, then by name. */
export function byCreationAndScheduling(a: Pod, b: Pod): number {
  const sa = a.spec.nodeName ? 0 : 1;
  const sb = b.spec.nodeName ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  return ta - tb || a.metadata.name!.localeCompare(b.metadata.name!);
}

/** util.CreatePodTemplate: the daemon tolerations, the template generation and revision hash labels. */
export function daemonPodTemplate(ds: DaemonSet, hash: string): PodTemplateSpec {
  const t = structuredClone(ds.spec.template);
  t.spec.tolerations = daemonTolerations(t.spec);
  const labels = { ...(t.metadata?.labels ?? {}) };
  const generation = templateGeneration(ds);
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = generation;
  if (hash) labels[REVISION_HASH] = hash;
  t.metadata = { ...(t.metadata ?? {}), labels };
  return t;
}
