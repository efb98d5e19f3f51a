// What the Endpoints and EndpointSlice controllers agree on about a Service and its pods
// (k8s.io/kubernetes pkg/controller/util/endpoint and pkg/api/v1/pod): which pods back a
// Service, whether a pod is ready, and the port a pod serves a Service port on.

import type { KubeObject, Pod } from '../api/types.js';
import { parseLabelSelector, type LabelSelector } from '../api/selectors.js';

export interface ServicePort {
  name?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceSpec {
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  selector?: Record<string, string>;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: ('IPv4' | 'IPv6')[];
  ports?: ServicePort[];
  externalName?: string;
  publishNotReadyAddresses?: boolean;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  sessionAffinity?: 'None' | 'ClientIP';
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  internalTrafficPolicy?: 'Cluster' | 'Local';
}

export interface Service extends KubeObject {
  spec: ServiceSpec;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function isHeadless(service: Service): boolean {
  return service.spec.clusterIP === 'None';
}

/**
 * The selector whose pods back the Service; undefined when the controllers leave the Service
 * alone: ExternalName Services, and Services without a selector (their endpoints are the user's).
 */
export function podSelectorOf(service: Service): LabelSelector | undefined {
  if (service.spec.type === 'ExternalName') return undefined;
  const selector = service.spec.selector;
  if (!selector || Object.keys(selector).length === 0) return undefined;
  return parseLabelSelector(
    Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  );
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
}

/** endpointutil.ShouldPodBeInEndpoints: has an address, is not terminal, and (unless asked) is not terminating. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (!pod.status?.podIP && !(pod.status?.podIPs?.length)) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return !isPodTerminal(pod);
}

/** The pod's addresses of one family (the Service's first family, IPv4 by default). */
export function podAddresses(pod: Pod, family: 'IPv4' | 'IPv6' = 'IPv4'): string[] {
  const all = pod.status?.podIPs?.length ? pod.status.podIPs.map((p) => p.ip) : pod.status?.podIP ? [pod.status.podIP] : [];
  return all.filter((ip) => (family === 'IPv6') === ip.includes(':'));
}

export function serviceFamily(service: Service): 'IPv4' | 'IPv6' {
  return service.spec.ipFamilies?.[0] ?? 'IPv4';
}

/**
 * podutil.FindPort: a numeric targetPort as it is; a named one is the container port of that name
 * and protocol in the pod's containers or restartable (sidecar) init containers.
 */
export function findPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  const containers = [...pod.spec.containers, ...(pod.spec.initContainers ?? []).filter((c) => (c as { restartPolicy?: string }).restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** ShouldSetHostname: the pod names this Service as its subdomain and has a hostname. */
export function endpointHostname(pod: Pod, service: Service): string | undefined {
  const spec = pod.spec as { hostname?: string; subdomain?: string };
  if (spec.hostname && spec.subdomain === service.metadata.name && pod.metadata.namespace === service.metadata.namespace) return spec.hostname;
  return undefined;
}

export function podReference(pod: Pod): { kind: 'Pod'; namespace: string; name: string; uid: string } {
  return { kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! };
}

/**
 * The pods a Service selects in its namespace, from an informer's cache. The index maps a
 * namespace to its pods so that a sync costs the namespace's pods, not the cluster's.
 */
export class PodsByNamespace {
  private readonly byNamespace = new Map<string, Map<string, Pod>>();

  set(pod: Pod): void {
    const ns = pod.metadata.namespace!;
    let pods = this.byNamespace.get(ns);
    if (!pods) this.byNamespace.set(ns, (pods = new Map()));
    pods.set(pod.metadata.name!, pod);
  }

  delete(pod: Pod): void {
    const pods = this.byNamespace.get(pod.metadata.namespace!);
    pods?.delete(pod.metadata.name!);
    if (pods && pods.size === 0) this.byNamespace.delete(pod.metadata.namespace!);
  }

  selected(service: Service, selector: LabelSelector): Pod[] {
    const pods = this.byNamespace.get(service.metadata.namespace!);
    if (!pods) return [];
    return [...pods.values()].filter((p) => selector.matches(p.metadata.labels));
  }
}

/** The Services of a namespace whose selector matches labels (to know which to resync on a pod change). */
export function servicesSelecting(services: Iterable<Service>, namespace: string, labels: Record<string, string> | undefined): Service[] {
  const out: Service[] = [];
  for (const s of services) {
    if (s.metadata.namespace !== namespace) continue;
    const selector = podSelectorOf(s);
    if (selector && selector.matches(labels)) out.push(s);
  }
  return out;
}
