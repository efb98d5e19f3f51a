// The scheduling framework: plugin interfaces (PreFilter, Filter, PreScore/Score/Normalize), the
// cycle state they share, the runner that applies them in upstream's order and weights, and the
// FitError message users read in FailedScheduling events.

import type { LabelSelector } from '../api/selectors.js';
import type { Pod } from '../api/types.js';
import type { NodeInfo } from './nodeinfo.js';
import type { PodInfo } from './podinfo.js';

export const MAX_NODE_SCORE = 100;

export type Code = 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Status {
  code: Code;
  reasons: string[];
  plugin?: string;
}

export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

/** What plugins may read about the cluster: the scheduler cache and listers (framework.Handle). */
export interface Handle {
  /** Every node with a Node object, in a stable order. */
  nodeInfos(): NodeInfo[];
  nodeInfo(name: string): NodeInfo | undefined;
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  namespaces(): { name: string; labels: Record<string, string> }[];
  /** Size of the image and how many nodes hold it. */
  imageState(name: string): { size: number; numNodes: number } | undefined;
  /** The selector of the Services and controller that own the pod (helper.DefaultSelector). */
  defaultSelector(pod: Pod): LabelSelector;
}

/** Per-plugin data for one scheduling cycle; cloned for preemption's what-if evaluation. */
export interface StateData {
  clone(): StateData;
}

export class CycleState {
  private readonly data = new Map<string, StateData>();
  read<T extends StateData>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: StateData): void {
    this.data.set(key, value);
  }
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, v.clone());
    return c;
  }
}

export interface Plugin {
  readonly name: string;
}

export interface PreFilterResult {
  status?: Status;
  /** Restricts the nodes that need filtering (NodeAffinity with matchFields metadata.name). */
  nodeNames?: Set<string>;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): PreFilterResult | undefined;
  /** Keep the PreFilter state right when a pod is added to a node in a what-if (nominated pods, preemption). */
  addPod?(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): void;
  removePod?(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): void;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined;
}

export interface NodeScore {
  name: string;
  score: number;
}

export interface ScorePlugin extends Plugin {
  readonly weight: number;
  /** Returns false to skip the plugin for this pod (framework.Skip). */
  preScore?(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): boolean;
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  normalize?(state: CycleState, pod: PodInfo, scores: NodeScore[]): void;
}

/** Why each node was rejected (framework.Diagnosis). */
export class Diagnosis {
  readonly statuses = new Map<string, Status>();
  /** The status of nodes never evaluated (PreFilter failure or nodes outside a PreFilterResult). */
  absent: Status | undefined;
  preFilterMsg = '';
  postFilterMsg = '';
  readonly unschedulablePlugins = new Set<string>();

  record(node: string, status: Status): void {
    this.statuses.set(node, status);
    if (status.plugin) this.unschedulablePlugins.add(status.plugin);
  }
}

/** FitError.Error(): `0/3 nodes are available: 1 Insufficient cpu, 2 ... . preemption: ...`. */
export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const histogram = reasonHistogram(numAllNodes, d);
    if (histogram.length) msg += ` ${histogram.join(', ')}.`;
  }
  // The PostFilter message carries its own final period.
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}`;
  return msg;
}

function reasonHistogram(numAllNodes: number, d: Diagnosis): string[] {
  const counts = new Map<string, number>();
  for (const s of d.statuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  if (d.absent && d.statuses.size < numAllNodes) {
    for (const r of d.absent.reasons) counts.set(r, (counts.get(r) ?? 0) + numAllNodes - d.statuses.size);
  }
  // Go's sort.Strings: byte order.
  return [...counts].map(([r, n]) => `${n} ${r}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface NominatedPods {
  /** Pods nominated to the node (not yet bound), whatever their priority. */
  nominatedFor(node: string): PodInfo[];
}

export class Framework {
  private readonly scorePlugins: ScorePlugin[];

  constructor(
    readonly preFilterPlugins: PreFilterPlugin[],
    readonly filterPlugins: FilterPlugin[],
    scorePlugins: ScorePlugin[],
  ) {
    this.scorePlugins = scorePlugins;
  }

  runPreFilters(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): { status?: Status; nodeNames?: Set<string>; pluginsWithNodes: string[] } {
    let nodeNames: Set<string> | undefined;
    const pluginsWithNodes: string[] = [];
    let deferred: Status | undefined;
    for (const p of this.preFilterPlugins) {
      const r = p.preFilter(state, pod, nodes);
      if (r?.status) {
        const status = { ...r.status, plugin: p.name };
        // Unresolvable ends PreFilter at once; Unschedulable lets the others run (preemption needs their state).
        if (status.code === 'UnschedulableAndUnresolvable') return { status, pluginsWithNodes };
        deferred ??= status;
        continue;
      }
      if (r?.nodeNames) {
        pluginsWithNodes.push(p.name);
        nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => r.nodeNames!.has(n))) : new Set(r.nodeNames);
        if (nodeNames.size === 0) {
          const msg = pluginsWithNodes.length === 1 ? `node(s) didn't satisfy plugin ${pluginsWithNodes[0]}` : `node(s) didn't satisfy plugin(s) [${pluginsWithNodes.join(' ')}] simultaneously`;
          return { status: { code: 'UnschedulableAndUnresolvable', reasons: [msg], plugin: p.name }, nodeNames, pluginsWithNodes };
        }
      }
    }
    return { status: deferred, nodeNames, pluginsWithNodes };
  }

  /** Runs the filters in order; the first failure is the node's status (RunFilterPlugins). */
  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    for (const p of this.filterPlugins) {
      const s = p.filter(state, pod, node);
      if (s) return { ...s, plugin: p.name };
    }
    return undefined;
  }

  /**
   * RunFilterPluginsWithNominatedPods: when pods of equal or higher priority are nominated to the
   * node, the pod must fit both with them (as if they were running) and without them (anti-affinity
   * to a nominated pod must not be satisfied by a pod that may never come).
   */
  runFiltersWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo, nominator: NominatedPods | undefined): Status | undefined {
    const nominated = nominator?.nominatedFor(node.name).filter((p) => p.key !== pod.key && p.priority >= pod.priority) ?? [];
    if (nominated.length) {
      const withState = state.clone();
      const withNode = node.clone();
      for (const n of nominated) {
        withNode.addPod(n);
        this.addPod(withState, pod, n, withNode);
      }
      const s = this.runFilters(withState, pod, withNode);
      if (s) return s;
    }
    return this.runFilters(state, pod, node);
  }

  addPod(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): void {
    for (const p of this.preFilterPlugins) p.addPod?.(state, pod, added, node);
  }

  removePod(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): void {
    for (const p of this.preFilterPlugins) p.removePod?.(state, pod, removed, node);
  }

  /** Weighted sum of every score plugin's normalized score, per node. */
  runScores(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): NodeScore[] {
    const totals = nodes.map((n) => ({ name: n.name, score: 0 }));
    for (const p of this.scorePlugins) {
      if (p.preScore && !p.preScore(state, pod, nodes)) continue;
      const scores = nodes.map((n) => ({ name: n.name, score: p.score(state, pod, n) }));
      p.normalize?.(state, pod, scores);
      for (let i = 0; i < scores.length; i++) totals[i]!.score += scores[i]!.score * p.weight;
    }
    return totals;
  }
}

/** helper.DefaultNormalizeScore: scale to 0..100 by the maximum, optionally reversed. */
export function defaultNormalize(scores: NodeScore[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = MAX_NODE_SCORE;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((MAX_NODE_SCORE * s.score) / max);
    if (reverse) v = MAX_NODE_SCORE - v;
    s.score = v;
  }
}
