// The scheduler cache: NodeInfo per node, updated incrementally from the pod and node informers
// and by assumed pods (placed on a node the moment the scheduler decides, before the binding lands),
// plus which nodes hold which images.

import type { Node, Pod } from '../api/types.js';
import { NodeInfo } from './nodeinfo.js';
import { newPodInfo, type PodInfo } from './podinfo.js';

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  /** pod key → node name it is accounted on */
  private readonly podNodes = new Map<string, string>();
  private readonly assumed = new Set<string>();
  /** image name → node name → size */
  private readonly images = new Map<string, Map<string, number>>();
  private list: NodeInfo[] | undefined;

  nodeInfos(): NodeInfo[] {
    this.list ??= [...this.nodes.values()].filter((n) => n.node).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.list;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    const n = this.nodes.get(name);
    return n?.node ? n : undefined;
  }

  imageState(name: string): { size: number; numNodes: number } | undefined {
    const byNode = this.images.get(name);
    if (!byNode?.size) return undefined;
    return { size: byNode.values().next().value as number, numNodes: byNode.size };
  }

  private info(name: string): NodeInfo {
    let n = this.nodes.get(name);
    if (!n) this.nodes.set(name, (n = new NodeInfo(name)));
    return n;
  }

  setNode(node: Node): void {
    const name = node.metadata.name!;
    const info = this.info(name);
    if (!info.node) this.list = undefined;
    this.setImages(name, info.node, node);
    info.setNode(node);
  }

  removeNode(name: string): void {
    const info = this.nodes.get(name);
    if (!info) return;
    this.setImages(name, info.node, undefined);
    info.setNode(undefined);
    if (!info.pods.size) this.nodes.delete(name);
    this.list = undefined;
  }

  private setImages(nodeName: string, before: Node | undefined, after: Node | undefined): void {
    for (const img of before?.status?.images ?? []) {
      for (const n of img.names ?? []) {
        const m = this.images.get(n);
        m?.delete(nodeName);
        if (m && !m.size) this.images.delete(n);
      }
    }
    for (const img of after?.status?.images ?? []) {
      for (const n of img.names ?? []) {
        let m = this.images.get(n);
        if (!m) this.images.set(n, (m = new Map()));
        m.set(nodeName, img.sizeBytes ?? 0);
      }
    }
  }

  /** An assigned pod from the informer (added or updated); terminal pods release their node. */
  setPod(pod: Pod): PodInfo | undefined {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    this.assumed.delete(key);
    this.removePod(key);
    if (!pod.spec.nodeName || isTerminal(pod)) return undefined;
    const pi = newPodInfo(pod);
    this.place(pi, pod.spec.nodeName);
    return pi;
  }

  private place(pi: PodInfo, nodeName: string): void {
    this.info(nodeName).addPod(pi);
    this.podNodes.set(pi.key, nodeName);
  }

  removePod(key: string): PodInfo | undefined {
    const nodeName = this.podNodes.get(key);
    if (nodeName === undefined) return undefined;
    this.podNodes.delete(key);
    this.assumed.delete(key);
    const info = this.nodes.get(nodeName);
    const pi = info?.removePod(key);
    if (info && !info.node && !info.pods.size) this.nodes.delete(nodeName);
    return pi;
  }

  /** Accounts the pod on the node it was just scheduled to, before its binding is observed. */
  assume(pi: PodInfo, nodeName: string): void {
    const pod: Pod = { ...pi.pod, spec: { ...pi.pod.spec, nodeName } };
    this.removePod(pi.key);
    this.place({ ...pi, pod }, nodeName);
    this.assumed.add(pi.key);
  }

  /** The binding failed: the assumed pod leaves its node. */
  forget(key: string): void {
    if (this.assumed.has(key)) this.removePod(key);
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  /** Where the pod is accounted (bound or assumed). */
  nodeOf(key: string): string | undefined {
    return this.podNodes.get(key);
  }
}
