// The pod lifecycle event generator: relists the runtime every second and reports, per pod, the
// containers and sandboxes whose state changed since the previous relist. Its relist is also the
// agent's view of which pods the runtime holds at all (for orphan cleanup and adoption). A runtime
// that reports container events makes it relist at once instead of at the next period: events
// only hasten the relist (coalesced, one in flight at a time), the relist stays the truth.

import type { PodSandboxStatus, Runtime, RuntimeContainer } from '../runtime/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { LABEL_POD_UID } from './types.js';
import { sandboxPodUid } from './runtime-state.js';

export type PodLifecycleEventType = 'ContainerStarted' | 'ContainerDied' | 'ContainerRemoved' | 'ContainerChanged' | 'SandboxChanged';

export interface PodLifecycleEvent {
  podUid: string;
  type: PodLifecycleEventType;
  /** Container or sandbox id. */
  id: string;
}

/** What one relist saw of a pod. */
export interface RuntimePod {
  podUid: string;
  sandboxes: PodSandboxStatus[];
  containers: RuntimeContainer[];
}

export interface PlegOptions {
  runtime: Runtime;
  clock: Clock;
  periodMs?: number;
  onEvents(events: PodLifecycleEvent[]): void;
  onError?(err: unknown): void;
}

export class RuntimeEventGenerator {
  private states = new Map<string, string>();
  private pods = new Map<string, RuntimePod>();
  private timer: Timer | undefined;
  private inflight: Promise<void> | undefined;
  private running = false;
  /** A runtime event arrived since the current relist began listing: another relist follows it. */
  private dirty = false;
  private unsubscribe: (() => void) | undefined;
  /** A relist has completed: `pods` is what the runtime held when it listed. */
  private listed = false;

  constructor(private readonly opts: PlegOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.opts.runtime.subscribeContainerEvents?.((event) => {
      // Creations and starts are the agent's own doing, seen by the sync that made them; exits and
      // removals are what it would otherwise learn only at the next relist.
      if (event.type === 'ContainerStopped' || event.type === 'ContainerDeleted') this.onRuntimeEvent();
    });
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.idle();
  }

  /** Pods seen by the last relist. */
  runtimePods(): ReadonlyMap<string, RuntimePod> {
    return this.pods;
  }

  /**
   * The runtime held nothing of the pod when the last relist listed (false before any relist
   * completed: then nothing is known).
   */
  heldNothingOf(podUid: string): boolean {
    return this.listed && !this.pods.has(podUid);
  }

  /** Resolves when no relist is in flight (nor one that a runtime event asked for). */
  async idle(): Promise<void> {
    while (this.inflight) await this.inflight;
  }

  /** Lists the runtime now and reports changes. */
  relist(): Promise<void> {
    if (!this.inflight) {
      this.inflight = this.doRelist()
        .catch((err) => this.opts.onError?.(err))
        .finally(() => {
          this.inflight = undefined;
          if (this.dirty && this.running) void this.relist();
        });
    }
    return this.inflight;
  }

  private onRuntimeEvent(): void {
    if (!this.running) return;
    this.dirty = true;
    if (!this.inflight) void this.relist();
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimeout(() => {
      if (!this.running) return;
      void this.relist().finally(() => {
        if (this.running) this.schedule();
      });
    }, this.opts.periodMs ?? 1000);
  }

  private async doRelist(): Promise<void> {
    this.dirty = false;
    const [sandboxes, containers] = await Promise.all([this.opts.runtime.listPodSandboxes(), this.opts.runtime.listContainers()]);
    const pods = new Map<string, RuntimePod>();
    const states = new Map<string, string>();
    const podOf = (uid: string) => {
      let p = pods.get(uid);
      if (!p) pods.set(uid, (p = { podUid: uid, sandboxes: [], containers: [] }));
      return p;
    };
    for (const s of sandboxes) {
      const uid = sandboxPodUid(s);
      if (!uid) continue;
      podOf(uid).sandboxes.push(s);
      states.set(`s/${uid}/${s.id}`, s.state);
    }
    for (const c of containers) {
      const uid = c.labels[LABEL_POD_UID];
      if (!uid) continue;
      podOf(uid).containers.push(c);
      states.set(`c/${uid}/${c.id}`, c.state);
    }

    const events: PodLifecycleEvent[] = [];
    for (const [key, state] of states) {
      const before = this.states.get(key);
      if (before === state) continue;
      const [kind, podUid, id] = key.split('/') as [string, string, string];
      if (kind === 's') events.push({ podUid, id, type: 'SandboxChanged' });
      else events.push({ podUid, id, type: state === 'RUNNING' ? 'ContainerStarted' : state === 'EXITED' ? 'ContainerDied' : 'ContainerChanged' });
    }
    for (const key of this.states.keys()) {
      if (states.has(key)) continue;
      const [kind, podUid, id] = key.split('/') as [string, string, string];
      events.push({ podUid, id, type: kind === 's' ? 'SandboxChanged' : 'ContainerRemoved' });
    }
    this.states = states;
    this.pods = pods;
    this.listed = true;
    if (events.length) this.opts.onEvents(events);
  }
}
