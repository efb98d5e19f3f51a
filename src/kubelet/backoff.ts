// Per-key exponential back-off as client-go's flowcontrol.Backoff is used by the kubelet for
// container restarts and image pulls: no jitter, doubling to a cap, and an entry that has not been
// bumped for `expiryMs` before the event starts over from the initial delay.

import type { Clock } from '../util/clock.js';

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    readonly initialMs: number,
    readonly maxMs: number,
    /** How long after the last bump an event may come before the entry counts as expired. */
    readonly expiryMs: number,
  ) {}

  /** The current delay for `key` (0 when unknown). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Records an attempt caused by an event at `eventTime`: start at the initial delay or double. */
  next(key: string, eventTime: number): void {
    const entry = this.entries.get(key);
    if (!entry || this.hasExpired(entry, eventTime)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: this.clock.now() });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.maxMs);
    entry.lastUpdate = this.clock.now();
  }

  /** Whether an attempt for an event at `eventTime` must still wait. */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.hasExpired(entry, eventTime)) return false;
    return this.clock.now() - eventTime < entry.backoffMs;
  }

  /** Whether an attempt at `eventTime` must still wait, counting from the last bump (image pulls). */
  isInBackOffSinceUpdate(key: string, eventTime: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.hasExpired(entry, eventTime)) return false;
    return eventTime - entry.lastUpdate < entry.backoffMs;
  }

  /** When the back-off counted from the last bump ends (clock ms), if `key` has one. */
  releaseAtSinceUpdate(key: string): number | undefined {
    const entry = this.entries.get(key);
    return entry ? entry.lastUpdate + entry.backoffMs : undefined;
  }

  /** When the back-off that started at `eventTime` ends (clock ms), if `key` is backing off. */
  releaseAt(key: string, eventTime: number): number | undefined {
    const entry = this.entries.get(key);
    return entry ? eventTime + entry.backoffMs : undefined;
  }

  /** Drops entries that have expired by now. */
  gc(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) if (this.hasExpired(entry, now)) this.entries.delete(key);
  }

  private hasExpired(entry: Entry, eventTime: number): boolean {
    return eventTime - entry.lastUpdate > this.expiryMs;
  }
}

/** Go's time.Duration formatting for whole seconds: `10s`, `1m20s`, `5m0s`, `1h0m0s`. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const s = `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, '')}s`;
  if (hours > 0) return `${hours}h${minutes}m${s}`;
  if (minutes > 0) return `${minutes}m${s}`;
  return s;
}
