// PodTopologySpread: DoNotSchedule constraints bound the skew between topology domains (Filter);
// ScheduleAnyway constraints, or the cluster default (hostname skew 3, zone skew 5 over the pods of
// the same Services and controller), prefer the emptier domains (Score, weight 2).

import type { Pod } from '../../api/types.js';
import type { LabelSelector, LabelSelectorSpec } from '../../api/selectors.js';
import { formatLabelSelector, labelSelectorFromSpec } from '../../api/selectors.js';
import {
  MAX_NODE_SCORE,
  unresolvable,
  unschedulable,
  type FilterPlugin,
  type Handle,
  type NodeScore,
  type PreFilterPlugin,
  type ScorePlugin,
  type StateData,
} from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';
import type { PodInfo } from '../podinfo.js';
import { requiredNodeAffinityMatches } from './nodeaffinity.js';
import { findUntoleratedTaint } from './tainttoleration.js';

export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const HOSTNAME = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const PRE_FILTER_KEY = 'PreFilterPodTopologySpread';
const PRE_SCORE_KEY = 'PreScorePodTopologySpread';

export interface Constraint {
  /** The selector in text form: identifies the constraint's per-node counts. */
  key: string;
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  minDomains: number;
  nodeAffinityPolicy: 'Honor' | 'Ignore';
  nodeTaintsPolicy: 'Honor' | 'Ignore';
}

interface V1Constraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  labelSelector?: LabelSelectorSpec | null;
  minDomains?: number;
  nodeAffinityPolicy?: 'Honor' | 'Ignore';
  nodeTaintsPolicy?: 'Honor' | 'Ignore';
  matchLabelKeys?: string[];
}

function withMatchLabels(base: LabelSelector, extra: Record<string, string>): LabelSelector {
  const keys = Object.entries(extra);
  if (!keys.length) return base;
  return {
    requirements: [...base.requirements, ...keys.map(([key, v]) => ({ key, op: '=' as const, values: [v] }))],
    empty: false,
    matches: (labels) => base.matches(labels) && keys.every(([k, v]) => labels?.[k] === v),
  };
}

/** The pod's constraints of one kind; matchLabelKeys add the pod's own values to the selector. */
export function constraintsOf(pod: Pod, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const out: Constraint[] = [];
  for (const c of (pod.spec.topologySpreadConstraints as V1Constraint[] | undefined) ?? []) {
    if (c.whenUnsatisfiable !== when) continue;
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromSpec(c.labelSelector);
    } catch {
      continue;
    }
    const extra: Record<string, string> = {};
    for (const k of c.matchLabelKeys ?? []) {
      const v = pod.metadata.labels?.[k];
      if (v !== undefined) extra[k] = v;
    }
    const merged = withMatchLabels(selector, extra);
    out.push({
      key: formatLabelSelector(merged),
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector: merged,
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy ?? 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy ?? 'Ignore',
    });
  }
  return out;
}

function hasAllKeys(labels: Record<string, string>, constraints: Constraint[]): boolean {
  return constraints.every((c) => Object.prototype.hasOwnProperty.call(labels, c.topologyKey));
}

function includesNode(c: Constraint, pod: Pod, node: NodeInfo): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !requiredNodeAffinityMatches(pod, node.node!)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedTaint(node.taints, pod.spec.tolerations)) return false;
  return true;
}

function matchesSelector(c: Constraint, existing: PodInfo, namespace: string | undefined): boolean {
  const p = existing.pod;
  return !p.metadata.deletionTimestamp && p.metadata.namespace === namespace && c.selector.matches(p.metadata.labels ?? {});
}

function countMatching(c: Constraint, node: NodeInfo, namespace: string | undefined): number {
  return node.memoized(`PodTopologySpread\u0000${namespace}\u0000${c.key}`, () => {
    let n = 0;
    for (const pi of node.pods.values()) if (matchesSelector(c, pi, namespace)) n++;
    return n;
  });
}

class PreFilterState implements StateData {
  private minCache: (number | undefined)[];
  constructor(
    readonly constraints: Constraint[],
    readonly counts: Map<string, number>[],
  ) {
    this.minCache = constraints.map(() => undefined);
  }
  clone(): PreFilterState {
    return new PreFilterState(this.constraints, this.counts.map((m) => new Map(m)));
  }
  add(i: number, value: string, delta: number): void {
    const m = this.counts[i]!;
    m.set(value, (m.get(value) ?? 0) + delta);
    this.minCache[i] = undefined;
  }
  minMatch(i: number): number {
    const c = this.constraints[i]!;
    const m = this.counts[i]!;
    if (m.size < c.minDomains) return 0;
    let min = this.minCache[i];
    if (min === undefined) {
      min = Infinity;
      for (const v of m.values()) if (v < min) min = v;
      this.minCache[i] = min;
    }
    return min;
  }
}

class PreScoreState implements StateData {
  constructor(
    readonly constraints: Constraint[],
    readonly ignored: Set<string>,
    readonly counts: Map<string, number>[],
    readonly weights: number[],
  ) {}
  clone(): PreScoreState {
    return this;
  }
}

