// core/v1 defaulting for the non-pod kinds, and discovery/v1 EndpointSlice.

import { tryParseQuantity } from '../quantity.js';
import type { KubeObject } from '../types.js';

type Rec = Record<string, unknown>;
const isObject = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const unset = (v: unknown) => v === undefined || v === null;
const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

export function defaultNamespace(obj: KubeObject): void {
  const name = obj.metadata.name;
  if (name) obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
  const status = (obj.status = isObject(obj.status) ? obj.status : {});
  if (!status.phase) status.phase = 'Active';
}

/** The namespace strategy's create step: status Active and the `kubernetes` finalizer. */
export function prepareNamespaceForCreate(obj: KubeObject): void {
  obj.status = { phase: 'Active' };
  const spec = (obj.spec = isObject(obj.spec) ? obj.spec : {});
  const finalizers = Array.isArray(spec.finalizers) ? (spec.finalizers as string[]) : [];
  if (!finalizers.includes('kubernetes')) finalizers.push('kubernetes');
  spec.finalizers = finalizers;
}

export function defaultService(obj: KubeObject): void {
  const spec = (obj.spec = isObject(obj.spec) ? obj.spec : {});
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (!spec.type) spec.type = 'ClusterIP';
  for (const port of Array.isArray(spec.ports) ? spec.ports : []) {
    if (!isObject(port)) continue;
    if (!port.protocol) port.protocol = 'TCP';
    if (unset(port.targetPort) || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  const externalIPs = Array.isArray(spec.externalIPs) ? spec.externalIPs : [];
  const externallyAccessible =
    spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && externalIPs.length > 0);
  if (externallyAccessible && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (unset(spec.internalTrafficPolicy) && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type as string)) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer' && unset(spec.allocateLoadBalancerNodePorts)) spec.allocateLoadBalancerNodePorts = true;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = isObject(spec.sessionAffinityConfig) ? spec.sessionAffinityConfig : undefined;
    const clientIP = cfg && isObject(cfg.clientIP) ? cfg.clientIP : undefined;
    if (!clientIP || unset(clientIP.timeoutSeconds)) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } };
    }
  }
  if (spec.type !== 'ExternalName') {
    const clusterIPs = Array.isArray(spec.clusterIPs) ? (spec.clusterIPs as string[]) : [];
    if (typeof spec.clusterIP === 'string' && spec.clusterIP && clusterIPs.length === 0) spec.clusterIPs = [spec.clusterIP];
    else if (!spec.clusterIP && clusterIPs.length > 0) spec.clusterIP = clusterIPs[0];
    if (unset(spec.ipFamilyPolicy)) {
      const headlessWithoutSelector = spec.clusterIP === 'None' && Object.keys(isObject(spec.selector) ? spec.selector : {}).length === 0;
      spec.ipFamilyPolicy = headlessWithoutSelector ? 'RequireDualStack' : 'SingleStack';
    }
    if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) spec.ipFamilies = ['IPv4'];
  }
}

/** Secret type defaults to Opaque; `stringData` is folded into `data`, as the v1 conversion does. */
export function defaultSecret(obj: KubeObject): void {
  if (!obj.type) obj.type = 'Opaque';
  if (isObject(obj.stringData)) {
    const data = (obj.data = isObject(obj.data) ? obj.data : {});
    for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete obj.stringData;
  }
}

export function defaultNode(obj: KubeObject): void {
  const status = obj.status;
  if (!isObject(status)) return;
  for (const list of [status.capacity, status.allocatable]) {
    if (!isObject(list)) continue;
    for (const [k, v] of Object.entries(list)) {
      const q = tryParseQuantity(v);
      if (q) list[k] = q.toString();
    }
  }
  if (unset(status.allocatable) && isObject(status.capacity)) status.allocatable = { ...status.capacity };
}

export function defaultEndpoints(obj: KubeObject): void {
  for (const subset of Array.isArray(obj.subsets) ? obj.subsets : []) {
    if (!isObject(subset)) continue;
    for (const port of Array.isArray(subset.ports) ? subset.ports : []) if (isObject(port) && !port.protocol) port.protocol = 'TCP';
  }
}

export function defaultEndpointSlice(obj: KubeObject): void {
  for (const port of Array.isArray(obj.ports) ? obj.ports : []) {
    if (!isObject(port)) continue;
    if (unset(port.name)) port.name = '';
    if (unset(port.protocol)) port.protocol = 'TCP';
  }
}
