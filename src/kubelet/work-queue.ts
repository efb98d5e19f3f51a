// When each pod wants its next sync. One clock timer serves the whole queue (the earliest due
// item), so hundreds of pods cost no polling.

import type { Clock, Timer } from '../util/clock.js';

export class WorkQueue {
  private readonly due = new Map<string, number>();
  private timer: Timer | undefined;
  private timerAt = Infinity;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: string) => void,
  ) {}

  /** (Re)schedules `key` for `at` (clock ms), replacing an earlier decision. */
  schedule(key: string, at: number): void {
    if (this.stopped) return;
    this.due.set(key, at);
    if (at < this.timerAt) this.arm(at);
  }

  remove(key: string): void {
    this.due.delete(key);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.due.clear();
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    let next = Infinity;
    const ready: string[] = [];
    for (const [key, at] of this.due) {
      if (at <= now) ready.push(key);
      else if (at < next) next = at;
    }
    for (const key of ready) this.due.delete(key);
    if (next < Infinity) this.arm(next);
    for (const key of ready) this.onDue(key);
  }
}
