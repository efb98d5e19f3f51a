// The watch cache: every object of every resource held in memory, fed by ONE store watch on the
// registry prefix, so that lists and watches never touch the store. Each object keeps its JSON
// (with its resourceVersion) so a list is a concatenation and an event is encoded once for all
// watchers. A bounded history of events lets watches resume from a recent resourceVersion.

import type { Store, WatchEvent, WatchHandle } from '../store/types.js';
import type { KubeObject } from '../api/types.js';
import { errors } from '../api/errors.js';

export interface CachedObject {
  key: string;
  object: KubeObject;
  /** The object's JSON, resourceVersion included. */
  json: string;
  revision: number;
}

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: CacheEventType;
  /** For DELETED: the last state, with the delete's resourceVersion. */
  current: CachedObject;
  previous?: CachedObject;
  revision: number;
}

export interface CacheWatcher {
  /** Receives events in revision order; returns false when the watcher is too slow and must close. */
  deliver(event: CacheEvent): boolean;
  /** Progress without events (for bookmarks). */
  progress?(revision: number): void;
  close(reason?: Error): void;
}

/** Objects and history of one resource (one key prefix such as `/registry/core/pods/`). */
export class ResourceCache {
  readonly objects = new Map<string, CachedObject>();
  private sortedKeys: string[] | undefined;
  private readonly history: CacheEvent[] = [];
  private historyStart = 0;
  readonly watchers = new Set<CacheWatcher>();

  constructor(
    readonly prefix: string,
    private readonly historyLimit: number,
  ) {}

  /** Keys in byte order (computed lazily after changes). */
  keys(): string[] {
    if (!this.sortedKeys) this.sortedKeys = [...this.objects.keys()].sort(compareBytes);
    return this.sortedKeys;
  }

  /** History is complete for revisions after this one. */
  private completeSince = 0;

  /** The oldest revision a watch on this resource can resume from. */
  get oldestRevision(): number {
    return this.completeSince;
  }

  /** The events after `revision`, or undefined when history no longer reaches back that far. */
  eventsSince(revision: number): CacheEvent[] | undefined {
    if (revision < this.completeSince) return undefined;
    let lo = this.historyStart;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  apply(event: CacheEvent): void {
    const key = event.current.key;
    if (event.type === 'DELETED') {
      if (this.objects.delete(key) && this.sortedKeys) {
        const i = lowerBound(this.sortedKeys, key);
        if (this.sortedKeys[i] === key) this.sortedKeys.splice(i, 1);
      }
    } else {
      if (!this.objects.has(key) && this.sortedKeys) this.sortedKeys.splice(lowerBound(this.sortedKeys, key), 0, key);
      this.objects.set(key, event.current);
    }
    this.history.push(event);
    if (this.history.length - this.historyStart > this.historyLimit) {
      this.completeSince = this.history[this.historyStart]!.revision;
      this.historyStart++;
      if (this.historyStart > 1024 && this.historyStart * 2 > this.history.length) {
        this.history.splice(0, this.historyStart);
        this.historyStart = 0;
      }
    }
    for (const w of this.watchers) {
      if (!w.deliver(event)) {
        this.watchers.delete(w);
        w.close();
      }
    }
  }

  setInitial(objects: CachedObject[], revision: number): void {
    for (const o of objects) this.objects.set(o.key, o);
    this.sortedKeys = undefined;
    this.completeSince = revision;
  }
}

/** The first index whose key is not below `key`. */
export function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function decodeStored(key: string, value: string, revision: number): CachedObject {
  const object = JSON.parse(value) as KubeObject;
  object.metadata ??= {};
  object.metadata.resourceVersion = String(revision);
  return { key, object, json: JSON.stringify(object), revision };
}

/**
 * All resource caches, fed by one watch on the registry prefix. The hub's revision is the store
 * revision it has seen; `waitFor` lets a consistent read wait until the cache caught up.
 */
export class CacheHub {
  private readonly caches = new Map<string, ResourceCache>();
  private handle: WatchHandle | undefined;
  private revisionSeen = 0;
  private oldestRevision = 0;
  private waiters: { revision: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private failed: Error | undefined;
  private bookmarkTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    readonly registryPrefix: string,
    private readonly options: { historyPerResource?: number } = {},
  ) {}

