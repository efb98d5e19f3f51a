// A keyed work queue, as client-go's workqueue: a key waiting is queued once however often it is
// added, a key is never processed by two workers at once (an add while it runs queues it again),
// failed syncs retry with per-key exponential back-off, and `addAfter` schedules a key on the
// injected clock (deadlines, back-offs and schedules that tests move in virtual time).

import type { Clock, Timer } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';

export interface WorkQueueOptions {
  clock: Clock;
  log: Logger;
  /** Parallel workers (default 4). */
  workers?: number;
  /** First retry after a failed sync (default 5 ms, doubling to `maxRetryMs`). */
  baseRetryMs?: number;
  maxRetryMs?: number;
}

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Keys added while they were running: processed again when the run ends. */
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: Timer }>();
  private readonly failures = new Map<string, number>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private active = 0;
  private stopped = false;
  private readonly workers: number;

  constructor(
    private readonly sync: (key: string) => Promise<void>,
    private readonly opts: WorkQueueOptions,
  ) {
    this.workers = opts.workers ?? 4;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pump();
  }

  /** Adds the key once `ms` have passed on the clock; an earlier pending schedule wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    const at = this.opts.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    pending?.timer.cancel();
    const timer = this.opts.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  /** Forgets the back-off of a key (after a successful sync the queue does it by itself). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Resolves when nothing is queued or running (tests and shutdown). */
  idle(): Promise<void> {
    if (!this.queued.size && !this.active) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.queued.clear();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.workers && this.queued.size) {
      const key = this.queued.values().next().value!;
      this.queued.delete(key);
      this.running.add(key);
      this.active++;
      void this.run(key);
    }
    if (!this.queued.size && !this.active) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async run(key: string): Promise<void> {
    try {
      await this.sync(key);
      this.failures.delete(key);
    } catch (err) {
      if (!this.stopped) this.retry(key, err);
    } finally {
      this.running.delete(key);
      this.active--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }

  private retry(key: string, err: unknown): void {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const base = this.opts.baseRetryMs ?? 5;
    const delay = Math.min(base * 2 ** (n - 1), this.opts.maxRetryMs ?? 30_000);
    if (n === 1 || n % 10 === 0) this.opts.log.warn('sync failed; retrying', { key, attempt: n, error: (err as Error).message });
    // API failures retry on real time: they are about the server, not about the simulated world.
    const t = setTimeout(() => {
      this.retryTimers.delete(t);
      this.add(key);
    }, delay);
    t.unref();
    this.retryTimers.add(t);
  }
}

/** `namespace/name` (or `name` for cluster objects), as informers key objects. */
export function keyOf(o: { metadata: { namespace?: string; name?: string } }): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!;
}

export function splitKey(key: string): [namespace: string, name: string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}
