// The DaemonSet RollingUpdate step (daemon/update.go rollingUpdate): without surge, delete old
// pods while no more than maxUnavailable nodes lack an available up-to-date pod (the manage step
// then creates their replacements); with surge, start new pods beside old ones on up to maxSurge
// nodes and delete each old pod once its replacement is available.

import type { Node, Pod } from '../../api/types.js';
import { scaledValue } from '../shared/intstr.js';
import { isPodAvailable } from '../shared/pods.js';
import type { DaemonSet } from '../shared/types.js';
import { nodeShouldRunDaemonPod } from './node-fit.js';
import { isPodUpdated, templateGeneration } from './pods.js';

export interface RollingPlan {
  deletePods: Pod[];
  createOn: string[];
}

/** Surge and unavailability against the nodes that should run the pod; both zero means one unavailable. */
export function rollingBudget(ds: DaemonSet, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec.updateStrategy?.rollingUpdate ?? {};
  const maxSurge = scaledValue(ru.maxSurge ?? 0, desired, true);
  let maxUnavailable = scaledValue(ru.maxUnavailable ?? 1, desired, true);
  if (desired > 0 && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** The one new and one old live pod of a node; undefined when there are more (manage cleans up). */
function updatedAndOld(pods: Pod[], hash: string, generation: string | undefined): { newPod?: Pod; oldPod?: Pod } | undefined {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, generation)) {
      if (newPod) return undefined;
      newPod = p;
    } else {
      if (oldPod) return undefined;
      oldPod = p;
    }
  }
  return { newPod, oldPod };
}

export function planRollingUpdate(ds: DaemonSet, nodes: Node[], nodePods: Map<string, Pod[]>, hash: string, now: number): RollingPlan {
  const byName = new Map(nodes.map((n) => [n.metadata.name!, n]));
  const perNode = new Map(nodePods);
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(ds.spec.template.spec, node).shouldRun) continue;
    desired++;
    if (!perNode.has(node.metadata.name!)) perNode.set(node.metadata.name!, []);
  }
  const { maxSurge, maxUnavailable } = rollingBudget(ds, desired);
  const minReady = ds.spec.minReadySeconds ?? 0;
  const available = (p: Pod) => isPodAvailable(p, minReady, now);
  const generation = templateGeneration(ds);

  if (maxSurge === 0) {
    let unavailable = 0;
    const replacements: Pod[] = [];
    const candidates: Pod[] = [];
    for (const pods of perNode.values()) {
      const found = updatedAndOld(pods, hash, generation);
      if (!found) {
        unavailable++;
        continue;
      }
      const { newPod, oldPod } = found;
      if ((!oldPod && !newPod) || (oldPod && newPod)) unavailable++;
      else if (newPod) {
        if (!available(newPod)) unavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) {
          replacements.push(oldPod);
          unavailable++;
        } else if (unavailable < maxUnavailable) candidates.push(oldPod);
      }
    }
    const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    return { deletePods: [...replacements, ...candidates.slice(0, room)], createOn: [] };
  }

  const deletePods: Pod[] = [];
  const allowed: string[] = [];
  const candidates: string[] = [];
  let surging = 0;
  for (const [nodeName, pods] of perNode) {
    const found = updatedAndOld(pods, hash, generation);
    if (!found) {
      surging++;
      continue;
    }
    const { newPod, oldPod } = found;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        const node = byName.get(nodeName);
        if (node && nodeShouldRunDaemonPod(ds.spec.template.spec, node).shouldRun) allowed.push(nodeName);
      } else if (surging < maxSurge) candidates.push(nodeName);
      continue;
    }
    if (!available(newPod)) {
      surging++;
      continue;
    }
    deletePods.push(oldPod);
  }
  const room = Math.min(Math.max(0, maxSurge - surging), candidates.length);
  return { deletePods, createOn: [...allowed, ...candidates.slice(0, room)] };
}
