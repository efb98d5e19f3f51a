// Scheduling filters and scores over one pod and one node, with the reasons Kubernetes' plugins
// report (they make up the FailedScheduling message: `0/3 nodes are available: 1 Insufficient cpu, ...`).

import type { Node, Pod, Taint, Toleration } from '../api/types.js';
import { tryParseQuantity } from '../api/quantity.js';

export interface NodeInfo {
  node: Node;
  /** Pods bound to the node that still hold resources (not terminal). */
  pods: Pod[];
}

interface Resources {
  milliCpu: number;
  memory: number;
  pods: number;
}

function quantity(value: unknown, milli: boolean): number {
  const q = tryParseQuantity(value);
  if (!q) return 0;
  return milli ? q.milliValue() : q.value();
}

/** Effective requests of a pod: max(largest init container, sum of regular + sidecars), as the scheduler computes. */
export function podRequests(pod: Pod): { milliCpu: number; memory: number } {
  const sum = { milliCpu: 0, memory: 0 };
  for (const c of pod.spec.containers) {
    sum.milliCpu += quantity(c.resources?.requests?.cpu, true);
    sum.memory += quantity(c.resources?.requests?.memory, false);
  }
  let sidecars = { milliCpu: 0, memory: 0 };
  const init = { milliCpu: 0, memory: 0 };
  for (const c of pod.spec.initContainers ?? []) {
    const cpu = quantity(c.resources?.requests?.cpu, true);
    const mem = quantity(c.resources?.requests?.memory, false);
    if (c.restartPolicy === 'Always') {
      sidecars = { milliCpu: sidecars.milliCpu + cpu, memory: sidecars.memory + mem };
      continue;
    }
    init.milliCpu = Math.max(init.milliCpu, sidecars.milliCpu + cpu);
    init.memory = Math.max(init.memory, sidecars.memory + mem);
  }
  return {
    milliCpu: Math.max(sum.milliCpu + sidecars.milliCpu, init.milliCpu),
    memory: Math.max(sum.memory + sidecars.memory, init.memory),
  };
}

function allocatable(node: Node): Resources {
  const a = node.status?.allocatable ?? {};
  return { milliCpu: quantity(a.cpu ?? '0', true), memory: quantity(a.memory ?? '0', false), pods: quantity(a.pods ?? '0', false) };
}

function used(info: NodeInfo): Resources {
  const r = { milliCpu: 0, memory: 0, pods: info.pods.length };
  for (const p of info.pods) {
    const req = podRequests(p);
    r.milliCpu += req.milliCpu;
    r.memory += req.memory;
  }
  return r;
}

export function tolerates(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}
interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && (r.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(r.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(r.values?.[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(r.values?.[0]);
  }
}

function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  return exprs.every((r) => requirementMatches(r, labels[r.key])) && fields.every((r) => requirementMatches(r, r.key === 'metadata.name' ? node.metadata.name : undefined));
}

function matchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = (pod.spec.affinity as { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } } | undefined)?.nodeAffinity
    ?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return (required.nodeSelectorTerms ?? []).some((t) => termMatches(t, node));
  return true;
}

function hostPorts(pod: Pod): string[] {
  const out: string[] = [];
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`${p.protocol ?? 'TCP'}/${p.hostIP || '0.0.0.0'}/${p.hostPort}`);
  }
  return out;
}

function portsConflict(a: string, b: string): boolean {
  const [pa, ia, na] = a.split('/');
  const [pb, ib, nb] = b.split('/');
  return pa === pb && na === nb && (ia === ib || ia === '0.0.0.0' || ib === '0.0.0.0');
}

/** Why the pod cannot run on the node (the reasons counted in FailedScheduling), empty if it fits. */
export function unfitReasons(pod: Pod, info: NodeInfo): string[] {
  const node = info.node;
  const reasons: string[] = [];
  if (pod.spec.nodeName && pod.spec.nodeName !== node.metadata.name) return ["node(s) didn't match the requested node name"];
  if (node.spec?.unschedulable && !tolerates(pod.spec.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) {
    return ['node(s) were unschedulable'];
  }
  if (!matchesNodeSelectorAndAffinity(pod, node)) reasons.push("node(s) didn't match Pod's node affinity/selector");
  const untolerated = (node.spec?.taints ?? []).find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(pod.spec.tolerations, t));
  if (untolerated) {
    reasons.push(`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`);
  }
  const want = podRequests(pod);
  const have = allocatable(node);
  const taken = used(info);
  if (taken.pods + 1 > have.pods) reasons.push('Too many pods');
  if (want.milliCpu > 0 && taken.milliCpu + want.milliCpu > have.milliCpu) reasons.push('Insufficient cpu');
  if (want.memory > 0 && taken.memory + want.memory > have.memory) reasons.push('Insufficient memory');
  const ports = hostPorts(pod);
  if (ports.length) {
    const inUse = info.pods.flatMap(hostPorts);
    if (ports.some((p) => inUse.some((q) => portsConflict(p, q)))) reasons.push("node(s) didn't have free ports for the requested pod ports");
  }
  return reasons;
}

/** LeastAllocated + BalancedAllocation, 0–200: higher is better. */
export function score(pod: Pod, info: NodeInfo): number {
  const want = podRequests(pod);
  const have = allocatable(info.node);
  const taken = used(info);
  const cpuFrac = have.milliCpu ? (taken.milliCpu + want.milliCpu) / have.milliCpu : 1;
  const memFrac = have.memory ? (taken.memory + want.memory) / have.memory : 1;
  const least = ((1 - Math.min(1, cpuFrac)) + (1 - Math.min(1, memFrac))) * 50;
  const balanced = (1 - Math.abs(cpuFrac - memFrac)) * 100;
  return least + balanced;
}
