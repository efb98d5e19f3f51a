// One serialized worker per pod, as the kubelet's pod workers: a pod moves from syncing to
// terminating (deletion, kill, or a terminal phase) to terminated, never back. Updates that arrive
// while a worker is busy coalesce into one more pass over the latest pod; a termination request
// interrupts a sync in flight, and a shorter grace period interrupts a termination in flight.

import type { Pod } from '../api/types.js';
import type { Clock } from '../util/clock.js';
import type { SyncOutcome } from './pod-sync.js';
import { WorkQueue } from './work-queue.js';

export type PodUpdateType = 'create' | 'update' | 'sync' | 'kill';

export interface PodUpdate {
  type: PodUpdateType;
  /** The desired pod; absent for a pod only the runtime knows (then `podUid` is set). */
  pod?: Pod;
  podUid?: string;
  gracePeriodOverride?: number;
}

export interface PodSyncer {
  syncPod(pod: Pod, signal: AbortSignal): Promise<SyncOutcome>;
  syncTerminatingPod(pod: Pod, gracePeriodSeconds: number, signal: AbortSignal): Promise<void>;
  syncTerminatingRuntimePod(podUid: string, gracePeriodSeconds: number): Promise<void>;
  syncTerminatedPod(pod: Pod): Promise<void>;
}

export interface PodWorkersOptions {
  syncer: PodSyncer;
  clock: Clock;
  /** Periodic re-sync of a healthy pod (default 60 s). */
  resyncMs?: number;
  /** Retry after a failed sync (default 10 s). */
  errorBackoffMs?: number;
  onError?(podUid: string, err: unknown): void;
}

interface WorkerState {
  uid: string;
  pod: Pod | undefined;
  pending: boolean;
  running: Promise<void> | undefined;
  abort: AbortController;
  syncing: boolean;
  terminatingAt?: number;
  terminatedAt?: number;
  finished: boolean;
  gracePeriod?: number;
}

export class PodWorkers {
  private readonly states = new Map<string, WorkerState>();
  private readonly queue: WorkQueue;
  private readonly resyncMs: number;
  private readonly errorBackoffMs: number;
  private stopped = false;

  constructor(private readonly opts: PodWorkersOptions) {
    this.resyncMs = opts.resyncMs ?? 60_000;
    this.errorBackoffMs = opts.errorBackoffMs ?? 10_000;
    this.queue = new WorkQueue(opts.clock, (uid) => {
      const state = this.states.get(uid);
      if (state) this.kick(state);
    });
  }

  updatePod(update: PodUpdate): void {
    if (this.stopped) return;
    const uid = update.pod?.metadata.uid ?? update.podUid;
    if (!uid) return;
    let state = this.states.get(uid);
    if (!state) {
      if (!update.pod && update.type !== 'kill') return;
      state = { uid, pod: update.pod, pending: false, running: undefined, abort: new AbortController(), syncing: false, finished: false };
      this.states.set(uid, state);
    } else if (update.pod) {
      state.pod = update.pod;
    }
    if (state.finished) return;

    const pod = state.pod;
    if (state.terminatingAt === undefined && (update.type === 'kill' || pod?.metadata.deletionTimestamp)) {
      state.terminatingAt = this.opts.clock.now();
      if (state.syncing) state.abort.abort();
    }
    if (state.terminatingAt !== undefined && state.terminatedAt === undefined) {
      const grace = effectiveGracePeriod(pod, update.gracePeriodOverride);
      if (state.gracePeriod === undefined || grace < state.gracePeriod) {
        const shortened = state.gracePeriod !== undefined;
        state.gracePeriod = grace;
        if (shortened && state.running) state.abort.abort();
      }
    }
    this.kick(state);
  }

  /**
   * Gives a syncing worker a newer object of its pod that differs only in its status, without
   * another pass (false, and nothing done, when anything else differs or the worker is gone,
   * terminating or finished).
   */
  replacePod(pod: Pod): boolean {
    const state = this.states.get(pod.metadata.uid ?? '');
    if (!state?.pod || state.finished || state.terminatingAt !== undefined || !sameButStatus(state.pod, pod)) return false;
    state.pod = pod;
    return true;
  }

