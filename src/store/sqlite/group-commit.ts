// Group commit: writes submitted in the same turn of the event loop are committed in one
// transaction (one fsync), and each is acknowledged only after that commit. A write that fails its
// own precondition fails alone; a transaction that fails fails every write in it.

export type Outcome<R> = { ok: true; value: R } | { ok: false; error: Error };

interface Pending<Op, R> {
  op: Op;
  resolve(value: R): void;
  reject(error: Error): void;
}

export class GroupCommit<Op, R> {
  private queue: Pending<Op, R>[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    /** Commits `ops` in one transaction, in order; throws when the transaction as a whole fails. */
    private readonly commit: (ops: Op[]) => Outcome<R>[],
    private readonly maxBatch: number,
  ) {}

  submit(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued now. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const queue = this.queue;
    this.queue = [];
    for (let start = 0; start < queue.length; start += this.maxBatch) {
      const batch = queue.length <= this.maxBatch ? queue : queue.slice(start, start + this.maxBatch);
      let outcomes: Outcome<R>[];
      try {
        outcomes = this.commit(batch.map((p) => p.op));
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        for (const p of batch) p.reject(error);
        continue;
      }
      for (let i = 0; i < batch.length; i++) {
        const outcome = outcomes[i]!;
        if (outcome.ok) batch[i]!.resolve(outcome.value);
        else batch[i]!.reject(outcome.error);
      }
    }
  }

  /** Fails every write still queued (those submitted during the last flush) with `error`. */
  abort(error: Error): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const queue = this.queue;
    this.queue = [];
    for (const p of queue) p.reject(error);
  }
}
