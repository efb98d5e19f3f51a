// The watch cache: every object of every resource held in memory, fed by ONE store watch on the
// registry prefix, so that lists and watches never touch the store. Each object is kept as its JSON
// (with its resourceVersion) only, so a list is a concatenation and an event is encoded once for
// all watchers; selectors are answered from the labels and selectable fields kept beside it, and
// the rare readers of the whole object parse the JSON. A bounded history of events lets watches
// resume from a recent resourceVersion.

import type { Store, WatchEvent, WatchHandle } from '../store/types.js';
import type { KubeObject } from '../api/types.js';
import { errors } from '../api/errors.js';
import { kindFields, withMetadataFields } from './fields.js';
import { withResourceVersion, type StoredJson } from './stored-json.js';

export class CachedObject {
  /** The parsed object while its event is delivered (decodeStored made it anyway); dropped after. */
  private parsed: KubeObject | undefined;

  constructor(
    readonly key: string,
    /** The object's JSON, resourceVersion included. */
    readonly json: string,
    readonly revision: number,
    readonly labels: Record<string, string> | undefined,
    readonly name: string,
    /** undefined for cluster-scoped objects. */
    readonly namespace: string | undefined,
    /** Selectable fields beyond name and namespace (fields.ts), undefined when the kind has none. */
    readonly kindFields: Record<string, string> | undefined,
    parsed?: KubeObject,
  ) {
    this.parsed = parsed;
  }

  /** The object: parsed from the JSON on each call (a private copy) once its event has been delivered. */
  get object(): KubeObject {
    return this.parsed ?? (JSON.parse(this.json) as KubeObject);
  }

  /** The field set for field selectors. */
  get fields(): Record<string, string> {
    return withMetadataFields(this.name, this.namespace, this.kindFields);
  }

  /** Forgets the parsed object: from now on only the JSON is held. */
  release(): void {
    this.parsed = undefined;
  }
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
  /** Pods only: keys by spec.nodeName ('' when unbound), for the agents' `spec.nodeName=` lists. */
  private readonly byNodeName: Map<string, Set<string>> | undefined;

  constructor(
    readonly prefix: string,
    private readonly historyLimit: number,
  ) {
    if (prefix.endsWith('/pods/')) this.byNodeName = new Map();
  }

  /** The keys of the pods bound to `nodeName`, in byte order; undefined when this cache keeps no such index. */
  keysOnNode(nodeName: string): string[] | undefined {
    if (!this.byNodeName) return undefined;
    return [...(this.byNodeName.get(nodeName) ?? [])].sort(compareBytes);
  }

  private index(key: string, before: CachedObject | undefined, after: CachedObject | undefined): void {
    if (!this.byNodeName) return;
    const nodeOf = (o: CachedObject) => o.kindFields?.['spec.nodeName'] ?? '';
    const from = before ? nodeOf(before) : undefined;
    const to = after ? nodeOf(after) : undefined;
    if (from === to) return;
    if (from !== undefined) {
      const keys = this.byNodeName.get(from);
      keys?.delete(key);
      if (keys && !keys.size) this.byNodeName.delete(from);
    }
    if (to !== undefined) {
      let keys = this.byNodeName.get(to);
      if (!keys) this.byNodeName.set(to, (keys = new Set()));
      keys.add(key);
    }
  }

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
    const before = this.objects.get(key);
    this.index(key, before, event.type === 'DELETED' ? undefined : event.current);
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
    for (const o of objects) {
      this.index(o.key, this.objects.get(o.key), o);
      this.objects.set(o.key, o);
    }
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

/**
 * A stored value as the cache holds it: its JSON with the resourceVersion set, its labels and its
 * selectable fields. The parsed object stays attached until `release()`.
 */
export function decodeStored(key: string, value: string, revision: number): CachedObject {
  const object = JSON.parse(value) as KubeObject;
  object.metadata ??= {};
  object.metadata.resourceVersion = String(revision);
  return cachedParts(key, object).at(JSON.stringify(object), revision, object);
}

/** What the cache keeps beside an object's JSON, taken from the object. */
interface CachedParts {
  at(json: string, revision: number, parsed?: KubeObject): CachedObject;
}

function cachedParts(key: string, object: KubeObject): CachedParts {
  const meta = object.metadata;
  // Keys are /registry/<group>/<resource>/[<namespace>/]<name>.
  const [, , group = '', resource = '', ...rest] = key.split('/');
  const labels = meta.labels ? { ...meta.labels } : undefined;
  const name = meta.name ?? '';
  const namespace = rest.length > 1 ? (meta.namespace ?? '') : undefined;
  const fields = kindFields(group === 'core' ? '' : group, resource, object);
  return { at: (json, revision, parsed) => new CachedObject(key, json, revision, labels, name, namespace, fields, parsed) };
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
  /** Writes the registry is making, by key: their events are built from the written text, not parsed. */
  private readonly expected = new Map<string, { stored: StoredJson; object: KubeObject; parts: CachedParts }>();

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
      const cached = decodeStored(kv.key, kv.value, kv.modRevision);
      cached.release();
      list.push(cached);
    }
    for (const cache of this.caches.values()) cache.setInitial(byPrefix.get(cache) ?? [], initial.revision);
    this.revisionSeen = initial.revision;
    this.oldestRevision = initial.revision;
    // The watch covers every key, not only the registry: writes elsewhere (address allocations)
    // move the store's revision too, and a consistent read waits for the cache to reach it.
    this.handle = this.store.watch('/', initial.revision, {
      onEvents: (events) => this.onEvents(events),
      onError: (err) => this.onFailure(err),
      // On etcd, writes under other prefixes move the revision without an event here.
      onProgress: (revision) => {
        this.revisionSeen = Math.max(this.revisionSeen, revision);
        this.onEvents([]);
      },
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

  /**
   * The registry is about to write `stored` (the JSON of `object`) at `key`. When the store's event
   * carries exactly this text, the cache takes the text with its resourceVersion inserted and the
   * labels and fields taken from `object` now, instead of parsing and serializing the value again;
   * its watchers see `object` itself during the delivery, as they would see a parsed copy.
   */
  expectWrite(key: string, stored: StoredJson, object: KubeObject): void {
    if (stored.metadataEnd < 0 || !this.cacheForKey(key)) return;
    this.expected.set(key, { stored, object, parts: cachedParts(key, object) });
  }

  /** The write announced with `stored` failed. */
  forgetWrite(key: string, stored: StoredJson): void {
    if (this.expected.get(key)?.stored === stored) this.expected.delete(key);
  }

  private decodePut(key: string, value: string, revision: number): CachedObject {
    const hint = this.expected.get(key);
    if (hint && hint.stored.text === value) {
      this.expected.delete(key);
      // The written object itself, while the event is delivered: its resourceVersion is the one the
      // registry sets once the write returns (metadata's last field, as in the JSON).
      hint.object.metadata.resourceVersion = String(revision);
      return hint.parts.at(withResourceVersion(hint.stored, revision)!, revision, hint.object);
    }
    return decodeStored(key, value, revision);
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
          const current = this.decodePut(e.kv.key, e.kv.value, revision);
          cache.apply({ type: previous ? 'MODIFIED' : 'ADDED', current, previous, revision });
          current.release();
        } else if (previous) {
          const last = decodeStored(e.kv.key, previous.json, revision);
          cache.apply({ type: 'DELETED', current: last, previous, revision });
          last.release();
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
