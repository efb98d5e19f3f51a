// The disruption controller (pkg/controller/disruption): keeps each PodDisruptionBudget's status —
// expected pods, healthy pods, how many must stay healthy and how many disruptions are allowed — so
// that the eviction subresource can refuse evictions that would break the budget.

import type { KubeObject, Pod } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { labelSelectorFromSpec, type LabelSelectorSpec } from '../../api/selectors.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import { rfc3339, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { WorkQueue } from '../shared/queue.js';
import { keyOf, splitKey } from '../shared/keys.js';
import { controllerOf } from '../job/owner-index.js';

const PDBS = ApiClient.resourceOf('policy/v1', 'PodDisruptionBudget');

/** An eviction recorded in status.disruptedPods counts as a disruption this long (DeletionTimeout). */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60_000;

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface PdbStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: Condition[];
}

export interface PodDisruptionBudget extends KubeObject {
  spec?: { minAvailable?: number | string; maxUnavailable?: number | string; selector?: LabelSelectorSpec | null; unhealthyPodEvictionPolicy?: string };
  status?: PdbStatus;
}

export interface DisruptionControllerOptions {
  client: ApiClient;
  pods: Informer<Pod>;
  clock: Clock;
  log: Logger;
}

/** The scale of a pod's controller, found through the API (ReplicaSets report their Deployment's). */
const SCALABLE: Record<string, string> = { ReplicaSet: 'apps/v1', ReplicationController: 'v1', StatefulSet: 'apps/v1', Deployment: 'apps/v1' };

export class DisruptionController {
  readonly pdbs: Informer<PodDisruptionBudget>;
  private readonly queue: WorkQueue;

  constructor(private readonly opts: DisruptionControllerOptions) {
    this.pdbs = new Informer<PodDisruptionBudget>(opts.client, PDBS);
    this.queue = new WorkQueue((key) => this.sync(key), { clock: opts.clock, log: opts.log });
    this.pdbs.on({ add: (p) => this.queue.add(keyOf(p)), update: (p) => this.queue.add(keyOf(p)) });
    const onPod = (p: Pod, old?: Pod) => {
      for (const pdb of this.pdbsFor(p)) this.queue.add(keyOf(pdb));
      if (old && JSON.stringify(old.metadata.labels) !== JSON.stringify(p.metadata.labels)) for (const pdb of this.pdbsFor(old)) this.queue.add(keyOf(pdb));
    };
    opts.pods.on({ add: (p) => onPod(p), update: (p, old) => onPod(p, old), delete: (p) => onPod(p) });
  }

  async start(): Promise<void> {
    this.pdbs.start();
    await this.pdbs.synced;
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    this.pdbs.stop();
  }

