// The scheduling queue (internal/queue.PriorityQueue): an active heap ordered by priority then
// arrival, a back-off queue (1 s doubling per attempt up to 10 s), and the unschedulable pods,
// which go back only on a cluster event that one of the plugins that rejected them cares about,
// or after five minutes at most. Events seen while a pod is being scheduled are replayed when it
// fails, so a change that raced its scheduling cycle is never lost.

import type { Clock, Timer } from '../util/clock.js';
import type { PodInfo } from './podinfo.js';

export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When the pod (last) entered the queue. */
  timestamp: number;
  attempts: number;
  /** Plugins that rejected it in the last attempt; empty means any event may help. */
  unschedulablePlugins: Set<string>;
  /** Sequence number of the event log when it was popped. */
  poppedAt: number;
}

/** A change in the cluster, and the plugins whose rejections it may resolve ('*' = all). */
export interface ClusterEvent {
  label: string;
  plugins: ReadonlySet<string> | '*';
}

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** podMaxInUnschedulablePodsDuration */
  maxInUnschedulableMs?: number;
}

function relevant(event: ClusterEvent, q: QueuedPodInfo): boolean {
  if (event.plugins === '*' || q.unschedulablePlugins.size === 0) return true;
  for (const p of q.unschedulablePlugins) if (event.plugins.has(p)) return true;
  return false;
}

export class SchedulingQueue {
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxInUnschedulableMs: number;
  private heap: QueuedPodInfo[] = [];
  private readonly active = new Map<string, QueuedPodInfo>();
  private readonly backoff = new Map<string, QueuedPodInfo>();
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly inFlight = new Map<string, QueuedPodInfo>();
  /** Events received while pods were in flight. */
  private events: { seq: number; event: ClusterEvent }[] = [];
  private seq = 0;
  private waiter: ((q: QueuedPodInfo | undefined) => void) | undefined;
  private closed = false;
  private readonly timers: Timer[] = [];

  constructor(
    private readonly clock: Clock,
    options: QueueOptions = {},
  ) {
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.maxInUnschedulableMs = options.maxInUnschedulableMs ?? 5 * 60_000;
  }

  /** Starts the periodic flushes: back-off completions every second, stale unschedulable pods every 30 s. */
  run(): void {
    const every = (ms: number, fn: () => void) => {
      const tick = () => {
        if (this.closed) return;
        fn();
        this.timers[idx] = this.clock.setTimeout(tick, ms);
      };
      const idx = this.timers.length;
      this.timers.push(this.clock.setTimeout(tick, ms));
    };
    every(1000, () => this.flushBackoffCompleted());
    every(30_000, () => this.flushUnschedulableLeftover());
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.waiter?.(undefined);
    this.waiter = undefined;
  }

  get length(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  has(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key) || this.inFlight.has(key);
  }

  /** A new pending pod, or a pending pod's new version. `changed`: its spec or labels changed. */
  addOrUpdate(pi: PodInfo, changed = true): void {
    const key = pi.key;
    const known = this.active.get(key) ?? this.backoff.get(key) ?? this.inFlight.get(key);
    if (known) {
      known.podInfo = pi;
      return;
    }
    const stuck = this.unschedulable.get(key);
    if (stuck) {
      stuck.podInfo = pi;
      if (!changed) return;
      this.unschedulable.delete(key);
      this.requeue(stuck);
      return;
    }
    this.pushActive({ podInfo: pi, timestamp: this.clock.now(), attempts: 0, unschedulablePlugins: new Set(), poppedAt: 0 });
  }

  delete(key: string): void {
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
  }

  /** The next pod to schedule; waits until there is one (undefined once closed). */
  pop(): Promise<QueuedPodInfo | undefined> {
    const q = this.tryPop();
    if (q || this.closed) return Promise.resolve(q);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** The next pod to schedule if one is ready now. */
  tryPop(): QueuedPodInfo | undefined {
    while (this.heap.length) {
      const q = this.heapPop();
      if (this.active.get(q.podInfo.key) !== q) continue;
      this.active.delete(q.podInfo.key);
      q.attempts++;
      q.poppedAt = this.seq;
      this.inFlight.set(q.podInfo.key, q);
      return q;
    }
    return undefined;
  }

  /** The cycle finished with the pod bound (or gone). */
  done(key: string): void {
    this.inFlight.delete(key);
    this.trimEvents();
  }

  /**
   * The pod did not fit. It waits for a relevant event, unless one already arrived while it was
   * being scheduled, in which case it only backs off. `error`: a failure that is not the pod's fault.
   */
  addUnschedulable(q: QueuedPodInfo, plugins: Set<string>, error = false): void {
    const key = q.podInfo.key;
    if (this.inFlight.get(key) !== q) return; // deleted meanwhile
    this.inFlight.delete(key);
    q.unschedulablePlugins = plugins;
    q.timestamp = this.clock.now();
    const missed = this.events.some((e) => e.seq > q.poppedAt && relevant(e.event, q));
    this.trimEvents();
    if (error || missed) this.backoff.set(key, q);
    else this.unschedulable.set(key, q);
  }

  /** A cluster event: unschedulable pods it may help go back (to back-off if still backing off). */
  onEvent(event: ClusterEvent): void {
    if (this.inFlight.size) this.events.push({ seq: ++this.seq, event });
    for (const [key, q] of this.unschedulable) {
      if (!relevant(event, q)) continue;
      this.unschedulable.delete(key);
      this.requeue(q);
    }
  }

  backoffDurationMs(q: QueuedPodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < q.attempts; i++) {
      d *= 2;
      if (d >= this.maxBackoffMs) return this.maxBackoffMs;
    }
    return d;
  }

  private backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDurationMs(q);
  }

  private requeue(q: QueuedPodInfo): void {
    if (this.clock.now() < this.backoffExpiry(q)) this.backoff.set(q.podInfo.key, q);
    else this.pushActive(q);
  }

  private flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (const [key, q] of this.backoff) {
      if (this.backoffExpiry(q) > now) continue;
      this.backoff.delete(key);
      this.pushActive(q);
    }
  }

  private flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const [key, q] of this.unschedulable) {
      if (now - q.timestamp <= this.maxInUnschedulableMs) continue;
      this.unschedulable.delete(key);
      this.requeue(q);
    }
  }

  private trimEvents(): void {
    if (!this.inFlight.size) this.events = [];
    else {
      let min = Infinity;
      for (const q of this.inFlight.values()) min = Math.min(min, q.poppedAt);
      this.events = this.events.filter((e) => e.seq > min);
    }
  }

  private pushActive(q: QueuedPodInfo): void {
    this.active.set(q.podInfo.key, q);
    this.heapPush(q);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(this.tryPop());
    }
  }

  // ---- binary heap: higher priority first, then the earlier timestamp (PrioritySort) ----

  private less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = a.podInfo.priority;
    const pb = b.podInfo.priority;
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }

  private heapPush(q: QueuedPodInfo): void {
    const h = this.heap;
    h.push(q);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private heapPop(): QueuedPodInfo {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
