// What a controller wrote but its informer may not have seen yet. Between a write and the watch
// event that reports it, a sync reading the informer alone would create a second object or update
// from a stale resourceVersion; reading through this view it sees its own writes. An entry lasts
// until the informer holds that version (or a newer one), or, for a deletion, until it drops it.

import type { KubeObject } from '../../api/types.js';

export class WrittenObjects<T extends KubeObject> {
  /** key → the object as the server answered the write, or null when we deleted it. */
  private readonly latest = new Map<string, T | null>();

  static keyOf(o: KubeObject): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }

  wrote(obj: T): void {
    this.latest.set(WrittenObjects.keyOf(obj), obj);
  }

  deleted(namespace: string, name: string): void {
    this.latest.set(`${namespace}/${name}`, null);
  }

  /** The freshest of the informer's copy and our own write. */
  resolve(key: string, cached: T | undefined): T | undefined {
    const mine = this.latest.get(key);
    if (mine === undefined) return cached;
    if (mine === null) {
      if (!cached) this.latest.delete(key);
      return undefined;
    }
    if (cached && !olderThan(cached.metadata.resourceVersion, mine.metadata.resourceVersion)) {
      this.latest.delete(key);
      return cached;
    }
    return mine;
  }

  /** The informer's objects overlaid with our writes. */
  overlay(cached: Iterable<T>): T[] {
    const out = new Map<string, T>();
    for (const o of cached) out.set(WrittenObjects.keyOf(o), o);
    for (const key of [...this.latest.keys()]) if (!out.has(key)) out.set(key, undefined as unknown as T);
    const result: T[] = [];
    for (const [key, o] of out) {
      const resolved = this.resolve(key, o ?? undefined);
      if (resolved) result.push(resolved);
    }
    return result;
  }
}

/** resourceVersions are opaque, but this server's are revisions: compare them as numbers when they are. */
function olderThan(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}
