// Rows of the networking kinds: Service, Endpoints, EndpointSlice.

import type { KubeObject } from '../types.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { NONE, formatLabels, listWithMore, since, text } from './format.js';
import type { Printer } from './types.js';

const SHOWN = 3;

interface ServicePort {
  port?: number;
  nodePort?: number;
  protocol?: string;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  externalIPs?: string[];
  externalName?: string;
  ports?: ServicePort[];
  selector?: Record<string, string>;
}

interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

function loadBalancerAddresses(service: KubeObject): string[] {
  const ingress = (service.status as { loadBalancer?: { ingress?: LoadBalancerIngress[] } } | undefined)?.loadBalancer
    ?.ingress;
  const set = new Set<string>();
  for (const i of ingress ?? []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  return [...set].sort();
}

function externalIP(service: KubeObject, spec: ServiceSpec): string {
  const external = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : NONE;
    case 'LoadBalancer': {
      const all = [...loadBalancerAddresses(service), ...external];
      if (all.length > 0) return all.join(',');
      return '<pending>';
    }
    case 'ExternalName':
      return text(spec.externalName);
    default:
      return '<unknown>';
  }
}

function ports(spec: ServiceSpec): string {
  const list = (spec.ports ?? []).map((p) =>
    p.nodePort && p.nodePort > 0 ? `${p.port ?? 0}:${p.nodePort}/${text(p.protocol)}` : `${p.port ?? 0}/${text(p.protocol)}`,
  );
  return list.length > 0 ? list.join(',') : NONE;
}

export const servicePrinter: Printer = {
  columns: [
    nameColumn,
    column('Type'),
    column('Cluster-IP'),
    column('External-IP'),
    column('Port(s)'),
    ageColumn,
    column('Selector', { priority: 1 }),
  ],
  cells(service, now) {
    const spec = (service.spec ?? {}) as ServiceSpec;
    const clusterIP = spec.clusterIPs?.[0] ?? (spec.clusterIP || NONE);
    return [
      text(service.metadata.name),
      text(spec.type),
      clusterIP,
      externalIP(service, spec),
      ports(spec),
      since(service.metadata.creationTimestamp, now),
      formatLabels(spec.selector),
    ];
  },
};

interface EndpointSubset {
  addresses?: { ip?: string }[];
  ports?: { port?: number }[];
}

/** `ip:port` for every ready address and port, three shown, then `+ N more...`. */
function formatEndpoints(subsets: EndpointSubset[] | undefined): string {
  if (!subsets || subsets.length === 0) return NONE;
  const list: string[] = [];
  let total = 0;
  for (const subset of subsets) {
    const addresses = subset.addresses ?? [];
    const portList = subset.ports ?? [];
    if (portList.length === 0) {
      // A headless service may have no ports: list the addresses alone.
      total += addresses.length;
      for (const a of addresses) {
        if (list.length === SHOWN) break;
        list.push(text(a.ip));
      }
      continue;
    }
    for (const port of portList) {
      total += addresses.length;
      for (const a of addresses) {
        if (list.length === SHOWN) break;
        list.push(hostPort(text(a.ip), port.port ?? 0));
      }
    }
  }
  const shown = list.join(',');
  return total > SHOWN && list.length === SHOWN ? `${shown} + ${total - SHOWN} more...` : shown;
}

/** net.JoinHostPort: IPv6 addresses in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export const endpointsPrinter: Printer = {
  columns: [nameColumn, column('Endpoints'), ageColumn],
  cells(ep, now) {
    const subsets = ep.subsets as EndpointSubset[] | undefined;
    return [text(ep.metadata.name), formatEndpoints(subsets), since(ep.metadata.creationTimestamp, now)];
  },
};

interface SlicePort {
  port?: number | null;
  name?: string | null;
}

function slicePorts(list: SlicePort[] | undefined): string {
  const shown: string[] = [];
  const all = list ?? [];
  for (const p of all) {
    if (shown.length === SHOWN) break;
    shown.push(typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*');
  }
  return listWithMore(shown, all.length, SHOWN);
}

function sliceEndpoints(list: { addresses?: string[] }[] | undefined): string {
  const shown: string[] = [];
  let total = 0;
  for (const endpoint of list ?? []) {
    for (const address of endpoint.addresses ?? []) {
      if (shown.length < SHOWN) shown.push(address);
      total++;
    }
  }
  return listWithMore(shown, total, SHOWN);
}

export const endpointSlicePrinter: Printer = {
  columns: [nameColumn, column('AddressType'), column('Ports'), column('Endpoints'), ageColumn],
  cells(slice, now) {
    return [
      text(slice.metadata.name),
      text(slice.addressType),
      slicePorts(slice.ports as SlicePort[] | undefined),
      sliceEndpoints(slice.endpoints as { addresses?: string[] }[] | undefined),
      since(slice.metadata.creationTimestamp, now),
    ];
  },
};
