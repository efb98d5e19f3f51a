// An index of an informer's objects by the uid of their controller (or of every owner): a Job
// finds its pods, a CronJob its Jobs, in O(own objects) rather than O(all pods).

import type { KubeObject, OwnerReference } from '../../api/types.js';
import type { Informer } from '../../client/informer.js';
import { keyOf } from '../shared/keys.js';

export class OwnerIndex<T extends KubeObject> {
  private readonly byOwner = new Map<string, Map<string, T>>();

  /** `controllerOnly`: index by the controller reference alone (default), else by every owner. */
  constructor(informer: Informer<T>, private readonly controllerOnly = true) {
    informer.on({
      add: (o) => this.put(o, undefined),
      update: (o, old) => this.put(o, old),
      delete: (o) => this.remove(o),
    });
    for (const o of informer.list()) this.put(o, undefined);
  }

  /** The objects owned by `uid` (a fresh array). */
  owned(uid: string): T[] {
    const m = this.byOwner.get(uid);
    return m ? [...m.values()] : [];
  }

  has(uid: string): boolean {
    return (this.byOwner.get(uid)?.size ?? 0) > 0;
  }

  private owners(o: T): OwnerReference[] {
    const refs = o.metadata.ownerReferences ?? [];
    return this.controllerOnly ? refs.filter((r) => r.controller) : refs;
  }

  private put(o: T, old: T | undefined): void {
    if (old) for (const r of this.owners(old)) if (!this.owners(o).some((n) => n.uid === r.uid)) this.drop(r.uid, keyOf(old));
    const key = keyOf(o);
    for (const r of this.owners(o)) {
      let m = this.byOwner.get(r.uid);
      if (!m) this.byOwner.set(r.uid, (m = new Map()));
      m.set(key, o);
    }
  }

  private remove(o: T): void {
    for (const r of this.owners(o)) this.drop(r.uid, keyOf(o));
  }

  private drop(uid: string, key: string): void {
    const m = this.byOwner.get(uid);
    if (!m) return;
    m.delete(key);
    if (!m.size) this.byOwner.delete(uid);
  }
}

/** The controller reference of an object, if any. */
export function controllerOf(o: KubeObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}