  get revision(): number {
    return this.revisionSeen;
  }

  /** The oldest revision a watch can resume from. */
  get oldest(): number {
    return this.oldestRevision;
  }

  /** The cache for a resource prefix (ending with '/'). Register all before start(). */
  cache(prefix: string): ResourceCache {
    let c = this.caches.get(prefix);
    if (!c) {
      c = new ResourceCache(prefix, this.options.historyPerResource ?? 5000);
      this.caches.set(prefix, c);
    }
    return c;
  }

  async start(): Promise<void> {
    const initial = await this.store.range(this.registryPrefix);
    const byPrefix = new Map<ResourceCache, CachedObject[]>();
    for (const kv of initial.kvs) {
      const cache = this.cacheForKey(kv.key);
      if (!cache) continue;
      let list = byPrefix.get(cache);
      if (!list) byPrefix.set(cache, (list = []));
      list.push(decodeStored(kv.key, kv.value, kv.modRevision));
    }
    for (const cache of this.caches.values()) cache.setInitial(byPrefix.get(cache) ?? [], initial.revision);
    this.revisionSeen = initial.revision;
    this.oldestRevision = initial.revision;
    // The watch covers every key, not only the registry: writes elsewhere (address allocations)
    // move the store's revision too, and a consistent read waits for the cache to reach it.
    this.handle = this.store.watch('/', initial.revision, {
      onEvents: (events) => this.onEvents(events),
      onError: (err) => this.onFailure(err),
    });
    this.bookmarkTimer = setInterval(() => this.sendProgress(), 5000);
    this.bookmarkTimer.unref();
  }

  stop(): void {
    this.handle?.cancel();
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    const err = errors.serviceUnavailable('the watch cache is shutting down');
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
    for (const c of this.caches.values()) {
      for (const w of c.watchers) w.close();
      c.watchers.clear();
    }
  }

  /** Resolves once the cache has applied every event up to `revision` (store revisions). */
  waitFor(revision: number, timeoutMs = 3000): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (revision <= this.revisionSeen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { revision, resolve, reject };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(errors.timeout(`Too large resource version: ${revision}, current: ${this.revisionSeen}`, 1));
      }, timeoutMs);
      waiter.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(waiter);
    });
  }

  private cacheForKey(key: string): ResourceCache | undefined {
    if (!key.startsWith(this.registryPrefix)) return undefined;
    // Keys are <registryPrefix><group>/<resource>/...: the cache prefix is the first two segments.
    const rest = key.slice(this.registryPrefix.length);
    const first = rest.indexOf('/');
    const second = first < 0 ? -1 : rest.indexOf('/', first + 1);
    if (second < 0) return undefined;
    return this.caches.get(this.registryPrefix + rest.slice(0, second + 1));
  }

  private onEvents(events: WatchEvent[]): void {
    for (const e of events) {
      const cache = this.cacheForKey(e.kv.key);
      const revision = e.kv.modRevision;
      if (cache) {
        const previous = cache.objects.get(e.kv.key);
        if (e.type === 'PUT') {
          const current = decodeStored(e.kv.key, e.kv.value, revision);
          cache.apply({ type: previous ? 'MODIFIED' : 'ADDED', current, previous, revision });
        } else if (previous) {
          const last = decodeStored(e.kv.key, previous.json, revision);
          cache.apply({ type: 'DELETED', current: last, previous, revision });
        }
      }
      this.revisionSeen = Math.max(this.revisionSeen, revision);
    }
    if (this.waiters.length) {
      const ready = this.waiters.filter((w) => w.revision <= this.revisionSeen);
      if (ready.length) {
        this.waiters = this.waiters.filter((w) => w.revision > this.revisionSeen);
        for (const w of ready) w.resolve();
      }
    }
  }

  private sendProgress(): void {
    for (const c of this.caches.values()) for (const w of c.watchers) w.progress?.(this.revisionSeen);
  }

  private onFailure(err: Error): void {
    this.failed = errors.serviceUnavailable(`watch cache failed: ${err.message}`);
    for (const w of this.waiters) w.reject(this.failed);
    this.waiters = [];
    for (const c of this.caches.values()) {
      for (const w of c.watchers) w.close(this.failed);
      c.watchers.clear();
    }
  }

  static decode = decodeStored;
}
