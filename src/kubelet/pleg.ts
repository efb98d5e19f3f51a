// The pod lifecycle event generator: relists the runtime every second and reports, per pod, the
// containers and sandboxes whose state changed since the previous relist. Its relist is also the
// agent's view of which pods the runtime holds at all (for orphan cleanup and adoption).

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

  constructor(private readonly opts: PlegOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    await this.inflight;
  }

  /** Pods seen by the last relist. */
  runtimePods(): ReadonlyMap<string, RuntimePod> {
    return this.pods;
  }

  /** Resolves when no relist is in flight. */
  async idle(): Promise<void> {
    await this.inflight;
  }

  /** Lists the runtime now and reports changes. */
  relist(): Promise<void> {
    if (!this.inflight) {
      this.inflight = this.doRelist()
        .catch((err) => this.opts.onError?.(err))
        .finally(() => (this.inflight = undefined));
    }
    return this.inflight;
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
    if (events.length) this.opts.onEvents(events);
  }
}
