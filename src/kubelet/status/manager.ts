// The node agent's single writer of pod statuses: it caches the latest status of each pod, writes it
// to the API only when something the kubelet owns changed, re-checks everything every sync period,
// and removes a deleted pod's object once its terminal status is written.

import type { Pod, PodStatus } from '../../api/types.js';
import type { Clock, Timer } from '../../util/clock.js';
import type { PodStatusWriter } from '../types.js';
import { illegalTransition, mergePodStatus, terminalStatus } from './merge.js';
import { isStatusEqualForKubelet, jsonEqual, normalizeStatus, withTransitionTimes } from './normalize.js';
import { isTerminalPhase } from './pod-spec.js';
import { rfc3339 } from '../../util/clock.js';

export const STATUS_SYNC_PERIOD_MS = 10_000;

export interface StatusManagerOptions {
  writer: PodStatusWriter;
  clock: Clock;
  /** Full resync period (default 10 s). */
  syncPeriodMs?: number;
  /** Whether the pod's node resources are released so its object may be removed (default: yes). */
  canBeDeleted?(pod: Pod): boolean;
  /**
   * Whether the pod may still have running containers; a terminal phase is not published before this
   * says no. Default: the pod was not terminated through terminatePod and its status shows a running container.
   */
  couldHaveRunningContainers?(pod: Pod): boolean;
  /** Reports write failures (they are retried). */
  onError?(pod: Pod, err: unknown): void;
}

interface Entry {
  /** The newest pod object known, from the caller or from the last write. */
  pod: Pod;
  status: PodStatus;
  version: number;
  /** Version last written (or found equal) in the API. */
  apiVersion: number;
  /** terminatePod was called: nothing of the pod runs any more. */
  finished: boolean;
  /** resourceVersion of the pod as this manager's last status write stored it. */
  writtenResourceVersion?: string;
}

function resourceVersionOf(pod: Pod): number {
  const n = Number(pod.metadata.resourceVersion);
  return Number.isFinite(n) ? n : -1;
}

function newer(a: Pod, b: Pod): Pod {
  return resourceVersionOf(b) >= resourceVersionOf(a) ? b : a;
}

function showsRunningContainer(status: PodStatus): boolean {
  for (const list of [status.containerStatuses, status.initContainerStatuses, status.ephemeralContainerStatuses]) {
    for (const s of list ?? []) if (s.state?.running) return true;
  }
  return false;
}

export class StatusManager {
  private readonly entries = new Map<string, Entry>();
  private readonly syncPeriodMs: number;
  private timer: Timer | undefined;
  private running = false;
  private batch: Promise<void> | undefined;
  private pendingAll = false;
  private pendingChanged = false;

  constructor(private readonly opts: StatusManagerOptions) {
    this.syncPeriodMs = opts.syncPeriodMs ?? STATUS_SYNC_PERIOD_MS;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.armResync();
    if (this.pendingChanged) this.kick(false);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    await this.batch;
  }

  /**
   * The pod object is the one this manager's last status write stored (the watch echoing that write).
   * Then the manager keeps that object in place of its own copy of the write's answer (the same
   * stored revision): one copy of each pod in the agent, not two.
   */
  isOwnWrite(pod: Pod): boolean {
    const rv = pod.metadata.resourceVersion;
    const entry = this.entries.get(pod.metadata.uid ?? '');
    if (rv === undefined || entry?.writtenResourceVersion !== rv) return false;
    if (entry.pod.metadata.resourceVersion === rv) entry.pod = pod;
    return true;
  }

  getCachedStatus(podUid: string): PodStatus | undefined {
    return this.entries.get(podUid)?.status;
  }

  setPodStatus(pod: Pod, status: PodStatus): void {
    this.update(pod, status, pod.metadata.deletionTimestamp !== undefined, false);
  }

  terminatePod(pod: Pod): void {
    const cached = this.entries.get(pod.metadata.uid ?? '');
    this.update(pod, terminalStatus(pod, cached?.status ?? pod.status ?? {}), true, true);
  }

  removePod(podUid: string): void {
    this.entries.delete(podUid);
  }

