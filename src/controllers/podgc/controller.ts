// The pod garbage collector (pkg/controller/podgc), every 20 s:
// - terminated pods beyond the threshold (12500) are deleted, oldest first;
// - pods bound to a node that no longer exists (checked again against the API after a 40 s
//   quarantine) are marked Failed with DisruptionTarget (DeletionByPodGC) and force-deleted;
// - terminating pods that were never scheduled, and terminating pods on out-of-service nodes,
//   are marked Failed and force-deleted.

import type { Node, Pod } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { ApiClient } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import { rfc3339, type Clock, type Timer } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { TAINT_OUT_OF_SERVICE } from '../node-lifecycle/taints.js';
import type { PodsByNode } from '../node-lifecycle/pods-by-node.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const NODES = ApiClient.resourceOf('v1', 'Node');

export const GC_CHECK_PERIOD_MS = 20_000;
export const QUARANTINE_MS = 40_000;
export const TERMINATED_POD_THRESHOLD = 12_500;

export interface PodGcOptions {
  client: ApiClient;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  podsByNode: PodsByNode;
  clock: Clock;
  log: Logger;
  terminatedPodThreshold?: number;
}

type Condition = NonNullable<NonNullable<Pod['status']>['conditions']>[number];

export class PodGcController {
  private timer: Timer | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  /** Nodes seen missing, and since when: deleted only after the quarantine. */
  private readonly missingSince = new Map<string, number>();

  constructor(private readonly opts: PodGcOptions) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** One collection pass now (the timer runs them every 20 s). */
  collect(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => void this.collect().finally(() => this.schedule()), GC_CHECK_PERIOD_MS);
  }

  private async pass(): Promise<void> {
    const steps = [() => this.gcTerminated(), () => this.gcTerminatingOutOfService(), () => this.gcOrphaned(), () => this.gcUnscheduledTerminating()];
    for (const step of steps) {
      if (this.stopped) return;
      try {
        await step();
      } catch (err) {
        this.opts.log.warn('pod garbage collection failed', { error: (err as Error).message });
      }
    }
  }

  private async gcTerminated(): Promise<void> {
    const threshold = this.opts.terminatedPodThreshold ?? TERMINATED_POD_THRESHOLD;
    if (threshold <= 0) return;
    const terminated = this.opts.pods.list().filter((p) => (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && !p.metadata.deletionTimestamp);
    const excess = terminated.length - threshold;
    if (excess <= 0) return;
    terminated.sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '') || (a.metadata.name! < b.metadata.name! ? -1 : 1));
    await Promise.all(terminated.slice(0, excess).map((p) => this.forceDelete(p)));
  }

  private async gcTerminatingOutOfService(): Promise<void> {
    for (const node of this.opts.nodes.list()) {
      const outOfService = (node.spec?.taints ?? []).some((t) => t.key === TAINT_OUT_OF_SERVICE && t.effect === 'NoExecute');
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (!outOfService || ready) continue;
      for (const p of this.opts.podsByNode.on(node.metadata.name!)) if (p.metadata.deletionTimestamp) await this.markFailedAndDelete(p);
    }
  }

  private async gcOrphaned(): Promise<void> {
    const now = this.opts.clock.now();
    const known = new Set(this.opts.nodes.list().map((n) => n.metadata.name!));
    for (const name of this.missingSince.keys()) if (known.has(name)) this.missingSince.delete(name);
    for (const name of this.opts.podsByNode.nodes()) {
      if (known.has(name)) continue;
      const since = this.missingSince.get(name);
      if (since === undefined) {
        this.missingSince.set(name, now);
        continue;
      }
      if (now - since < QUARANTINE_MS) continue;
      if (await this.nodeExists(name)) {
        this.missingSince.delete(name);
        continue;
      }
      const condition: Condition = { type: 'DisruptionTarget', status: 'True', lastTransitionTime: rfc3339(now), reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' };
      for (const p of this.opts.podsByNode.on(name)) await this.markFailedAndDelete(p, condition);
    }
  }

  private async gcUnscheduledTerminating(): Promise<void> {
    for (const p of this.opts.pods.list()) if (p.metadata.deletionTimestamp && !p.spec.nodeName) await this.markFailedAndDelete(p);
  }

  private async nodeExists(name: string): Promise<boolean> {
    try {
      await this.opts.client.get(NODES, '', name);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return false;
      throw err;
    }
  }

  private async markFailedAndDelete(pod: Pod, condition?: Condition): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    try {
      if (pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') {
        const conditions = condition ? [...(pod.status?.conditions ?? []).filter((c) => c.type !== condition.type), condition] : undefined;
        await this.opts.client.patch(PODS, namespace!, name!, { metadata: { uid }, status: { phase: 'Failed', ...(conditions ? { conditions } : {}) } }, 'strategic', 'status');
      }
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
    await this.forceDelete(pod);
  }

  private async forceDelete(pod: Pod): Promise<void> {
    try {
      await this.opts.client.delete(PODS, pod.metadata.namespace!, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }
}