  isTerminationRequested(uid: string): boolean {
    return this.states.get(uid)?.terminatingAt !== undefined;
  }

  /** Containers are stopped; only cleanup (or nothing) remains. */
  isTerminated(uid: string): boolean {
    return this.states.get(uid)?.terminatedAt !== undefined;
  }

  /** Termination and cleanup are complete. */
  isFinished(uid: string): boolean {
    return this.states.get(uid)?.finished === true;
  }

  knownPods(): string[] {
    return [...this.states.keys()];
  }

  has(uid: string): boolean {
    return this.states.has(uid);
  }

  /** Forgets a finished worker (its pod is no longer desired). */
  forget(uid: string): boolean {
    const s = this.states.get(uid);
    if (!s || !s.finished || s.running) return false;
    this.states.delete(uid);
    this.queue.remove(uid);
    return true;
  }

  /** Resolves once no worker has work in flight. */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.states.values()].map((s) => s.running).filter((p): p is Promise<void> => !!p);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  /** Stops scheduling; work in flight is interrupted and awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.stop();
    for (const s of this.states.values()) s.abort.abort();
    await this.idle();
  }

  private kick(state: WorkerState): void {
    state.pending = true;
    if (!state.running && !this.stopped) {
      state.running = this.run(state).finally(() => {
        state.running = undefined;
        if (state.pending && !this.stopped && !state.finished) this.kick(state);
      });
    }
  }

  private async run(state: WorkerState): Promise<void> {
    const { syncer, clock } = this.opts;
    while (state.pending && !this.stopped && !state.finished) {
      state.pending = false;
      state.abort = new AbortController();
      const signal = state.abort.signal;
      try {
        if (state.terminatedAt !== undefined) {
          if (state.pod) await syncer.syncTerminatedPod(state.pod);
          state.finished = true;
        } else if (state.terminatingAt !== undefined) {
          const grace = state.gracePeriod ?? effectiveGracePeriod(state.pod, undefined);
          if (state.pod) await syncer.syncTerminatingPod(state.pod, grace, signal);
          else await syncer.syncTerminatingRuntimePod(state.uid, grace);
          state.terminatedAt = clock.now();
          state.pending = true;
        } else if (state.pod) {
          state.syncing = true;
          let outcome: SyncOutcome;
          try {
            outcome = await syncer.syncPod(state.pod, signal);
          } finally {
            state.syncing = false;
          }
          if (state.terminatingAt !== undefined) continue;
          if (outcome.terminal) {
            state.terminatingAt = clock.now();
            state.gracePeriod = effectiveGracePeriod(state.pod, undefined);
            state.pending = true;
            continue;
          }
          const retry = clock.now() + (outcome.failed ? this.errorBackoffMs : this.resyncMs);
          this.queue.schedule(state.uid, Math.min(outcome.wakeAt ?? Infinity, retry));
        }
      } catch (err) {
        if (signal.aborted || this.stopped) {
          state.pending = state.pending || !this.stopped;
          continue;
        }
        this.opts.onError?.(state.uid, err);
        this.queue.schedule(state.uid, clock.now() + this.errorBackoffMs);
      }
    }
  }
}

/** Everything a sync reads of a pod but its status and resourceVersion (and managed fields) is the same. */
function sameButStatus(a: Pod, b: Pod): boolean {
  const desired = (p: Pod) => {
    const { resourceVersion: _rv, managedFields: _mf, ...metadata } = p.metadata as Pod['metadata'] & { managedFields?: unknown };
    return JSON.stringify([metadata, p.spec]);
  };
  return desired(a) === desired(b);
}

/** The grace the pod is stopped with: the deletion's, an override, else the spec's; at least 1 s. */
export function effectiveGracePeriod(pod: Pod | undefined, override: number | undefined): number {
  const spec = pod?.spec.terminationGracePeriodSeconds ?? 30;
  let grace = pod?.metadata.deletionTimestamp && pod.metadata.deletionGracePeriodSeconds !== undefined ? pod.metadata.deletionGracePeriodSeconds : spec;
  if (override !== undefined) grace = override;
  if (grace === 0) grace = spec;
  return Math.max(1, grace);
}
