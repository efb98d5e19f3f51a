// An index of pods by spec.nodeName, over a shared pod informer: what runs on a node is found
// without scanning every pod.

import type { Pod } from '../../api/types.js';
import type { Informer } from '../../client/informer.js';
import { keyOf } from '../shared/keys.js';

export class PodsByNode {
  private readonly byNode = new Map<string, Map<string, Pod>>();

  constructor(informer: Informer<Pod>) {
    informer.on({
      add: (p) => this.put(p, undefined),
      update: (p, old) => this.put(p, old),
      delete: (p) => this.drop(p.spec.nodeName, keyOf(p)),
    });
    for (const p of informer.list()) this.put(p, undefined);
  }

  on(node: string): Pod[] {
    const m = this.byNode.get(node);
    return m ? [...m.values()] : [];
  }

  /** Node names that have pods. */
  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  private put(p: Pod, old: Pod | undefined): void {
    if (old?.spec.nodeName && old.spec.nodeName !== p.spec.nodeName) this.drop(old.spec.nodeName, keyOf(old));
    const node = p.spec.nodeName;
    if (!node) return;
    let m = this.byNode.get(node);
    if (!m) this.byNode.set(node, (m = new Map()));
    m.set(keyOf(p), p);
  }

  private drop(node: string | undefined, key: string): void {
    if (!node) return;
    const m = this.byNode.get(node);
    if (!m) return;
    m.delete(key);
    if (!m.size) this.byNode.delete(node);
  }
}
