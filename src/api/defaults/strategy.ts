// What the registry strategies do to an object around defaulting and before validation:
// status and spec belong to different endpoints, generation counts spec changes, and a Service
// update keeps the addresses and ports already allocated to it.

import type { KubeObject } from '../types.js';
import { deepEqual } from '../validation/field.js';

type Rec = Record<string, unknown>;
const isObject = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Kinds whose spec changes bump metadata.generation (Pods since 1.33). */
const GENERATION_KINDS = new Set([
  'v1/Pod',
  'apps/v1/Deployment',
  'apps/v1/ReplicaSet',
  'apps/v1/DaemonSet',
  'batch/v1/Job',
  'batch/v1/CronJob',
  'policy/v1/PodDisruptionBudget',
]);
/** Kinds served with a status subresource: their main endpoint ignores status, and vice versa. */
const STATUS_KINDS = new Set([...GENERATION_KINDS, 'v1/Namespace', 'v1/Node', 'v1/Service']);

const kindKey = (obj: KubeObject) => `${obj.apiVersion}/${obj.kind}`;

/** Create: controllers' objects start at generation 1 with an empty status. */
export function prepareWorkloadForCreate(obj: KubeObject): void {
  obj.metadata.generation = 1;
  obj.status = {};
}

/** Update through the main endpoint. */
export function prepareForUpdate(obj: KubeObject, old: KubeObject): void {
  const key = kindKey(obj);
  if (STATUS_KINDS.has(key)) {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
  }
  if (key === 'v1/Namespace') {
    const spec = (obj.spec = isObject(obj.spec) ? obj.spec : {});
    spec.finalizers = isObject(old.spec) ? old.spec.finalizers : undefined;
    if (spec.finalizers === undefined) delete spec.finalizers;
  }
  if (key === 'v1/Service') keepServiceAllocations(obj, old);
  if (GENERATION_KINDS.has(key)) {
    const oldGeneration = old.metadata.generation ?? 0;
    obj.metadata.generation = deepEqual(obj.spec, old.spec) ? oldGeneration : oldGeneration + 1;
  }
}

/**
 * Update through /status: only the status changes, and labels and annotations (as Kubernetes'
 * ResetObjectMetaForStatus allows); spec and the rest of metadata stay as stored.
 */
export function prepareForStatusUpdate(obj: KubeObject, old: KubeObject, copyOfOld: () => KubeObject = () => structuredClone(old)): void {
  const status = obj.status;
  const { labels, annotations, managedFields } = obj.metadata;
  for (const k of Object.keys(obj)) delete obj[k];
  Object.assign(obj, copyOfOld());
  const meta = obj.metadata;
  if (labels === undefined) delete meta.labels;
  else meta.labels = labels;
  if (annotations === undefined) delete meta.annotations;
  else meta.annotations = annotations;
  if (managedFields === undefined) delete meta.managedFields;
  else meta.managedFields = managedFields;
  if (status === undefined) delete obj.status;
  else obj.status = status;
}

/**
 * An update body that leaves out the cluster IPs, node ports or health-check port keeps the
 * values already allocated (the service REST's patchAllocatedValues).
 */
export function keepServiceAllocations(svc: KubeObject, old: KubeObject): void {
  const spec = (svc.spec = isObject(svc.spec) ? svc.spec : {});
  const oldSpec = isObject(old.spec) ? old.spec : {};
  if (spec.type !== 'ExternalName' && oldSpec.type !== 'ExternalName') {
    if (!spec.clusterIP && oldSpec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
    if (ips.length === 0 && Array.isArray(oldSpec.clusterIPs) && oldSpec.clusterIPs.length > 0) spec.clusterIPs = oldSpec.clusterIPs;
  }
  const needsNodePort = (s: Rec) => s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
  if (needsNodePort(spec) && needsNodePort(oldSpec)) {
    const ports = (list: unknown) => (Array.isArray(list) ? list.filter(isObject) : []);
    const usedNow = new Set(ports(spec.ports).map((p) => p.nodePort).filter(Boolean));
    const byName = new Map(ports(oldSpec.ports).map((p) => [String(p.name ?? ''), p.nodePort]));
    for (const p of ports(spec.ports)) {
      if (p.nodePort) continue;
      const previous = byName.get(String(p.name ?? ''));
      if (previous && !usedNow.has(previous)) p.nodePort = previous;
    }
  }
  if (spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local' && !spec.healthCheckNodePort && oldSpec.healthCheckNodePort) {
    spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  }
}
