// The in-memory backend: the reference implementation of the Store contract, and the store of
// tests. The present is a map plus an ordered key set; history is the event log (one event per
// revision) with, per key, the events that changed it. The state of a key at revision R is the
// previous value of its first change after R, or its present value when it has not changed since.

import {
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Store,
  type WatchEvent,
  type WatchHandle,
  type WatchListener,
} from '../types.js';
import { checkReadRevision, checkValueSize, compareKeys, prefixEnd, storeErrors } from './keys.js';
import { RetentionSchedule, type RetentionOptions } from './retention.js';
import { SortedKeys } from './sorted-keys.js';
import { WatchHub } from './watch-hub.js';

export interface MemoryStoreOptions extends RetentionOptions {
  /** Compact automatically by the retention policy. Default true. */
  autoCompact?: boolean;
  /** Events a catching-up watch reads per turn of the event loop. */
  watchPageSize?: number;
}

export class MemoryStore implements Store {
  readonly name = 'memory';

  private readonly present = new Map<string, KeyValue>();
  private readonly presentKeys = new SortedKeys();
  /** Keys with a present value or with changes still in history. */
  private readonly knownKeys = new SortedKeys();
  /** Retained events, oldest first: log[i] has revision compacted + 1 + i. */
  private log: WatchEvent[] = [];
  private readonly changes = new Map<string, WatchEvent[]>();
  private revision = 0;
  private compacted = 0;
  private closed = false;
  private readonly hub: WatchHub;
  private readonly retention: RetentionSchedule | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.hub = new WatchHub({
      headRevision: () => this.revision,
      compactedRevision: () => this.compacted,
      readEvents: (prefix, after, limit) => this.readEvents(prefix, after, limit),
    }, options.watchPageSize === undefined ? {} : { pageSize: options.watchPageSize });
    if (options.autoCompact !== false) {
      this.retention = new RetentionSchedule(
        {
          headRevision: () => this.revision,
          compactedRevision: () => this.compacted,
          compactTo: (revision) => this.compactNow(revision),
        },
        options,
      );
      this.retention.start();
    }
  }

  async get(key: string, revision?: number): Promise<KeyValue | undefined> {
    this.checkOpen();
    if (revision === undefined || revision === this.revision) return this.present.get(key);
    checkReadRevision(revision, this.compacted, this.revision);
    return this.valueAt(key, revision);
  }

  async range(prefix: string, options: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    const at = options.revision ?? this.revision;
    if (at !== this.revision) checkReadRevision(at, this.compacted, this.revision);
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const after = options.startAfter;
    const exclusive = after !== undefined && compareKeys(after, prefix) >= 0;
    const from = exclusive ? after : prefix;
    return at === this.revision ? this.rangePresent(prefix, from, exclusive, limit) : this.rangePast(prefix, from, exclusive, limit, at);
  }

  private rangePresent(prefix: string, from: string, exclusive: boolean, limit: number): RangeResult {
    const kvs: KeyValue[] = [];
    for (const key of this.presentKeys.from(from, exclusive)) {
      if (kvs.length === limit || !key.startsWith(prefix)) break;
      kvs.push(this.present.get(key)!);
    }
    const remaining = kvs.length === limit ? this.presentKeys.countBetween(kvs[kvs.length - 1]!.key, true, prefixEnd(prefix)) : 0;
    return { kvs, revision: this.revision, more: remaining > 0, remaining };
  }

  /** Walks every key with kept history under the prefix; the past is read rarely and briefly. */
  private rangePast(prefix: string, from: string, exclusive: boolean, limit: number, at: number): RangeResult {
    const kvs: KeyValue[] = [];
    let remaining = 0;
    for (const key of this.knownKeys.from(from, exclusive)) {
      if (!key.startsWith(prefix)) break;
      const kv = this.valueAt(key, at);
      if (!kv) continue;
      if (kvs.length < limit) kvs.push(kv);
      else remaining++;
    }
    return { kvs, revision: at, more: remaining > 0, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.presentKeys.countBetween(prefix, false, prefixEnd(prefix));
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    checkValueSize(key, value);
    if (this.present.has(key)) throw storeErrors.keyExists(key);
    const revision = this.revision + 1;
    const kv = Object.freeze({ key, value, createRevision: revision, modRevision: revision });
    this.commit(Object.freeze({ type: 'PUT', kv }), kv);
    return kv;
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    this.checkOpen();
    checkValueSize(key, value);
    const current = this.present.get(key);
    if (!current) throw storeErrors.notFound(key);
    if (current.modRevision !== expectedModRevision) throw storeErrors.conflict(key, expectedModRevision, current);
    const revision = this.revision + 1;
    const kv = Object.freeze({ key, value, createRevision: current.createRevision, modRevision: revision });
    this.commit(Object.freeze({ type: 'PUT', kv, prevKv: current }), kv);
    return kv;
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    this.checkOpen();
    const current = this.present.get(key);
    if (!current) throw storeErrors.notFound(key);
    if (expectedModRevision !== undefined && current.modRevision !== expectedModRevision) {
      throw storeErrors.conflict(key, expectedModRevision, current);
    }
    const revision = this.revision + 1;
    const kv = Object.freeze({ ...current, modRevision: revision });
    this.commit(Object.freeze({ type: 'DELETE', kv, prevKv: current }), undefined);
    return kv;
  }

  watch(prefix: string, afterRevision: number, listener: WatchListener): WatchHandle {
    return this.hub.watch(prefix, afterRevision, listener);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (!Number.isInteger(revision) || revision < 0) {
      throw new RangeError(`revision must be a non-negative integer, not ${revision}`);
    }
    if (revision > this.revision) throw storeErrors.futureRevision(revision, this.revision);
    this.compactNow(revision);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.retention?.stop();
    this.hub.close(storeErrors.closed());
  }

  private checkOpen(): void {
    if (this.closed) throw storeErrors.closed();
  }

  private commit(event: WatchEvent, next: KeyValue | undefined): void {
    const key = event.kv.key;
    this.revision = event.kv.modRevision;
    if (next) {
      if (!this.present.has(key)) this.presentKeys.add(key);
      this.present.set(key, next);
    } else {
      this.present.delete(key);
      this.presentKeys.delete(key);
    }
    this.knownKeys.add(key);
    this.log.push(event);
    const changes = this.changes.get(key);
    if (changes) changes.push(event);
    else this.changes.set(key, [event]);
    this.hub.publish([event]);
  }

  /** The value of `key` at `revision` (not compacted, not in the future). */
  private valueAt(key: string, revision: number): KeyValue | undefined {
    const changes = this.changes.get(key);
    if (changes) {
      const first = firstAfter(changes, revision);
      if (first < changes.length) return changes[first]!.prevKv;
    }
    return this.present.get(key);
  }

  private readEvents(prefix: string, after: number, limit: number): { events: WatchEvent[]; through: number } {
    const events: WatchEvent[] = [];
    const scanLimit = limit * 16;
    let i = Math.max(0, after - this.compacted);
    const end = Math.min(this.log.length, i + scanLimit);
    for (; i < end && events.length < limit; i++) {
      const event = this.log[i]!;
      if (event.kv.key.startsWith(prefix)) events.push(event);
    }
    return { events, through: i >= this.log.length ? this.revision : this.compacted + i };
  }

  private compactNow(revision: number): void {
    if (revision <= this.compacted) return;
    const dropped = revision - this.compacted;
    const perKey = new Map<string, number>();
    for (let i = 0; i < dropped; i++) {
      const key = this.log[i]!.kv.key;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    for (const [key, n] of perKey) {
      const changes = this.changes.get(key)!;
      if (n < changes.length) {
        changes.splice(0, n);
        continue;
      }
      this.changes.delete(key);
      if (!this.present.has(key)) this.knownKeys.delete(key);
    }
    this.log = this.log.slice(dropped);
    this.compacted = revision;
  }
}

/** Index of the first event with revision > `revision` in revision-ordered `events`. */
function firstAfter(events: readonly WatchEvent[], revision: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]!.kv.modRevision <= revision) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