export function podTopologySpread(handle: Handle): PreFilterPlugin & FilterPlugin & ScorePlugin {
  function update(s: PreFilterState, pod: PodInfo, existing: PodInfo, node: NodeInfo, delta: number): void {
    if (!node.node || !hasAllKeys(node.labels, s.constraints)) return;
    s.constraints.forEach((c, i) => {
      if (!includesNode(c, pod.pod, node)) return;
      if (!matchesSelector(c, existing, pod.pod.metadata.namespace)) return;
      s.add(i, node.labels[c.topologyKey]!, delta);
    });
  }

  /** The soft constraints: the pod's ScheduleAnyway ones, else the system defaults. */
  function scoringConstraints(pod: Pod): { constraints: Constraint[]; requireAll: boolean } {
    if ((pod.spec.topologySpreadConstraints as unknown[] | undefined)?.length) return { constraints: constraintsOf(pod, 'ScheduleAnyway'), requireAll: true };
    const selector = handle.defaultSelector(pod);
    if (selector.empty) return { constraints: [], requireAll: false };
    const base = { key: formatLabelSelector(selector), selector, minDomains: 1, nodeAffinityPolicy: 'Honor' as const, nodeTaintsPolicy: 'Ignore' as const };
    return { constraints: [{ ...base, topologyKey: HOSTNAME, maxSkew: 3 }, { ...base, topologyKey: ZONE, maxSkew: 5 }], requireAll: false };
  }

  return {
    name: 'PodTopologySpread',
    weight: 2,
    preFilter(state, pod) {
      const constraints = constraintsOf(pod.pod, 'DoNotSchedule');
      if (!constraints.length) return undefined;
      const s = new PreFilterState(constraints, constraints.map(() => new Map()));
      for (const node of handle.nodeInfos()) {
        if (!hasAllKeys(node.labels, constraints)) continue;
        constraints.forEach((c, i) => {
          if (!includesNode(c, pod.pod, node)) return;
          s.add(i, node.labels[c.topologyKey]!, countMatching(c, node, pod.pod.metadata.namespace));
        });
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
      const labels = pod.pod.metadata.labels ?? {};
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i]!;
        const value = node.labels[c.topologyKey];
        if (value === undefined) return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
        const self = c.selector.matches(labels) ? 1 : 0;
        const skew = (s.counts[i]!.get(value) ?? 0) + self - s.minMatch(i);
        if (skew > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
      }
      return undefined;
    },
    preScore(state, pod, nodes) {
      const { constraints, requireAll } = scoringConstraints(pod.pod);
      if (!constraints.length) return false;
      const ignored = new Set<string>();
      const counts = constraints.map(() => new Map<string, number>());
      for (const node of nodes) {
        if (requireAll && !hasAllKeys(node.labels, constraints)) {
          ignored.add(node.name);
          continue;
        }
        constraints.forEach((c, i) => {
          if (c.topologyKey === HOSTNAME) return;
          const value = node.labels[c.topologyKey] ?? '';
          if (!counts[i]!.has(value)) counts[i]!.set(value, 0);
        });
      }
      const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? nodes.length - ignored.size : counts[i]!.size) + 2));
      for (const node of handle.nodeInfos()) {
        if (requireAll && !hasAllKeys(node.labels, constraints)) continue;
        constraints.forEach((c, i) => {
          if (!includesNode(c, pod.pod, node)) return;
          const value = node.labels[c.topologyKey] ?? '';
          const current = counts[i]!.get(value);
          if (current === undefined) return;
          counts[i]!.set(value, current + countMatching(c, node, pod.pod.metadata.namespace));
        });
      }
      state.write(PRE_SCORE_KEY, new PreScoreState(constraints, ignored, counts, weights));
      return true;
    },
    score(state, pod, node) {
      const s = state.read<PreScoreState>(PRE_SCORE_KEY);
      if (!s || s.ignored.has(node.name)) return 0;
      let score = 0;
      s.constraints.forEach((c, i) => {
        const value = node.labels[c.topologyKey];
        if (value === undefined) return;
        const count = c.topologyKey === HOSTNAME ? countMatching(c, node, pod.pod.metadata.namespace) : s.counts[i]!.get(value) ?? 0;
        score += count * s.weights[i]! + (c.maxSkew - 1);
      });
      return Math.round(score);
    },
    normalize(state, _pod, scores: NodeScore[]) {
      const s = state.read<PreScoreState>(PRE_SCORE_KEY);
      if (!s) return;
      let min = Infinity;
      let max = 0;
      for (const sc of scores) {
        if (s.ignored.has(sc.name)) continue;
        if (sc.score < min) min = sc.score;
        if (sc.score > max) max = sc.score;
      }
      for (const sc of scores) {
        if (s.ignored.has(sc.name)) sc.score = 0;
        else if (max === 0) sc.score = MAX_NODE_SCORE;
        else sc.score = Math.trunc((MAX_NODE_SCORE * (max + min - sc.score)) / max);
      }
    },
  };
}
