// Pods nominated to a node by preemption (status.nominatedNodeName, or the scheduler's own decision
// before that status lands): lower-priority pods must not take the room freed for them.

import type { NominatedPods } from './framework.js';
import type { PodInfo } from './podinfo.js';

export class Nominator implements NominatedPods {
  private readonly byNode = new Map<string, Map<string, PodInfo>>();
  private readonly nodeOf = new Map<string, string>();

  nominatedFor(node: string): PodInfo[] {
    const m = this.byNode.get(node);
    return m ? [...m.values()] : [];
  }

  nominatedNode(key: string): string | undefined {
    return this.nodeOf.get(key);
  }

  /** Records the nomination (or clears it with an empty node name). */
  set(pi: PodInfo, node: string | undefined): void {
    this.remove(pi.key);
    if (!node) return;
    let m = this.byNode.get(node);
    if (!m) this.byNode.set(node, (m = new Map()));
    m.set(pi.key, pi);
    this.nodeOf.set(pi.key, node);
  }

  /** A pending pod's new version: its status is the source of truth unless we nominated more recently. */
  observe(pi: PodInfo): void {
    const fromStatus = pi.pod.status?.nominatedNodeName;
    const current = this.nodeOf.get(pi.key);
    if (fromStatus) this.set(pi, fromStatus);
    else if (current) this.set(pi, current);
  }

  remove(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const m = this.byNode.get(node);
    m?.delete(key);
    if (m && !m.size) this.byNode.delete(node);
  }
}