  /** Resolves when every queued write has been attempted (for tests and clean shutdown). */
  async flush(): Promise<void> {
    while (this.batch || (this.running && this.pendingChanged)) {
      if (!this.batch) this.kick(false);
      await this.batch;
    }
  }

  private update(pod: Pod, status: PodStatus, force: boolean, finished: boolean): void {
    const uid = pod.metadata.uid ?? '';
    const entry = this.entries.get(uid);
    const old = entry?.status ?? pod.status ?? {};
    const problem = illegalTransition(pod, old, status);
    if (problem) return this.opts.onError?.(pod, new Error(`Status update on pod aborted: ${problem}`));

    const now = this.opts.clock.now();
    let next = withTransitionTimes(status, old, now);
    const startTime = old.startTime ?? next.startTime ?? rfc3339(now);
    next = normalizeStatus(pod, { ...next, startTime });

    if (entry) {
      entry.pod = newer(entry.pod, pod);
      entry.finished ||= finished;
      if (!force && isStatusEqualForKubelet(entry.status, next)) return;
      entry.status = next;
      entry.version++;
    } else {
      this.entries.set(uid, { pod, status: next, version: 1, apiVersion: 0, finished });
    }
    this.pendingChanged = true;
    if (this.running) this.kick(false);
  }

  private armResync(): void {
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.running) return;
      this.kick(true);
      this.armResync();
    }, this.syncPeriodMs);
  }

  private kick(all: boolean): void {
    if (all) this.pendingAll = true;
    else this.pendingChanged = true;
    if (this.batch) return;
    this.batch = (async () => {
      try {
        while (this.pendingAll || this.pendingChanged) {
          const full = this.pendingAll;
          this.pendingAll = false;
          this.pendingChanged = false;
          await this.syncBatch(full);
        }
      } finally {
        this.batch = undefined;
      }
    })();
  }

  private async syncBatch(all: boolean): Promise<void> {
    const due: Entry[] = [];
    for (const entry of this.entries.values()) {
      if (entry.apiVersion < entry.version || this.canBeDeleted(entry)) due.push(entry);
      else if (all && this.needsReconcile(entry)) due.push(entry);
    }
    for (const entry of due) await this.syncPod(entry);
  }

  private needsReconcile(entry: Entry): boolean {
    const api = normalizeStatus(entry.pod, entry.pod.status ?? {});
    return !isStatusEqualForKubelet(api, entry.status);
  }

  private couldHaveRunningContainers(entry: Entry): boolean {
    if (this.opts.couldHaveRunningContainers) return this.opts.couldHaveRunningContainers(entry.pod);
    return !entry.finished && showsRunningContainer(entry.status);
  }

  private canBeDeleted(entry: Entry): boolean {
    const pod = entry.pod;
    if (!pod.metadata.deletionTimestamp || !entry.finished) return false;
    if (!isTerminalPhase(pod.status?.phase)) return false;
    return this.opts.canBeDeleted?.(pod) ?? true;
  }

  private async syncPod(entry: Entry): Promise<void> {
    const uid = entry.pod.metadata.uid ?? '';
    const version = entry.version;
    const api = entry.pod.status ?? {};
    const merged = mergePodStatus(api, entry.status, this.couldHaveRunningContainers(entry), this.opts.clock.now());
    try {
      if (!jsonEqual(normalizeStatus(entry.pod, api), merged)) {
        const stored = await this.opts.writer.writeStatus(entry.pod, merged);
        if (!stored) {
          // The pod is gone; its entry goes when the owner removes it.
          entry.apiVersion = Math.max(entry.apiVersion, version);
          return;
        }
        entry.pod = newer(entry.pod, stored);
        entry.writtenResourceVersion = stored.metadata.resourceVersion;
      }
      entry.apiVersion = Math.max(entry.apiVersion, version);
      if (this.canBeDeleted(entry)) {
        await this.opts.writer.deletePod(entry.pod);
        if (this.entries.get(uid) === entry) this.entries.delete(uid);
      }
    } catch (err) {
      this.opts.onError?.(entry.pod, err);
    }
  }
}
