// Per-node accounting kept incrementally (framework.NodeInfo): the pods on the node, the sum of
// their requests (actual and non-zero), the host ports in use, and the pods carrying affinity terms.
// Adding or removing a pod costs O(its containers), never a recomputation over the node.

import type { Node, Taint } from '../api/types.js';
import { addResource, emptyResource, nodeAllocatable, type Allocatable, type Resource } from './resources.js';
import type { HostPort, PodInfo } from './podinfo.js';

/** Host ports in use, by protocol/port, with a count per IP (a pod may be removed again). */
export class HostPortInfo {
  private readonly used = new Map<string, Map<string, number>>();

  add(p: HostPort): void {
    const k = `${p.protocol}/${p.port}`;
    let ips = this.used.get(k);
    if (!ips) this.used.set(k, (ips = new Map()));
    ips.set(p.ip, (ips.get(p.ip) ?? 0) + 1);
  }

  remove(p: HostPort): void {
    const k = `${p.protocol}/${p.port}`;
    const ips = this.used.get(k);
    if (!ips) return;
    const n = (ips.get(p.ip) ?? 0) - 1;
    if (n > 0) ips.set(p.ip, n);
    else ips.delete(p.ip);
    if (!ips.size) this.used.delete(k);
  }

  /** 0.0.0.0 conflicts with every IP on the same protocol and port. */
  conflicts(p: HostPort): boolean {
    const ips = this.used.get(`${p.protocol}/${p.port}`);
    if (!ips) return false;
    if (p.ip === '0.0.0.0') return ips.size > 0;
    return ips.has(p.ip) || ips.has('0.0.0.0');
  }

  clone(): HostPortInfo {
    const c = new HostPortInfo();
    for (const [k, ips] of this.used) c.used.set(k, new Map(ips));
    return c;
  }
}

function isTerminatingOrGone(node: Node): boolean {
  return !!node.metadata.deletionTimestamp;
}

/**
 * The taints the scheduler sees: the node's own, plus the not-ready / unreachable NoSchedule taint
 * the node lifecycle controller would set from the Ready condition (TaintNodesByCondition), when the
 * node does not carry it already.
 */
export function effectiveTaints(node: Node): Taint[] {
  const taints = node.spec?.taints ?? [];
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True' || isTerminatingOrGone(node)) return taints;
  const key = ready?.status === 'Unknown' ? 'node.kubernetes.io/unreachable' : 'node.kubernetes.io/not-ready';
  if (taints.some((t) => t.key === key && t.effect === 'NoSchedule')) return taints;
  return [...taints, { key, effect: 'NoSchedule' }];
}

export class NodeInfo {
  node: Node | undefined;
  allocatable: Allocatable = { ...emptyResource(), pods: 0 };
  taints: Taint[] = [];
  readonly pods = new Map<string, PodInfo>();
  readonly requested: Resource = emptyResource();
  readonly nonZeroRequested: Resource = emptyResource();
  usedPorts = new HostPortInfo();
  /** Pods with any affinity or anti-affinity term. */
  readonly podsWithAffinity = new Map<string, PodInfo>();
  /** Pods with required anti-affinity terms. */
  readonly podsWithRequiredAntiAffinity = new Map<string, PodInfo>();
  /** Bumped on every change; lets callers cache per-node derived values. */
  generation = 0;
  private memo = new Map<string, { generation: number; value: number }>();

  constructor(readonly name: string) {}

  setNode(node: Node | undefined): void {
    this.node = node;
    this.allocatable = node ? nodeAllocatable(node) : { ...emptyResource(), pods: 0 };
    this.taints = node ? effectiveTaints(node) : [];
    this.generation++;
  }

  get labels(): Record<string, string> {
    return this.node?.metadata.labels ?? {};
  }

  addPod(pi: PodInfo): void {
    if (this.pods.has(pi.key)) this.removePod(pi.key);
    this.pods.set(pi.key, pi);
    addResource(this.requested, pi.requests);
    addResource(this.nonZeroRequested, pi.nonZeroRequests);
    for (const p of pi.hostPorts) this.usedPorts.add(p);
    if (pi.requiredAffinity.length || pi.requiredAntiAffinity.length || pi.preferredAffinity.length || pi.preferredAntiAffinity.length) this.podsWithAffinity.set(pi.key, pi);
    if (pi.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity.set(pi.key, pi);
    this.generation++;
  }

  removePod(key: string): PodInfo | undefined {
    const pi = this.pods.get(key);
    if (!pi) return undefined;
    this.pods.delete(key);
    addResource(this.requested, pi.requests, -1);
    addResource(this.nonZeroRequested, pi.nonZeroRequests, -1);
    for (const p of pi.hostPorts) this.usedPorts.remove(p);
    this.podsWithAffinity.delete(key);
    this.podsWithRequiredAntiAffinity.delete(key);
    this.generation++;
    return pi;
  }

  /**
   * A per-node value derived from its pods (e.g. how many match a selector), recomputed only after
   * the node changed: scoring 5,000 pods then costs one recount per placement, not one per node.
   */
  memoized(key: string, compute: () => number): number {
    const hit = this.memo.get(key);
    if (hit && hit.generation === this.generation) return hit.value;
    const value = compute();
    if (this.memo.size > 256) this.memo.clear();
    this.memo.set(key, { generation: this.generation, value });
    return value;
  }

  /** A copy that can be changed (preemption's what-if, nominated pods) without touching the cache. */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.allocatable = this.allocatable;
    c.taints = this.taints;
    for (const [k, v] of this.pods) c.pods.set(k, v);
    addResource(c.requested, this.requested);
    addResource(c.nonZeroRequested, this.nonZeroRequested);
    c.usedPorts = this.usedPorts.clone();
    for (const [k, v] of this.podsWithAffinity) c.podsWithAffinity.set(k, v);
    for (const [k, v] of this.podsWithRequiredAntiAffinity) c.podsWithRequiredAntiAffinity.set(k, v);
    c.generation = this.generation;
    return c;
  }
}
