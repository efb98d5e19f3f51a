// DefaultPreemption (PostFilter): when no node fits, find the node where evicting the fewest,
// least important lower-priority pods makes room (respecting PodDisruptionBudgets where it can),
// nominate it, and evict the victims with a DisruptionTarget condition.

import type { KubeObject, Pod } from '../api/types.js';
import { labelSelectorFromSpec, type LabelSelectorSpec } from '../api/selectors.js';
import { CycleState, Diagnosis, fitErrorMessage, unresolvable, type Framework, type Status } from './framework.js';
import type { NodeInfo } from './nodeinfo.js';
import type { Nominator } from './nominator.js';
import { moreImportant, startTime, type PodInfo } from './podinfo.js';
import type { SchedulerCache } from './cache.js';

export interface PodDisruptionBudget extends KubeObject {
  spec?: { selector?: LabelSelectorSpec | null };
  status?: { disruptionsAllowed?: number; disruptedPods?: Record<string, string> };
}

export interface Candidate {
  node: string;
  victims: PodInfo[];
  numPDBViolations: number;
}

export interface PreemptionOutcome {
  /** The node nominated for the pod; '' clears a previous nomination; undefined leaves it. */
  nominatedNodeName?: string;
  /** The PostFilter message ('' when preemption succeeded). */
  message: string;
  candidate?: Candidate;
}

const MIN_CANDIDATE_NODES_PERCENTAGE = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE = 100;

function terminatingByPreemption(p: Pod): boolean {
  if (!p.metadata.deletionTimestamp) return false;
  const c = p.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
  return c?.status === 'True' && c.reason === 'PreemptionByScheduler';
}

export class DefaultPreemption {
  constructor(
    private readonly framework: Framework,
    private readonly cache: SchedulerCache,
    private readonly nominator: Nominator,
    private readonly pdbs: () => PodDisruptionBudget[],
  ) {}

  /** PodEligibleToPreemptOthers: the reason a pod may not preempt, if any. */
  ineligibility(pod: PodInfo, nominatedStatus: Status | undefined): string | undefined {
    if (pod.pod.spec.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated) {
      if (nominatedStatus?.code === 'UnschedulableAndUnresolvable') return undefined;
      const info = this.cache.nodeInfo(nominated);
      for (const p of info?.pods.values() ?? []) {
        if (p.priority < pod.priority && terminatingByPreemption(p.pod)) return 'not eligible due to a terminating pod on the nominated node.';
      }
    }
    return undefined;
  }

  preempt(state: CycleState, pod: PodInfo, diagnosis: Diagnosis, numAllNodes: number): PreemptionOutcome {
    const statusOf = (name: string) => diagnosis.statuses.get(name) ?? diagnosis.absent;
    const reason = this.ineligibility(pod, pod.pod.status?.nominatedNodeName ? statusOf(pod.pod.status.nominatedNodeName) : undefined);
    if (reason) return { message: `preemption: ${reason}` };

    const nodes = this.cache.nodeInfos();
    const potential = nodes.filter((n) => statusOf(n.name)?.code === 'Unschedulable');
    const dry = new Diagnosis();
    dry.absent = unresolvable('Preemption is not helpful for scheduling');
    const candidates: Candidate[] = [];
    if (potential.length) {
      const wanted = Math.min(potential.length, Math.max(MIN_CANDIDATE_NODES_ABSOLUTE, Math.trunc((potential.length * MIN_CANDIDATE_NODES_PERCENTAGE) / 100)));
      const offset = Math.floor(Math.random() * potential.length);
      const pdbs = this.pdbs();
      let nonViolating = 0;
      for (let i = 0; i < potential.length; i++) {
        const node = potential[(offset + i) % potential.length]!;
        const r = this.selectVictimsOnNode(state.clone(), pod, node.clone(), pdbs);
        if ('status' in r) {
          dry.record(node.name, r.status);
          continue;
        }
        candidates.push({ node: node.name, ...r });
        if (r.numPDBViolations === 0) nonViolating++;
        if (nonViolating >= wanted) break;
      }
    }
    if (!candidates.length) return { nominatedNodeName: '', message: `preemption: ${fitErrorMessage(numAllNodes, dry)}` };
    return { nominatedNodeName: undefined, message: '', candidate: pickOneNodeForPreemption(candidates) };
  }

