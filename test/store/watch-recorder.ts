// Records what a watch delivers and lets a test wait for it, with a deadline so a missing event
// fails the test instead of hanging it.

import type { Store, StoreError, WatchEvent, WatchHandle } from '../../src/store/types.js';

export class WatchRecorder {
  readonly events: WatchEvent[] = [];
  readonly batches: number[] = [];
  error: StoreError | undefined;
  readonly handle: WatchHandle;
  private waiters: (() => void)[] = [];

  constructor(store: Store, prefix: string, afterRevision: number) {
    this.handle = store.watch(prefix, afterRevision, {
      onEvents: (events) => {
        this.events.push(...events);
        this.batches.push(events.length);
        this.wake();
      },
      onError: (err) => {
        this.error = err;
        this.wake();
      },
    });
  }

  /** Resolves once `n` events arrived; rejects on a watch error or after `ms`. */
  async waitForEvents(n: number, ms = 5000): Promise<WatchEvent[]> {
    await this.waitUntil(() => this.events.length >= n || this.error !== undefined, ms, `${n} events`);
    if (this.error && this.events.length < n) throw this.error;
    return this.events.slice(0, n);
  }

  /** Resolves with the error the watch ended with; rejects after `ms`. */
  async waitForError(ms = 5000): Promise<StoreError> {
    await this.waitUntil(() => this.error !== undefined, ms, 'a watch error');
    return this.error!;
  }

  /** Lets pending deliveries run, so a test can check that nothing more arrives. */
  async quiesce(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async waitUntil(done: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for ${what}; got ${this.events.length} events, error ${this.error?.code ?? 'none'}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
