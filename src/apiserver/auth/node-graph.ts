// Which node may read which object, kept up to date from the watch cache's pod events (the node
// authorizer's graph): pods bound to a node, and the secrets, config maps, claims and service
// accounts those pods name. Every question is a map lookup; nothing scans pods per request.

import type { Pod } from '../../api/types.js';
import type { CacheEvent, ResourceCache } from '../watch-cache.js';
import { podReferences } from './pod-references.js';

export type ReferenceKind = 'pod' | 'secret' | 'configmap' | 'persistentvolumeclaim' | 'serviceaccount';

interface Edges {
  node: string;
  uid: string | undefined;
  /** Ephemeral containers, the one part of a pod's references that can grow. */
  ephemeral: number;
  keys: string[];
}

const keyOf = (kind: ReferenceKind, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

export class NodeGraph {
  /** Object key → node name → how many of that node's pods reference it. */
  private readonly nodesOf = new Map<string, Map<string, number>>();
  /** Pod (namespace/name) → the edges it added. */
  private readonly podEdges = new Map<string, Edges>();

  /** Fills the graph from the pods in `pods` and follows its events from now on. */
  static follow(pods: ResourceCache): NodeGraph {
    const graph = new NodeGraph();
    for (const cached of pods.objects.values()) graph.setPod(cached.object as Pod);
    pods.watchers.add({
      deliver: (event: CacheEvent) => {
        if (event.type === 'DELETED') graph.removePod(event.current.object as Pod);
        else graph.setPod(event.current.object as Pod);
        return true;
      },
      close: () => {},
    });
    return graph;
  }

  /** Whether `node` runs a pod that is, or references, this object. */
  relates(node: string, kind: ReferenceKind, namespace: string, name: string): boolean {
    return (this.nodesOf.get(keyOf(kind, namespace, name))?.get(node) ?? 0) > 0;
  }

  /** The node a pod is bound to, if the graph knows the pod. */
  nodeOfPod(namespace: string, name: string): string | undefined {
    return this.podEdges.get(`${namespace}/${name}`)?.node;
  }

  setPod(pod: Pod): void {
    const namespace = pod.metadata.namespace ?? '';
    const id = `${namespace}/${pod.metadata.name}`;
    const node = pod.spec?.nodeName;
    const ephemeral = Array.isArray(pod.spec?.ephemeralContainers) ? pod.spec.ephemeralContainers.length : 0;
    // As upstream's graph populator: with the node and uid unchanged and no new ephemeral container, so are the references.
    const known = this.podEdges.get(id);
    if (known && node && known.node === node && known.uid === pod.metadata.uid && ephemeral <= known.ephemeral) return;
    this.removeEdges(id);
    if (!node) return;
    const refs = podReferences(pod);
    const keys = [keyOf('pod', namespace, pod.metadata.name!)];
    if (refs.serviceAccount) keys.push(keyOf('serviceaccount', namespace, refs.serviceAccount));
    for (const s of refs.secrets) keys.push(keyOf('secret', namespace, s));
    for (const c of refs.configMaps) keys.push(keyOf('configmap', namespace, c));
    for (const c of refs.claims) keys.push(keyOf('persistentvolumeclaim', namespace, c));
    for (const key of keys) {
      let nodes = this.nodesOf.get(key);
      if (!nodes) this.nodesOf.set(key, (nodes = new Map()));
      nodes.set(node, (nodes.get(node) ?? 0) + 1);
    }
    this.podEdges.set(id, { node, uid: pod.metadata.uid, ephemeral, keys });
  }

  removePod(pod: Pod): void {
    this.removeEdges(`${pod.metadata.namespace ?? ''}/${pod.metadata.name}`);
  }

  private removeEdges(id: string): void {
    const edges = this.podEdges.get(id);
    if (!edges) return;
    this.podEdges.delete(id);
    for (const key of edges.keys) {
      const nodes = this.nodesOf.get(key);
      if (!nodes) continue;
      const n = (nodes.get(edges.node) ?? 0) - 1;
      if (n > 0) nodes.set(edges.node, n);
      else nodes.delete(edges.node);
      if (nodes.size === 0) this.nodesOf.delete(key);
    }
  }
}
