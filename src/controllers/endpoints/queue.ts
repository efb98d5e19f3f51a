// A keyed work queue as controllers use it (client-go's workqueue, simplified): a key queued
// while pending runs once; a key never runs twice at the same time; a failed key is retried
// with exponential back-off; a key queued while running runs again after it.

export class KeyQueue {
  private readonly pending = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private scheduled = false;
  private stopped = false;
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly work: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown) => void,
    private readonly options: { concurrency?: number; baseDelayMs?: number; maxDelayMs?: number } = {},
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.pending.add(key);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
  }

  /** Resolves when nothing is queued or running (for tests). */
  idle(): Promise<void> {
    if (this.pending.size === 0 && this.active === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    const concurrency = this.options.concurrency ?? 4;
    for (const key of this.pending) {
      if (this.active >= concurrency) return;
      this.pending.delete(key);
      void this.runKey(key);
    }
  }

  private async runKey(key: string): Promise<void> {
    this.active++;
    this.running.add(key);
    try {
      await this.work(key);
      this.failures.delete(key);
    } catch (err) {
      if (!this.stopped) {
        this.onError(key, err);
        this.retryLater(key);
      }
    } finally {
      this.running.delete(key);
      this.active--;
      if (this.dirty.delete(key)) this.add(key);
      this.drain();
      if (this.pending.size === 0 && this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private retryLater(key: string): void {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = Math.min((this.options.baseDelayMs ?? 50) * 2 ** (n - 1), this.options.maxDelayMs ?? 10_000);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.add(key);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}