  /** SelectVictimsOnNode: remove every lower-priority pod, then reprieve as many as still fit, most important first. */
  selectVictimsOnNode(state: CycleState, pod: PodInfo, node: NodeInfo, pdbs: PodDisruptionBudget[]): { victims: PodInfo[]; numPDBViolations: number } | { status: Status } {
    const potential = [...node.pods.values()].filter((p) => p.priority < pod.priority);
    for (const p of potential) {
      node.removePod(p.key);
      this.framework.removePod(state, pod, p, node);
    }
    if (!potential.length) return { status: unresolvable('No preemption victims found for incoming pod') };
    const fits = () => this.framework.runFiltersWithNominatedPods(state, pod, node, this.nominator);
    const failed = fits();
    if (failed) return { status: failed };
    potential.sort((a, b) => (moreImportant(a.pod, b.pod) ? -1 : moreImportant(b.pod, a.pod) ? 1 : 0));
    const [violating, nonViolating] = splitByPDBViolation(potential, pdbs);
    const victims: PodInfo[] = [];
    let numPDBViolations = 0;
    const reprieve = (p: PodInfo): boolean => {
      node.addPod(p);
      this.framework.addPod(state, pod, p, node);
      if (!fits()) return true;
      node.removePod(p.key);
      this.framework.removePod(state, pod, p, node);
      victims.push(p);
      return false;
    };
    for (const p of violating) if (!reprieve(p)) numPDBViolations++;
    for (const p of nonViolating) reprieve(p);
    if (violating.length && nonViolating.length) victims.sort((a, b) => (moreImportant(a.pod, b.pod) ? -1 : moreImportant(b.pod, a.pod) ? 1 : 0));
    return { victims, numPDBViolations };
  }
}

/** filterPodsWithPDBViolation: pods whose eviction would exceed a budget's disruptionsAllowed. */
export function splitByPDBViolation(pods: PodInfo[], pdbs: PodDisruptionBudget[]): [PodInfo[], PodInfo[]] {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const selectors = pdbs.map((p) => {
    try {
      return labelSelectorFromSpec(p.spec?.selector);
    } catch {
      return undefined;
    }
  });
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const pi of pods) {
    const labels = pi.pod.metadata.labels;
    let violated = false;
    if (labels && Object.keys(labels).length) {
      pdbs.forEach((pdb, i) => {
        const sel = selectors[i];
        if (pdb.metadata.namespace !== pi.pod.metadata.namespace || !sel || sel.empty || !sel.matches(labels)) return;
        if (pdb.status?.disruptedPods && pi.pod.metadata.name! in pdb.status.disruptedPods) return;
        allowed[i]!--;
        if (allowed[i]! < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(pi);
  }
  return [violating, nonViolating];
}

/**
 * pickOneNodeForPreemption: fewest PDB violations, then the lowest highest-priority victim, the
 * smallest sum of priorities, the fewest victims, the latest start among the most important
 * victims, and finally the first.
 */
export function pickOneNodeForPreemption(candidates: Candidate[]): Candidate {
  const empty = candidates.find((c) => c.victims.length === 0);
  if (empty) return empty;
  const keepMin = (list: Candidate[], f: (c: Candidate) => number) => {
    const min = Math.min(...list.map(f));
    return list.filter((c) => f(c) === min);
  };
  let list = keepMin(candidates, (c) => c.numPDBViolations);
  if (list.length > 1) list = keepMin(list, (c) => c.victims[0]!.priority);
  if (list.length > 1) list = keepMin(list, (c) => c.victims.reduce((s, v) => s + v.priority + 2147483648, 0));
  if (list.length > 1) list = keepMin(list, (c) => c.victims.length);
  if (list.length > 1) {
    // The node whose highest-priority victims started latest (the earliest such start, maximized).
    const earliest = (c: Candidate) => {
      const top = c.victims[0]!.priority;
      return Math.min(...c.victims.filter((v) => v.priority === top).map((v) => startTime(v.pod)));
    };
    list = keepMin(list, (c) => -earliest(c));
  }
  return list[0]!;
}
