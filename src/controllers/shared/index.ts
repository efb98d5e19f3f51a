// Secondary indexes over an informer's cache (client-go indexers): pods by controller uid, objects
// by namespace, so a sync reads only its own objects instead of scanning the whole cache.

import type { KubeObject } from '../../api/types.js';
import type { Informer } from '../../client/informer.js';
import { controllerRefOf } from './owner.js';

export type IndexFunc<T> = (obj: T) => string[];

export class CacheIndex<T extends KubeObject> {
  private readonly byIndex = new Map<string, Map<string, T>>();
  private readonly keysOf = new Map<string, string[]>();

  /** Register before the informer starts so that its initial list is indexed. */
  constructor(informer: Informer<T>, private readonly fn: IndexFunc<T>) {
    informer.on({
      add: (o) => this.put(o),
      update: (o) => this.put(o),
      delete: (o) => this.remove(o),
    });
  }

  get(indexKey: string): T[] {
    const m = this.byIndex.get(indexKey);
    return m ? [...m.values()] : [];
  }

  private objectKey(o: T): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }

  private put(o: T): void {
    this.remove(o);
    const key = this.objectKey(o);
    const keys = this.fn(o);
    this.keysOf.set(key, keys);
    for (const k of keys) {
      let m = this.byIndex.get(k);
      if (!m) this.byIndex.set(k, (m = new Map()));
      m.set(key, o);
    }
  }

  private remove(o: T): void {
    const key = this.objectKey(o);
    for (const k of this.keysOf.get(key) ?? []) {
      const m = this.byIndex.get(k);
      m?.delete(key);
      if (m && !m.size) this.byIndex.delete(k);
    }
    this.keysOf.delete(key);
  }
}

/** Index keys: `uid:<controller uid>` for controlled objects, `orphan:<namespace>` for the rest. */
export const byController = <T extends KubeObject>(o: T): string[] => {
  const ref = controllerRefOf(o);
  return [ref ? `uid:${ref.uid}` : `orphan:${o.metadata.namespace ?? ''}`];
};

export const byNamespace = <T extends KubeObject>(o: T): string[] => [o.metadata.namespace ?? ''];
