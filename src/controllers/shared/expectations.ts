// ControllerExpectations: what a controller has asked the API for and not yet seen in its
// informers. A controller syncs a key only when its expectations are met (or expired), so a slow
// watch never makes it create or delete twice. Deletions are tracked by pod key, so a pod deleted
// by someone else is not mistaken for one of ours.

import type { Clock } from '../../util/clock.js';

/** Expectations older than this are considered met, as upstream (a lost watch event must not wedge a controller). */
export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Record_ {
  add: number;
  del: number;
  deleting: Set<string>;
  at: number;
}

export class Expectations {
  private readonly records = new Map<string, Record_>();

  constructor(private readonly clock: Clock) {}

  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.clock.now() - r.at > EXPECTATIONS_TTL_MS;
  }

  expectCreations(key: string, count: number): void {
    this.records.set(key, { add: count, del: 0, deleting: new Set(), at: this.clock.now() });
  }

  expectDeletions(key: string, podKeys: string[]): void {
    this.expect(key, 0, podKeys);
  }

  /** Creations and deletions of one sync at once (DaemonSet). */
  expect(key: string, creations: number, deletedPodKeys: string[]): void {
    this.records.set(key, { add: creations, del: deletedPodKeys.length, deleting: new Set(deletedPodKeys), at: this.clock.now() });
  }

  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.add--;
  }

  deletionObserved(key: string, podKey: string): void {
    const r = this.records.get(key);
    if (r && r.deleting.delete(podKey)) r.del--;
  }

  forget(key: string): void {
    this.records.delete(key);
  }

  /** For tests and debugging: outstanding creations and deletions. */
  pending(key: string): { add: number; del: number } | undefined {
    const r = this.records.get(key);
    return r && { add: r.add, del: r.del };
  }
}
