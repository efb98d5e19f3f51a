// Watch fan-out shared by the backends that commit in this process. Live events are handed to
// watchers straight after commit; a watcher that starts behind the head first catches up from the
// backend's history, a page per turn of the event loop, and joins the live stream in the same
// synchronous step in which its last page reached the head. Commits and publishes happen in one
// synchronous step too, so nothing can land between the last page and going live: no event is
// missed or delivered twice. A listener that writes while being called (possible with a backend
// that commits synchronously) has its events queued until the current delivery is done, so every
// watcher still sees revisions in order.

import { StoreError, type WatchEvent, type WatchHandle, type WatchListener } from '../types.js';
import { storeErrors } from './keys.js';

/** What the hub needs from a backend's history. */
export interface EventHistory {
  /** Revision of the last committed (and published) write. */
  headRevision(): number;
  /** Oldest revision still readable; events after it are kept. */
  compactedRevision(): number;
  /**
   * Events under `prefix` with revision > `afterRevision`, in order, at most `limit` of them.
   * `through` is the revision the history was read up to: the last event's revision when the
   * limit was reached, otherwise the head.
   */
  readEvents(prefix: string, afterRevision: number, limit: number): { events: WatchEvent[]; through: number };
}

export interface WatchHubOptions {
  /** Events read from history per turn of the event loop. */
  pageSize?: number;
}

class Watcher implements WatchHandle {
  live = false;
  done = false;

  constructor(
    readonly hub: WatchHub,
    readonly prefix: string,
    /** Revision of the last event delivered, or skipped as not wanted. */
    public cursor: number,
    readonly listener: WatchListener,
  ) {}

  cancel(): void {
    this.hub.remove(this);
  }
}

export class WatchHub {
  private readonly groups = new Map<string, Set<Watcher>>();
  private readonly pageSize: number;
  private closedWith: StoreError | undefined;
  private count = 0;
  private delivering = false;
  private readonly queued: (readonly WatchEvent[])[] = [];

  constructor(
    private readonly history: EventHistory,
    options: WatchHubOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 1000;
  }

  /** Number of open watches. */
  get size(): number {
    return this.count;
  }

  watch(prefix: string, afterRevision: number, listener: WatchListener): WatchHandle {
    if (!Number.isInteger(afterRevision) || afterRevision < 0) {
      throw new RangeError(`afterRevision must be a non-negative integer, not ${afterRevision}`);
    }
    const watcher = new Watcher(this, prefix, afterRevision, listener);
    if (this.closedWith) {
      const err = this.closedWith;
      watcher.done = true;
      queueMicrotask(() => listener.onError(err));
      return watcher;
    }
    let group = this.groups.get(prefix);
    if (!group) this.groups.set(prefix, (group = new Set()));
    group.add(watcher);
    this.count++;
    if (afterRevision >= this.history.headRevision() && afterRevision >= this.history.compactedRevision()) {
      watcher.live = true;
    } else {
      setImmediate(() => this.catchUp(watcher));
    }
    return watcher;
  }

  /** Hands committed events (in revision order) to every live watcher whose prefix they fall under. */
  publish(events: readonly WatchEvent[]): void {
    if (events.length === 0 || this.count === 0) return;
    this.queued.push(events);
    if (!this.delivering) this.exclusively(() => {});
  }

  /** Runs `fn`, then drains publishes queued meanwhile; never nests. */
  private exclusively(fn: () => void): void {
    this.delivering = true;
    try {
      fn();
      for (let i = 0; i < this.queued.length; i++) this.fanOut(this.queued[i]!);
    } finally {
      this.queued.length = 0;
      this.delivering = false;
    }
  }

  private fanOut(events: readonly WatchEvent[]): void {
    const last = events[events.length - 1]!.kv.modRevision;
    for (const [prefix, group] of this.groups) {
      let matching: WatchEvent[] | undefined;
      for (const watcher of group) {
        if (!watcher.live || watcher.cursor >= last) continue;
        matching ??= Object.freeze(events.filter((e) => e.kv.key.startsWith(prefix))) as WatchEvent[];
        const cursor = watcher.cursor;
        watcher.cursor = last;
        const batch = cursor < events[0]!.kv.modRevision ? matching : matching.filter((e) => e.kv.modRevision > cursor);
        if (batch.length > 0) this.deliver(watcher, batch);
      }
    }
  }

  /** Ends every watch with `err`; later watches end with it at once. */
  close(err: StoreError): void {
    this.closedWith = err;
    const all = [...this.groups.values()].flatMap((g) => [...g]);
    for (const watcher of all) this.end(watcher, err);
  }

  /** @internal */
  remove(watcher: Watcher): void {
    if (watcher.done) return;
    watcher.done = true;
    const group = this.groups.get(watcher.prefix);
    if (group?.delete(watcher)) {
      this.count--;
      if (group.size === 0) this.groups.delete(watcher.prefix);
    }
  }

  private catchUp(watcher: Watcher): void {
    if (watcher.done) return;
    const compacted = this.history.compactedRevision();
    if (watcher.cursor < compacted) {
      this.end(watcher, storeErrors.compacted(watcher.cursor, compacted));
      return;
    }
    let page: { events: WatchEvent[]; through: number };
    try {
      page = this.history.readEvents(watcher.prefix, watcher.cursor, this.pageSize);
    } catch (err) {
      this.end(watcher, err instanceof StoreError ? err : new StoreError('Closed', `watch ended: ${String(err)}`));
      return;
    }
    watcher.cursor = Math.max(watcher.cursor, page.through);
    if (page.through >= this.history.headRevision()) watcher.live = true;
    if (page.events.length > 0) this.exclusively(() => this.deliver(watcher, page.events));
    if (!watcher.live && !watcher.done) setImmediate(() => this.catchUp(watcher));
  }

  private deliver(watcher: Watcher, events: WatchEvent[]): void {
    try {
      watcher.listener.onEvents(events);
    } catch (err) {
      // A throwing listener is a bug in its owner: surface it without failing the writer or the
      // other watchers.
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  private end(watcher: Watcher, err: StoreError): void {
    if (watcher.done) return;
    this.remove(watcher);
    try {
      watcher.listener.onError(err);
    } catch (thrown) {
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }
}