  private pdbsFor(pod: Pod): PodDisruptionBudget[] {
    return this.pdbs.list().filter((b) => b.metadata.namespace === pod.metadata.namespace && selects(b, pod));
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const pdb = this.pdbs.get(ns, name);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const pods = this.opts.pods.list().filter((p) => p.metadata.namespace === ns && selects(pdb, p));
    let status: PdbStatus;
    try {
      status = await this.compute(pdb, pods);
    } catch (err) {
      if (!(err instanceof SyncFailure)) throw err;
      status = { ...this.baseStatus(pdb), disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
      status.conditions = setCondition(pdb.status?.conditions, { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: err.message, observedGeneration: pdb.metadata.generation ?? 0 }, this.opts.clock.now());
    }
    if (JSON.stringify(status) === JSON.stringify(pdb.status ?? {})) return;
    try {
      await this.opts.client.update(PDBS, { ...pdb, status }, 'status');
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return;
      throw err;
    }
  }

  private baseStatus(pdb: PodDisruptionBudget): Pick<PdbStatus, 'observedGeneration' | 'disruptedPods'> {
    return { observedGeneration: pdb.metadata.generation ?? 0, ...(pdb.status?.disruptedPods ? { disruptedPods: pdb.status.disruptedPods } : {}) };
  }

  private async compute(pdb: PodDisruptionBudget, pods: Pod[]): Promise<PdbStatus> {
    const spec = pdb.spec ?? {};
    const now = this.opts.clock.now();
    let expected: number;
    let desired: number;
    if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
      expected = await this.expectedScale(pods);
      const maxUnavailable = scaled(spec.maxUnavailable, expected);
      desired = Math.max(0, expected - maxUnavailable);
    } else if (typeof spec.minAvailable === 'string') {
      expected = await this.expectedScale(pods);
      desired = scaled(spec.minAvailable, expected);
    } else {
      expected = pods.length;
      desired = spec.minAvailable ?? 0;
    }

    // Evictions the API server recorded count as disruptions until the pod is gone or 2 min passed.
    const disrupted: Record<string, string> = {};
    let nextExpiry = Infinity;
    const present = new Map(pods.map((p) => [p.metadata.name!, p]));
    for (const [podName, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
      const pod = present.get(podName);
      const expires = Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS;
      if (!pod || pod.metadata.deletionTimestamp || expires <= now) continue;
      disrupted[podName] = at;
      nextExpiry = Math.min(nextExpiry, expires - now);
    }
    if (nextExpiry !== Infinity) this.queue.addAfter(keyOf(pdb), nextExpiry);

    const healthy = pods.filter((p) => !p.metadata.deletionTimestamp && !(p.metadata.name! in disrupted) && isReady(p)).length;
    const allowed = expected <= 0 ? 0 : Math.max(0, healthy - desired);
    const status: PdbStatus = {
      observedGeneration: pdb.metadata.generation ?? 0,
      ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed: allowed,
      currentHealthy: healthy,
      desiredHealthy: desired,
      expectedPods: expected,
    };
    status.conditions = setCondition(
      pdb.status?.conditions,
      allowed > 0
        ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: status.observedGeneration! }
        : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: status.observedGeneration! },
      now,
    );
    return status;
  }

  /** The sum of the scales of the pods' controllers (each counted once). */
  private async expectedScale(pods: Pod[]): Promise<number> {
    const scales = new Map<string, number>();
    for (const pod of pods) {
      const ref = controllerOf(pod);
      if (!ref || !SCALABLE[ref.kind] || SCALABLE[ref.kind] !== ref.apiVersion) throw new SyncFailure(`found no controllers for pod "${pod.metadata.name}"`);
      let owner = await this.getOwner(ref.apiVersion, ref.kind, pod.metadata.namespace!, ref.name, ref.uid);
      if (ref.kind === 'ReplicaSet' && owner) {
        const dref = controllerOf(owner);
        if (dref?.kind === 'Deployment') owner = (await this.getOwner(dref.apiVersion, dref.kind, pod.metadata.namespace!, dref.name, dref.uid)) ?? owner;
      }
      if (!owner) throw new SyncFailure(`found no controllers for pod "${pod.metadata.name}"`);
      scales.set(owner.metadata.uid!, ((owner.spec as { replicas?: number } | undefined)?.replicas ?? 1));
    }
    let sum = 0;
    for (const s of scales.values()) sum += s;
    return sum;
  }

  private async getOwner(apiVersion: string, kind: string, namespace: string, name: string, uid: string): Promise<KubeObject | undefined> {
    let info;
    try {
      info = ApiClient.resourceOf(apiVersion, kind);
    } catch {
      return undefined;
    }
    try {
      const o = await this.opts.client.get(info, namespace, name);
      return o.metadata.uid === uid ? o : undefined;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }
}

class SyncFailure extends Error {}

function selects(pdb: PodDisruptionBudget, pod: Pod): boolean {
  const sel = pdb.spec?.selector;
  if (sel === undefined || sel === null) return false; // policy/v1: a null selector selects nothing
  return labelSelectorFromSpec(sel).matches(pod.metadata.labels);
}

function isReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** An int, or a percentage of `total` rounded up (GetScaledValueFromIntOrPercent with roundUp). */
function scaled(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v) || 0;
  return Math.ceil((Number(m[1]) * total) / 100);
}

/** apimeta.SetStatusCondition: the transition time moves only when the status changes. */
function setCondition(existing: Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: number): Condition[] {
  const list = [...(existing ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : rfc3339(now);
  const c: Condition = { type: next.type, status: next.status, ...(next.observedGeneration !== undefined ? { observedGeneration: next.observedGeneration } : {}), lastTransitionTime, reason: next.reason, message: next.message };
  if (i >= 0) list[i] = c;
  else list.push(c);
  return list;
}
