// One pod's scheduling decision (schedule_one.go's schedulePod): PreFilter, the nominated node
// first, Filter over a rotating window of nodes (adaptive percentageOfNodesToScore), then Score
// and a random pick among the best. Pure over the cache: binding and reporting are the caller's.

import { CycleState, Diagnosis, type Framework, type NodeScore } from './framework.js';
import type { SchedulerCache } from './cache.js';
import type { NodeInfo } from './nodeinfo.js';
import type { Nominator } from './nominator.js';
import type { PodInfo } from './podinfo.js';

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
const BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50;

/** numFeasibleNodesToFind with the adaptive percentageOfNodesToScore. */
export function numFeasibleNodesToFind(numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  const percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, BASE_PERCENTAGE_OF_NODES_TO_SCORE - Math.trunc(numAllNodes / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.trunc((numAllNodes * percentage) / 100));
}

export interface ScheduleResult {
  /** The chosen node, when one fits. */
  host?: string;
  state: CycleState;
  diagnosis: Diagnosis;
  numAllNodes: number;
}

export class SchedulingAlgorithm {
  private nextStartNodeIndex = 0;

  constructor(
    private readonly framework: Framework,
    private readonly cache: SchedulerCache,
    private readonly nominator: Nominator,
    private readonly random: () => number = Math.random,
  ) {}

  schedulePod(pi: PodInfo): ScheduleResult {
    const nodes = this.cache.nodeInfos();
    const state = new CycleState();
    const diagnosis = new Diagnosis();
    const feasible = this.findFeasible(state, pi, nodes, diagnosis);
    const result: ScheduleResult = { state, diagnosis, numAllNodes: nodes.length };
    if (feasible.length === 1) result.host = feasible[0]!.name;
    else if (feasible.length > 1) result.host = this.selectHost(this.framework.runScores(state, pi, feasible));
    return result;
  }

  private findFeasible(state: CycleState, pi: PodInfo, nodes: NodeInfo[], diagnosis: Diagnosis): NodeInfo[] {
    const pre = this.framework.runPreFilters(state, pi, nodes);
    if (pre.status) {
      diagnosis.absent = pre.status;
      diagnosis.preFilterMsg = pre.status.reasons.join(', ');
      if (pre.status.plugin) diagnosis.unschedulablePlugins.add(pre.status.plugin);
      return [];
    }
    // A node nominated by an earlier preemption is tried first.
    const nominated = pi.pod.status?.nominatedNodeName;
    if (nominated) {
      const info = this.cache.nodeInfo(nominated);
      if (info && (!pre.nodeNames || pre.nodeNames.has(nominated)) && !this.framework.runFiltersWithNominatedPods(state, pi, info, this.nominator)) return [info];
    }
    let candidates = nodes;
    if (pre.nodeNames) {
      candidates = nodes.filter((n) => pre.nodeNames!.has(n.name));
      diagnosis.absent = { code: 'UnschedulableAndUnresolvable', reasons: [`node(s) didn't satisfy plugin(s) [${[...pre.pluginsWithNodes].sort().join(' ')}]`] };
      pre.pluginsWithNodes.forEach((p) => diagnosis.unschedulablePlugins.add(p));
    }
    if (!candidates.length) return [];
    const want = numFeasibleNodesToFind(candidates.length);
    const feasible: NodeInfo[] = [];
    let processed = 0;
    const start = candidates === nodes ? this.nextStartNodeIndex % candidates.length : 0;
    for (let i = 0; i < candidates.length && feasible.length < want; i++) {
      const node = candidates[(start + i) % candidates.length]!;
      processed++;
      const s = this.framework.runFiltersWithNominatedPods(state, pi, node, this.nominator);
      if (s) diagnosis.record(node.name, s);
      else feasible.push(node);
    }
    if (nodes.length) this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % nodes.length;
    return feasible;
  }

  /** selectHost: the highest total score, ties broken at random (reservoir sampling). */
  private selectHost(scores: NodeScore[]): string {
    let best = scores[0]!;
    let ties = 1;
    for (let i = 1; i < scores.length; i++) {
      const s = scores[i]!;
      if (s.score > best.score) {
        best = s;
        ties = 1;
      } else if (s.score === best.score) {
        ties++;
        if (this.random() * ties < 1) best = s;
      }
    }
    return best.name;
  }
}
