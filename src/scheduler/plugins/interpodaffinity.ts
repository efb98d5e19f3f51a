// InterPodAffinity: required pod affinity / anti-affinity of the incoming pod, and the required
// anti-affinity of the pods already running, per topology domain (Filter); preferred terms of both
// sides plus the existing pods' required affinity (hard weight 1) as a score (weight 2).

import {
  MAX_NODE_SCORE,
  unresolvable,
  unschedulable,
  type CycleState,
  type FilterPlugin,
  type Handle,
  type PreFilterPlugin,
  type ScorePlugin,
  type StateData,
} from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';
import { termMatches, type AffinityTerm, type PodInfo, type WeightedAffinityTerm } from '../podinfo.js';

export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

const HARD_POD_AFFINITY_WEIGHT = 1;
const PRE_FILTER_KEY = 'PreFilterInterPodAffinity';
const PRE_SCORE_KEY = 'PreScoreInterPodAffinity';

/** Counts per topology pair, keyed `key\u0000value`. */
class TopologyCounts {
  readonly m = new Map<string, number>();
  add(node: NodeInfo, topologyKey: string, delta: number): void {
    const value = node.labels[topologyKey];
    if (value === undefined) return;
    const k = `${topologyKey}\u0000${value}`;
    const n = (this.m.get(k) ?? 0) + delta;
    if (n === 0) this.m.delete(k);
    else this.m.set(k, n);
  }
  get(topologyKey: string, value: string): number {
    return this.m.get(`${topologyKey}\u0000${value}`) ?? 0;
  }
  clone(): TopologyCounts {
    const c = new TopologyCounts();
    for (const [k, v] of this.m) c.m.set(k, v);
    return c;
  }
}

class PreFilterState implements StateData {
  existingAntiAffinity = new TopologyCounts();
  affinity = new TopologyCounts();
  antiAffinity = new TopologyCounts();
  clone(): PreFilterState {
    const c = new PreFilterState();
    c.existingAntiAffinity = this.existingAntiAffinity.clone();
    c.affinity = this.affinity.clone();
    c.antiAffinity = this.antiAffinity.clone();
    return c;
  }
}

class PreScoreState implements StateData {
  constructor(readonly scores: Map<string, Map<string, number>>) {}
  clone(): PreScoreState {
    return this;
  }
}

function matchesAll(terms: AffinityTerm[], pod: PodInfo, nsLabels: Record<string, string> | undefined): boolean {
  if (!terms.length) return false;
  return terms.every((t) => termMatches(t, pod.pod, nsLabels));
}

