// What the proxy must program, from Services and EndpointSlices (pkg/proxy's ServicePort and
// endpoint categorization): one entry per Service port with a cluster IP, the endpoints new
// connections may go to — the ready ones, or, when none is ready, the serving terminating ones
// (as kube-proxy falls back to) — and the NodePort when the Service has one.

import type { KubeObject } from '../../api/types.js';
import type { Service } from '../../controllers/services.js';

export interface SliceEndpoint {
  addresses: string[];
  nodeName?: string | null;
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
}

export interface EndpointSliceLike extends KubeObject {
  addressType?: string;
  endpoints?: SliceEndpoint[] | null;
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
}

export interface Endpoint {
  ip: string;
  port: number;
}

export interface ServicePortPlan {
  /** `<ns>/<name>:<port name>/<protocol>`: names the rules and chains. */
  key: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  clusterIPs: string[];
  port: number;
  nodePort?: number;
  /** ClientIP session affinity: a client keeps its endpoint for this long after its last packet. */
  affinitySeconds?: number;
  endpoints: Endpoint[];
  /** internalTrafficPolicy Local: ClusterIP traffic only to `localEndpoints`. */
  internalLocal?: boolean;
  /** externalTrafficPolicy Local: NodePort traffic from elsewhere only to `localEndpoints`, unmasqueraded. */
  externalLocal?: boolean;
  /** With either policy Local: the endpoints on this node (chosen as `endpoints` are). */
  localEndpoints?: Endpoint[];
}

export interface PlanExtras {
  /** This node's name: endpoints on it are local (traffic policies). */
  nodeName?: string;
  /** Endpoints for a Service port that has none in its slices (the loopback API server). */
  fallback?(service: Service, portName: string): Endpoint[] | undefined;
}

export function planService(service: Service, slices: EndpointSliceLike[], extras: PlanExtras = {}): ServicePortPlan[] {
  const spec = service.spec;
  if (spec.type === 'ExternalName' || !spec.clusterIP || spec.clusterIP === 'None') return [];
  const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP]).filter((ip) => !ip.includes(':'));
  if (clusterIPs.length === 0) return [];
  const out: ServicePortPlan[] = [];
  for (const sp of spec.ports ?? []) {
    const protocol = (sp.protocol ?? 'TCP').toLowerCase() as ServicePortPlan['protocol'];
    const name = sp.name ?? '';
    let endpoints = endpointsFor(slices, name, protocol);
    if (endpoints.length === 0) endpoints = extras.fallback?.(service, name) ?? [];
    const nodePort = (spec.type === 'NodePort' || spec.type === 'LoadBalancer') && sp.nodePort ? sp.nodePort : undefined;
    const internalLocal = spec.internalTrafficPolicy === 'Local';
    const externalLocal = spec.externalTrafficPolicy === 'Local' && nodePort !== undefined;
    const policies =
      internalLocal || externalLocal
        ? { ...(internalLocal ? { internalLocal } : {}), ...(externalLocal ? { externalLocal } : {}), localEndpoints: extras.nodeName ? endpointsFor(slices, name, protocol, extras.nodeName) : [] }
        : {};
    const affinitySeconds = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined;
    out.push({
      key: `${service.metadata.namespace}/${service.metadata.name}:${name}/${protocol}`,
      protocol,
      clusterIPs,
      port: sp.port,
      ...(nodePort ? { nodePort } : {}),
      ...(affinitySeconds ? { affinitySeconds } : {}),
      endpoints,
      ...policies,
    });
  }
  return out;
}

function endpointsFor(slices: EndpointSliceLike[], portName: string, protocol: string, onNode?: string): Endpoint[] {
  const ready = new Map<string, Endpoint>();
  const servingTerminating = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.addressType && slice.addressType !== 'IPv4') continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP').toLowerCase() === protocol);
    if (!port?.port) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses[0];
      if (!ip || (onNode !== undefined && ep.nodeName !== onNode)) continue;
      const isReady = ep.conditions?.ready ?? true;
      const serving = ep.conditions?.serving ?? isReady;
      const terminating = ep.conditions?.terminating ?? false;
      const endpoint = { ip, port: port.port };
      const key = `${ip}:${port.port}`;
      if (isReady) ready.set(key, endpoint);
      else if (serving && terminating) servingTerminating.set(key, endpoint);
    }
  }
  const chosen = ready.size ? ready : servingTerminating;
  return [...chosen.values()].sort((a, b) => a.ip.localeCompare(b.ip) || a.port - b.port);
}
