// NodeAffinity: spec.nodeSelector and required node affinity (matchExpressions on labels,
// matchFields on metadata.name) filter nodes; preferred terms add their weights (weight 2).

import type { Node, Pod } from '../../api/types.js';
import { defaultNormalize, unresolvable, type FilterPlugin, type PreFilterPlugin, type ScorePlugin } from '../framework.js';

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}
interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
  preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; preference: NodeSelectorTerm }[];
}

function nodeAffinityOf(pod: Pod): NodeAffinity | undefined {
  return (pod.spec.affinity as { nodeAffinity?: NodeAffinity } | undefined)?.nodeAffinity;
}

const INTEGER = /^[+-]?\d+$/;

function requirementMatches(r: NodeSelectorRequirement, has: boolean, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value!);
    case 'NotIn':
      return !has || !values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1 || !INTEGER.test(value!) || !INTEGER.test(values[0]!)) return false;
      const a = BigInt(value!);
      const b = BigInt(values[0]!);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** A term with no requirements matches nothing; requirements are ANDed. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = node.metadata.labels ?? {};
  for (const r of exprs) if (!requirementMatches(r, Object.prototype.hasOwnProperty.call(labels, r.key), labels[r.key])) return false;
  for (const r of fields) {
    if (r.key !== 'metadata.name' || (r.operator !== 'In' && r.operator !== 'NotIn')) return false;
    if (!requirementMatches(r, true, node.metadata.name)) return false;
  }
  return true;
}

/** nodeSelector and required node affinity together (RequiredNodeAffinity.Match). */
export function requiredNodeAffinityMatches(pod: Pod, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = nodeAffinityOf(pod)?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((t) => nodeSelectorTermMatches(t, node));
}

/** PreFilter: when every required term names nodes by metadata.name, only those nodes need filtering. */
function nodeNamesFromAffinity(pod: Pod): Set<string> | undefined | null {
  const terms = nodeAffinityOf(pod)?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms?.length) return undefined;
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      const s = new Set(r.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
    }
    if (!termNames) return undefined;
    names = new Set([...(names ?? []), ...termNames]);
  }
  return names && names.size === 0 ? null : names;
}

export const nodeAffinity: PreFilterPlugin & FilterPlugin & ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  preFilter(_state, pod) {
    const names = nodeNamesFromAffinity(pod.pod);
    if (names === null) return { status: unresolvable(ERR_REASON_CONFLICT) };
    return names ? { nodeNames: names } : undefined;
  },
  filter(_state, pod, node) {
    return node.node && requiredNodeAffinityMatches(pod.pod, node.node) ? undefined : unresolvable(ERR_REASON_POD);
  },
  preScore(_state, pod) {
    return !!nodeAffinityOf(pod.pod)?.preferredDuringSchedulingIgnoredDuringExecution?.length;
  },
  score(_state, pod, node) {
    let score = 0;
    for (const p of nodeAffinityOf(pod.pod)?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (p.weight !== 0 && node.node && nodeSelectorTermMatches(p.preference, node.node)) score += p.weight;
    }
    return score;
  },
  normalize(_state, _pod, scores) {
    defaultNormalize(scores, false);
  },
};
