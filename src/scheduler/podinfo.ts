// What the scheduler precomputes once per pod version: priority, requests, host ports and the
// parsed inter-pod affinity terms (framework.PodInfo upstream).

import type { Pod } from '../api/types.js';
import { labelSelectorFromSpec, type LabelSelector, type LabelSelectorSpec } from '../api/selectors.js';
import { podRequests, type Resource } from './resources.js';

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** A PodAffinityTerm with its selectors parsed (framework.AffinityTerm). */
export interface AffinityTerm {
  /** Namespaces named by the term (the pod's own when it names none and has no namespaceSelector). */
  namespaces: Set<string>;
  /** Matches namespaces by label; matches nothing when the term has no namespaceSelector. */
  namespaceSelector: LabelSelector;
  selector: LabelSelector;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface PodInfo {
  pod: Pod;
  /** namespace/name */
  key: string;
  priority: number;
  requests: Resource;
  nonZeroRequests: Resource;
  hostPorts: HostPort[];
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAntiAffinity: WeightedAffinityTerm[];
}

const NOTHING: LabelSelector = { requirements: [], matches: () => false, empty: true };

interface V1PodAffinityTerm {
  labelSelector?: LabelSelectorSpec | null;
  namespaces?: string[];
  namespaceSelector?: LabelSelectorSpec | null;
  topologyKey: string;
}
interface V1WeightedTerm {
  weight: number;
  podAffinityTerm: V1PodAffinityTerm;
}
interface V1PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: V1PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: V1WeightedTerm[];
}

function selector(spec: LabelSelectorSpec | null | undefined): LabelSelector {
  try {
    return labelSelectorFromSpec(spec);
  } catch {
    return NOTHING;
  }
}

function term(pod: Pod, t: V1PodAffinityTerm): AffinityTerm {
  const namespaces = new Set(t.namespaces ?? []);
  if (namespaces.size === 0 && !t.namespaceSelector) namespaces.add(pod.metadata.namespace ?? 'default');
  return { namespaces, namespaceSelector: t.namespaceSelector ? selector(t.namespaceSelector) : NOTHING, selector: selector(t.labelSelector), topologyKey: t.topologyKey };
}

/** Whether `pod` (in a namespace with `nsLabels`) is selected by the term. */
export function termMatches(t: AffinityTerm, pod: Pod, nsLabels: Record<string, string> | undefined): boolean {
  if (t.namespaces.has(pod.metadata.namespace ?? 'default') || t.namespaceSelector.matches(nsLabels ?? {})) {
    return t.selector.matches(pod.metadata.labels ?? {});
  }
  return false;
}

export function podPriority(pod: Pod): number {
  return pod.spec.priority ?? 0;
}

export function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol ?? 'TCP', port: p.hostPort });
    }
  }
  return out;
}

export function newPodInfo(pod: Pod): PodInfo {
  const affinity = pod.spec.affinity as { podAffinity?: V1PodAffinity; podAntiAffinity?: V1PodAffinity } | undefined;
  const aff = affinity?.podAffinity;
  const anti = affinity?.podAntiAffinity;
  return {
    pod,
    key: `${pod.metadata.namespace}/${pod.metadata.name}`,
    priority: podPriority(pod),
    requests: podRequests(pod, false),
    nonZeroRequests: podRequests(pod, true),
    hostPorts: hostPortsOf(pod),
    requiredAffinity: (aff?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => term(pod, t)),
    requiredAntiAffinity: (anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => term(pod, t)),
    preferredAffinity: (aff?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ ...term(pod, w.podAffinityTerm), weight: w.weight })),
    preferredAntiAffinity: (anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ ...term(pod, w.podAffinityTerm), weight: w.weight })),
  };
}

export function hasAffinityConstraints(pi: PodInfo): boolean {
  return pi.requiredAffinity.length > 0 || pi.requiredAntiAffinity.length > 0 || pi.preferredAffinity.length > 0 || pi.preferredAntiAffinity.length > 0;
}

/**
 * More important first (util.MoreImportantPod): higher priority, then the earlier start time.
 */
export function moreImportant(a: Pod, b: Pod): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return startTime(a) < startTime(b);
}

export function startTime(pod: Pod): number {
  const s = pod.status?.startTime ?? pod.metadata.creationTimestamp;
  return s ? Date.parse(s) : Number.MAX_SAFE_INTEGER;
}
