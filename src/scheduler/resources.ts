// Resource accounting as the scheduler does it: a pod's effective requests (containers, init
// containers, sidecars, overhead), the "non-zero" requests used for scoring (100m cpu / 200Mi memory
// for containers that request nothing), and a node's allocatable.

import type { Container, Node, Pod } from '../api/types.js';
import { tryParseQuantity } from '../api/quantity.js';

/** Requests assumed for scoring when a container does not set them (pkg/scheduler/util). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface Resource {
  milliCpu: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended resources, hugepages, attachable volumes: by name. */
  scalar: Map<string, number>;
}

export function emptyResource(): Resource {
  return { milliCpu: 0, memory: 0, ephemeralStorage: 0, scalar: new Map() };
}

/** Extended (domain-qualified), hugepages-* and attachable-volumes-* resources are counted by name. */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  return name.includes('/') && !name.startsWith('requests.');
}

function amount(name: string, value: unknown): number {
  const q = tryParseQuantity(value);
  if (!q) return 0;
  return name === 'cpu' ? q.milliValue() : q.value();
}

function fromList(list: Record<string, string | number> | undefined, nonZero: boolean): Resource {
  const r = emptyResource();
  const entries = list ?? {};
  for (const [name, value] of Object.entries(entries)) addNamed(r, name, amount(name, value));
  if (nonZero) {
    if (!('cpu' in entries)) r.milliCpu = DEFAULT_MILLI_CPU_REQUEST;
    if (!('memory' in entries)) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

function addNamed(r: Resource, name: string, v: number): void {
  if (name === 'cpu') r.milliCpu += v;
  else if (name === 'memory') r.memory += v;
  else if (name === 'ephemeral-storage') r.ephemeralStorage += v;
  else if (isScalarResourceName(name)) r.scalar.set(name, (r.scalar.get(name) ?? 0) + v);
}

export function addResource(into: Resource, r: Resource, sign = 1): void {
  into.milliCpu += sign * r.milliCpu;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [k, v] of r.scalar) {
    const next = (into.scalar.get(k) ?? 0) + sign * v;
    if (next === 0) into.scalar.delete(k);
    else into.scalar.set(k, next);
  }
}

function maxInto(into: Resource, r: Resource): void {
  into.milliCpu = Math.max(into.milliCpu, r.milliCpu);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of r.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v));
}

function cloneResource(r: Resource): Resource {
  return { ...r, scalar: new Map(r.scalar) };
}

/**
 * The pod's requests as k8s.io/component-helpers PodRequests computes them: the sum of the regular
 * containers and sidecars, or the largest init container (plus the sidecars started before it) if
 * larger, plus spec.overhead. With `nonZero`, containers missing a cpu/memory request count the defaults.
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const sum = emptyResource();
  for (const c of pod.spec.containers) addResource(sum, containerRequests(c, nonZero));
  const sidecars = emptyResource();
  const init = emptyResource();
  for (const c of pod.spec.initContainers ?? []) {
    const req = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      addResource(sum, req);
      addResource(sidecars, req);
      continue;
    }
    const withSidecars = cloneResource(sidecars);
    addResource(withSidecars, req);
    maxInto(init, withSidecars);
  }
  maxInto(sum, init);
  const overhead = pod.spec.overhead as Record<string, string> | undefined;
  if (overhead) addResource(sum, fromList(overhead, false));
  return sum;
}

function containerRequests(c: Container, nonZero: boolean): Resource {
  return fromList(c.resources?.requests, nonZero);
}

export interface Allocatable extends Resource {
  pods: number;
}

export function nodeAllocatable(node: Node): Allocatable {
  const list = node.status?.allocatable ?? {};
  const r = fromList(list, false) as Allocatable;
  r.pods = amount('pods', list.pods ?? 0);
  return r;
}

export function isZero(r: Resource): boolean {
  if (r.milliCpu || r.memory || r.ephemeralStorage) return false;
  for (const v of r.scalar.values()) if (v) return false;
  return true;
}
