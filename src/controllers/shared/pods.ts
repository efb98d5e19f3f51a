// Pod predicates the workload controllers share (k8s.io/kubernetes/pkg/api/v1/pod and
// pkg/controller): ready, available after minReadySeconds, active, and the order in which a
// controller deletes surplus pods.

import type { Pod } from '../../api/types.js';

const time = (s: string | null | undefined): number | undefined => (s ? Date.parse(s) : undefined);

export function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = time(c.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1000 <= now;
}

/** How long until the first ready but not yet available pod becomes available, if there is one. */
export function msUntilAvailable(pods: Pod[], minReadySeconds: number, now: number): number | undefined {
  if (!minReadySeconds) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    const c = readyCondition(pod);
    if (c?.status !== 'True') continue;
    const since = time(c.lastTransitionTime);
    if (since === undefined) continue;
    const due = since + minReadySeconds * 1000 - now;
    if (due > 0 && (next === undefined || due < next)) next = due;
  }
  return next;
}

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Not terminal and not being deleted (controller.IsPodActive). */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Pod): number {
  const v = Number(pod.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost']);
  return Number.isFinite(v) ? v : 0;
}

function maxRestarts(pod: Pod): number {
  let max = 0;
  for (const s of pod.status?.containerStatuses ?? []) max = Math.max(max, s.restartCount ?? 0);
  return max;
}

/** floor(log2(age in seconds)), the bucket LogarithmicScaleDown compares (0 for no age). */
function logBucket(since: number | undefined, now: number): number {
  if (since === undefined) return -1;
  const age = Math.max(0, (now - since) / 1000);
  return age < 1 ? 0 : Math.floor(Math.log2(age)) + 1;
}

export interface RankedPod {
  pod: Pod;
  /** Active pods of related controllers on the same node. */
  rank: number;
}

/**
 * ActivePodsWithRanks.Less: the pod to delete first sorts first. Unassigned before assigned;
 * Pending before Unknown before Running; not ready before ready; lower deletion cost first;
 * doubled-up (higher rank) first; ready for less time first; more restarts first; newer first.
 */
export function compareForDeletion(now: number): (a: RankedPod, b: RankedPod) => number {
  return ({ pod: a, rank: ra }, { pod: b, rank: rb }) => {
    const assignedA = a.spec.nodeName ? 1 : 0;
    const assignedB = b.spec.nodeName ? 1 : 0;
    if (assignedA !== assignedB) return assignedA - assignedB;
    const pa = phaseRank[a.status?.phase ?? 'Pending'] ?? 0;
    const pb = phaseRank[b.status?.phase ?? 'Pending'] ?? 0;
    if (pa !== pb) return pa - pb;
    const readyA = isPodReady(a) ? 1 : 0;
    const readyB = isPodReady(b) ? 1 : 0;
    if (readyA !== readyB) return readyA - readyB;
    const costA = deletionCost(a);
    const costB = deletionCost(b);
    if (costA !== costB) return costA - costB;
    if (ra !== rb) return rb - ra;
    if (readyA && readyB) {
      const ba = logBucket(time(readyCondition(a)?.lastTransitionTime), now);
      const bb = logBucket(time(readyCondition(b)?.lastTransitionTime), now);
      if (ba !== bb) return ba - bb;
    }
    const restartsA = maxRestarts(a);
    const restartsB = maxRestarts(b);
    if (restartsA !== restartsB) return restartsB - restartsA;
    const ca = logBucket(time(a.metadata.creationTimestamp), now);
    const cb = logBucket(time(b.metadata.creationTimestamp), now);
    if (ca !== cb) return ca - cb;
    return 0;
  };
}

/**
 * The `diff` pods to delete from `pods`: all of them, or the first by deletion order, where a pod's
 * rank is how many active pods of `related` (the same controller family) share its node.
 */
export function podsToDelete(pods: Pod[], related: Pod[], diff: number, now: number): Pod[] {
  if (diff >= pods.length) return pods.slice();
  const perNode = new Map<string, number>();
  for (const p of related) {
    if (!p.spec.nodeName || !isPodActive(p)) continue;
    perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: pod.spec.nodeName ? perNode.get(pod.spec.nodeName) ?? 0 : 0 }));
  ranked.sort(compareForDeletion(now));
  return ranked.slice(0, diff).map((r) => r.pod);
}

/** The pod a workload controller creates from its template (controller.GetPodFromTemplate). */
export function podFromTemplate(
  template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] }; spec?: unknown },
  namespace: string,
  generateName: string,
  ownerReference: NonNullable<Pod['metadata']['ownerReferences']>[number],
): Pod {
  const meta = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName, namespace, ownerReferences: [ownerReference] },
    spec: structuredClone(template.spec ?? {}) as Pod['spec'],
  };
  if (meta.labels && Object.keys(meta.labels).length) pod.metadata.labels = { ...meta.labels };
  if (meta.annotations && Object.keys(meta.annotations).length) pod.metadata.annotations = { ...meta.annotations };
  if (meta.finalizers?.length) pod.metadata.finalizers = [...meta.finalizers];
  return pod;
}

/** slowStartBatch: runs `count` calls in batches of 1, 2, 4, ...; stops after the first batch with an error. */
export async function slowStartBatch(count: number, initial: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length) return { successes, error: failed[0]!.reason };
    remaining -= batch;
  }
  return { successes };
}
