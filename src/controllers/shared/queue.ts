// The controllers' keyed work queue, as client-go's workqueue: a key waiting is queued once however
// often it is added, a key is never processed by two workers at once (an add while it runs queues it
// again afterwards), failed syncs retry with per-key exponential back-off, and `addAfter` schedules
// a key on the injected clock (deadlines and schedules that tests move in virtual time). Nothing is
// processed before `start()`: controllers start their queue once their informers have synced.

import { ApiError } from '../../api/errors.js';
import type { Clock, Timer } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';

export interface WorkQueueOptions {
  clock: Clock;
  log: Logger;
  /** Parallel workers (default 5). */
  workers?: number;
  /** First retry after a failed sync (default 5 ms, doubling up to `maxDelayMs`, default 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Keys added while they were running: processed again when the run ends. */
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: Timer }>();
  private readonly failures = new Map<string, number>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private active = 0;
  private started = false;
  private stopped = false;

  constructor(
    private readonly sync: (key: string) => Promise<void>,
    private readonly opts: WorkQueueOptions,
  ) {}

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

  /** Begins processing what was added so far and everything added later. */
  start(): void {
    this.started = true;
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.queued.clear();
  }

  /** Resolves when nothing is queued or running (delayed adds may still be pending). */
  idle(): Promise<void> {
    if (!this.queued.size && !this.active) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    if (!this.started || this.stopped) return;
    const workers = this.opts.workers ?? 5;
    while (this.active < workers && this.queued.size) {
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
    const delay = Math.min((this.opts.baseDelayMs ?? 5) * 2 ** (n - 1), this.opts.maxDelayMs ?? 30_000);
    // A conflict only means the informer was behind a write: retry quietly.
    const conflict = err instanceof ApiError && err.code === 409;
    if (!conflict && (n === 1 || n % 10 === 0)) this.opts.log.warn('sync failed; retrying', { key, attempt: n, error: (err as Error).message });
    // Failures are about the API server, not the simulated world: their retries run on real time.
    const t = setTimeout(() => {
      this.retryTimers.delete(t);
      this.add(key);
    }, delay);
    t.unref();
    this.retryTimers.add(t);
  }
}
