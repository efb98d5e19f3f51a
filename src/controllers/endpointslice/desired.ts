// The endpoints a Service's EndpointSlices should hold (pkg/controller/endpointslice reconciler):
// one endpoint per selected pod with an address of the Service's family, terminating pods
// included, conditions ready / serving / terminating, grouped by the ports the pod resolves the
// Service's ports to (a named targetPort can differ per pod), at most 100 endpoints per slice.

import type { Pod } from '../../api/types.js';
import {
  endpointHostname,
  findPort,
  isPodReady,
  podAddresses,
  podReference,
  serviceFamily,
  shouldPodBeInEndpoints,
  type Service,
} from '../services.js';

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  targetRef: { kind: string; namespace: string; name: string; uid: string };
  nodeName?: string;
}

export interface SlicePort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface SliceGroup {
  /** Identifies the port set (slices are reused only for the same one). */
  key: string;
  ports: SlicePort[];
  endpoints: SliceEndpoint[];
}

export const MAX_ENDPOINTS_PER_SLICE = 100;

export function podEndpoint(pod: Pod, service: Service): SliceEndpoint {
  const serving = isPodReady(pod);
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  // "ready" is never true for a terminating pod unless the Service publishes not-ready addresses.
  const ready = service.spec.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: SliceEndpoint = {
    addresses: podAddresses(pod, serviceFamily(service)),
    conditions: { ready, serving, terminating },
    targetRef: podReference(pod),
  };
  const hostname = endpointHostname(pod, service);
  if (hostname) ep.hostname = hostname;
  if (pod.spec.nodeName) ep.nodeName = pod.spec.nodeName;
  return ep;
}

export function portsKey(ports: SlicePort[]): string {
  return ports.map((p) => `${p.name}/${p.port}/${p.protocol}/${p.appProtocol ?? ''}`).join(',');
}

export function desiredGroups(service: Service, pods: Pod[]): SliceGroup[] {
  const groups = new Map<string, SliceGroup>();
  const family = serviceFamily(service);
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    if (podAddresses(pod, family).length === 0) continue;
    const ports: SlicePort[] = [];
    for (const sp of service.spec.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      ports.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    const key = portsKey(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, ports, endpoints: [] }));
    group.endpoints.push(podEndpoint(pod, service));
  }
  for (const g of groups.values()) g.endpoints.sort((a, b) => a.addresses[0]!.localeCompare(b.addresses[0]!) || a.targetRef.uid.localeCompare(b.targetRef.uid));
  return [...groups.values()];
}
