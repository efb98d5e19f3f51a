// The garbage collector's dependency graph (pkg/controller/garbagecollector/graph.go): one node
// per observed object, by uid, with edges to its owners and from them to their dependents. Owners
// referenced but never observed exist only as uids in the dependents map until seen.

import type { KubeObject, OwnerReference } from '../../api/types.js';
import type { ResourceInfo } from '../../api/resources.js';

export interface GraphNode {
  uid: string;
  info: ResourceInfo;
  namespace: string;
  name: string;
  owners: OwnerReference[];
  beingDeleted: boolean;
  /** Has the foregroundDeletion finalizer and a deletionTimestamp. */
  deletingDependents: boolean;
  /** Has the orphan finalizer and a deletionTimestamp. */
  orphaning: boolean;
}

export class DependencyGraph {
  readonly nodes = new Map<string, GraphNode>();
  /** owner uid → dependent uids; kept for owners not (yet) observed too. */
  private readonly dependentsOf = new Map<string, Set<string>>();

  /** Records the object; returns the node and the owners it no longer has or newly has. */
  upsert(info: ResourceInfo, obj: KubeObject): { node: GraphNode; ownersChanged: boolean; previous?: GraphNode } {
    const uid = obj.metadata.uid!;
    const previous = this.nodes.get(uid);
    const owners = obj.metadata.ownerReferences ?? [];
    const finalizers = obj.metadata.finalizers ?? [];
    const deleting = obj.metadata.deletionTimestamp !== undefined;
    const node: GraphNode = {
      uid,
      info,
      namespace: obj.metadata.namespace ?? '',
      name: obj.metadata.name!,
      owners,
      beingDeleted: deleting,
      deletingDependents: deleting && finalizers.includes('foregroundDeletion'),
      orphaning: deleting && finalizers.includes('orphan'),
    };
    const before = new Set((previous?.owners ?? []).map((o) => o.uid));
    const after = new Set(owners.map((o) => o.uid));
    for (const o of before) if (!after.has(o)) this.unlink(o, uid);
    for (const o of after) if (!before.has(o)) this.link(o, uid);
    this.nodes.set(uid, node);
    const ownersChanged = !previous || JSON.stringify(previous.owners) !== JSON.stringify(owners);
    return { node, ownersChanged, ...(previous ? { previous } : {}) };
  }

  remove(uid: string): GraphNode | undefined {
    const node = this.nodes.get(uid);
    if (!node) return undefined;
    for (const o of node.owners) this.unlink(o.uid, uid);
    this.nodes.delete(uid);
    return node;
  }

  dependents(uid: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const d of this.dependentsOf.get(uid) ?? []) {
      const n = this.nodes.get(d);
      if (n) out.push(n);
    }
    return out;
  }

  private link(owner: string, dependent: string): void {
    let s = this.dependentsOf.get(owner);
    if (!s) this.dependentsOf.set(owner, (s = new Set()));
    s.add(dependent);
  }

  private unlink(owner: string, dependent: string): void {
    const s = this.dependentsOf.get(owner);
    if (!s) return;
    s.delete(dependent);
    if (!s.size) this.dependentsOf.delete(owner);
  }
}
