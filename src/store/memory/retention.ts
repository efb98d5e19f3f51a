// Automatic compaction: history is kept for `retainMs` but never for more than `retainRevisions`
// revisions, so a store whose Leases and Node status are rewritten forever stays bounded. Each tick
// samples the head revision; the revision that was the head `retainMs` ago is safe to forget.

import { realClock, type Clock, type Timer } from '../../util/clock.js';

export interface RetentionOptions {
  /** Keep history at least this long, unless `retainRevisions` says otherwise. Default 5 minutes. */
  retainMs?: number;
  /** Keep at most this many revisions of history. Default 20,000. */
  retainRevisions?: number;
  /** How often to compact. Default 10 seconds. */
  compactIntervalMs?: number;
  /** Time source for the schedule. Default the real clock. */
  clock?: Clock;
}

export const DEFAULT_RETENTION = {
  retainMs: 5 * 60_000,
  retainRevisions: 20_000,
  compactIntervalMs: 10_000,
} as const;

interface Sample {
  at: number;
  revision: number;
}

export interface CompactionTarget {
  headRevision(): number;
  compactedRevision(): number;
  /** Forgets history before `revision` (which is at most the head). */
  compactTo(revision: number): void;
}

export class RetentionSchedule {
  private readonly retainMs: number;
  private readonly retainRevisions: number;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly samples: Sample[] = [];
  private timer: Timer | undefined;
  private stopped = false;

  constructor(
    private readonly target: CompactionTarget,
    options: RetentionOptions = {},
  ) {
    this.retainMs = positive('retainMs', options.retainMs ?? DEFAULT_RETENTION.retainMs, true);
    this.retainRevisions = positive('retainRevisions', options.retainRevisions ?? DEFAULT_RETENTION.retainRevisions, true);
    this.intervalMs = positive('compactIntervalMs', options.compactIntervalMs ?? DEFAULT_RETENTION.compactIntervalMs, false);
    this.clock = options.clock ?? realClock;
  }

  start(): void {
    this.samples.push({ at: this.clock.now(), revision: this.target.headRevision() });
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** The revision before which history may be forgotten now. */
  dueRevision(): number {
    const now = this.clock.now();
    const head = this.target.headRevision();
    this.samples.push({ at: now, revision: head });
    let byAge = 0;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop]!.at <= now - this.retainMs) {
      byAge = this.samples[drop]!.revision;
      drop++;
    }
    // The newest sample old enough stays: it is the bound for the next tick too.
    if (drop > 1) this.samples.splice(0, drop - 1);
    const byCount = head - this.retainRevisions;
    return Math.max(byAge, byCount, this.target.compactedRevision());
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    if (this.stopped) return;
    const due = this.dueRevision();
    if (due > this.target.compactedRevision()) this.target.compactTo(due);
    this.schedule();
  }
}

function positive(name: string, value: number, zeroAllowed: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0)) {
    throw new RangeError(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, not ${value}`);
  }
  return value;
}