export function interPodAffinity(handle: Handle): PreFilterPlugin & FilterPlugin & ScorePlugin {
  const nsLabelsOf = (pi: PodInfo) => handle.namespaceLabels(pi.pod.metadata.namespace ?? 'default');

  /** Adds (or with -1 removes) what `existing` on `node` contributes to the incoming pod's counts. */
  function update(s: PreFilterState, pod: PodInfo, existing: PodInfo, node: NodeInfo, delta: number): void {
    if (existing.requiredAntiAffinity.length) {
      const podNs = nsLabelsOf(pod);
      for (const t of existing.requiredAntiAffinity) if (termMatches(t, pod.pod, podNs)) s.existingAntiAffinity.add(node, t.topologyKey, delta);
    }
    if (!pod.requiredAffinity.length && !pod.requiredAntiAffinity.length) return;
    const existingNs = nsLabelsOf(existing);
    if (matchesAll(pod.requiredAffinity, existing, existingNs)) for (const t of pod.requiredAffinity) s.affinity.add(node, t.topologyKey, delta);
    for (const t of pod.requiredAntiAffinity) if (termMatches(t, existing.pod, existingNs)) s.antiAffinity.add(node, t.topologyKey, delta);
  }

  function processTerms(
    scores: Map<string, Map<string, number>>,
    terms: WeightedAffinityTerm[] | AffinityTerm[],
    target: PodInfo,
    nsLabels: Record<string, string> | undefined,
    node: NodeInfo,
    sign: number,
    fixedWeight?: number,
  ): void {
    for (const t of terms) {
      if (!termMatches(t, target.pod, nsLabels)) continue;
      const value = node.labels[t.topologyKey];
      if (value === undefined) continue;
      const weight = fixedWeight ?? (t as WeightedAffinityTerm).weight;
      let byValue = scores.get(t.topologyKey);
      if (!byValue) scores.set(t.topologyKey, (byValue = new Map()));
      byValue.set(value, (byValue.get(value) ?? 0) + sign * weight);
    }
  }

  return {
    name: 'InterPodAffinity',
    weight: 2,
    preFilter(state, pod) {
      const s = new PreFilterState();
      const incomingTerms = pod.requiredAffinity.length > 0 || pod.requiredAntiAffinity.length > 0;
      for (const node of handle.nodeInfos()) {
        const pods = incomingTerms ? node.pods : node.podsWithRequiredAntiAffinity;
        for (const existing of pods.values()) update(s, pod, existing, node, 1);
      }
      state.write(PRE_FILTER_KEY, s);
      return undefined;
    },
    addPod(state, pod, added, node) {
      const s = state.read<PreFilterState>(PRE_FILTER_KEY);
      if (s) update(s, pod, added, node, 1);
    },
    removePod(state, pod, removed, node) {
      const s = state.read<PreFilterState>(PRE_FILTER_KEY);
      if (s) update(s, pod, removed, node, -1);
    },
    filter(state, pod, node) {
      const s = state.read<PreFilterState>(PRE_FILTER_KEY);
      if (!s) return undefined;
      const labels = node.labels;
      // Affinity: every term's topology must exist on the node and hold a matching pod, unless no pod
      // anywhere matches and the pod matches its own terms (the first of a group that attracts itself).
      if (pod.requiredAffinity.length) {
        let podsExist = true;
        for (const t of pod.requiredAffinity) {
          const value = labels[t.topologyKey];
          if (value === undefined) return unresolvable(ERR_REASON_AFFINITY);
          if (s.affinity.get(t.topologyKey, value) <= 0) podsExist = false;
        }
        if (!podsExist && !(s.affinity.m.size === 0 && matchesAll(pod.requiredAffinity, pod, nsLabelsOf(pod)))) return unresolvable(ERR_REASON_AFFINITY);
      }
      for (const t of pod.requiredAntiAffinity) {
        const value = labels[t.topologyKey];
        if (value !== undefined && s.antiAffinity.get(t.topologyKey, value) > 0) return unschedulable(ERR_REASON_ANTI_AFFINITY);
      }
      if (s.existingAntiAffinity.m.size) {
        for (const [k, v] of Object.entries(labels)) if (s.existingAntiAffinity.get(k, v) > 0) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
      }
      return undefined;
    },
    preScore(state, pod) {
      const hasPreferred = pod.preferredAffinity.length > 0 || pod.preferredAntiAffinity.length > 0;
      const scores = new Map<string, Map<string, number>>();
      const podNs = nsLabelsOf(pod);
      const nsCache = new Map<string, Record<string, string> | undefined>();
      const nsOf = (pi: PodInfo) => {
        const ns = pi.pod.metadata.namespace ?? 'default';
        if (!nsCache.has(ns)) nsCache.set(ns, handle.namespaceLabels(ns));
        return nsCache.get(ns);
      };
      for (const node of handle.nodeInfos()) {
        const pods = hasPreferred ? node.pods : node.podsWithAffinity;
        for (const existing of pods.values()) {
          if (pod.preferredAffinity.length) processTerms(scores, pod.preferredAffinity, existing, nsOf(existing), node, 1);
          if (pod.preferredAntiAffinity.length) processTerms(scores, pod.preferredAntiAffinity, existing, nsOf(existing), node, -1);
          if (existing.requiredAffinity.length) processTerms(scores, existing.requiredAffinity, pod, podNs, node, 1, HARD_POD_AFFINITY_WEIGHT);
          if (existing.preferredAffinity.length) processTerms(scores, existing.preferredAffinity, pod, podNs, node, 1);
          if (existing.preferredAntiAffinity.length) processTerms(scores, existing.preferredAntiAffinity, pod, podNs, node, -1);
        }
      }
      if (!scores.size) return false;
      state.write(PRE_SCORE_KEY, new PreScoreState(scores));
      return true;
    },
    score(state: CycleState, _pod, node) {
      const s = state.read<PreScoreState>(PRE_SCORE_KEY);
      if (!s) return 0;
      let score = 0;
      for (const [key, byValue] of s.scores) {
        const value = node.labels[key];
        if (value !== undefined) score += byValue.get(value) ?? 0;
      }
      return score;
    },
    normalize(_state, _pod, scores) {
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        if (s.score > max) max = s.score;
        if (s.score < min) min = s.score;
      }
      const diff = max - min;
      for (const s of scores) s.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((s.score - min) / diff)) : 0;
    },
  };
}
