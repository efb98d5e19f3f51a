// The Endpoints a Service should have (pkg/controller/endpoint syncService): one address per
// selected pod with an IP, ready or not ready by the pod's Ready condition (all ready with
// publishNotReadyAddresses), ports resolved per pod, then repacked into subsets of addresses that
// share the same ports.

import type { Pod } from '../../api/types.js';
import {
  endpointHostname,
  findPort,
  isPodReady,
  podAddresses,
  podReference,
  serviceFamily,
  shouldPodBeInEndpoints,
  isHeadless,
  type Service,
} from '../services.js';

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; namespace: string; name: string; uid: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** Endpoints keeps at most this many addresses; the rest are truncated (and annotated). */
export const MAX_ENDPOINTS_CAPACITY = 1000;

export function desiredSubsets(service: Service, pods: Pod[]): EndpointSubset[] {
  const tolerateUnready = service.spec.publishNotReadyAddresses === true;
  const family = serviceFamily(service);
  // address key → the address, its readiness and its ports
  const entries = new Map<string, { address: EndpointAddress; ready: boolean; ports: Map<string, EndpointPort> }>();
  const add = (address: EndpointAddress, ready: boolean, port: EndpointPort | undefined) => {
    const key = `${address.ip}/${ready}`;
    let entry = entries.get(key);
    if (!entry) entries.set(key, (entry = { address, ready, ports: new Map() }));
    if (port) entry.ports.set(portKey(port), port);
  };

  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ready = tolerateUnready || isPodReady(pod);
    for (const ip of podAddresses(pod, family)) {
      const address: EndpointAddress = { ip };
      const hostname = endpointHostname(pod, service);
      if (hostname) address.hostname = hostname;
      if (pod.spec.nodeName) address.nodeName = pod.spec.nodeName;
      address.targetRef = podReference(pod);
      const ports = service.spec.ports ?? [];
      if (ports.length === 0) {
        if (isHeadless(service)) add(address, ready, undefined);
        continue;
      }
      for (const sp of ports) {
        const port = findPort(pod, sp);
        if (port === undefined) continue;
        add(address, ready, {
          ...(sp.name ? { name: sp.name } : {}),
          port,
          protocol: sp.protocol ?? 'TCP',
          ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
        });
      }
    }
  }
  return repack([...entries.values()]);
}

function portKey(p: EndpointPort): string {
  return `${p.name ?? ''}/${p.port}/${p.protocol}/${p.appProtocol ?? ''}`;
}

/** endpoints.RepackSubsets: addresses grouped by their set of ports, everything sorted. */
function repack(entries: { address: EndpointAddress; ready: boolean; ports: Map<string, EndpointPort> }[]): EndpointSubset[] {
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const e of entries) {
    const ports = [...e.ports.values()].sort(comparePorts);
    const key = ports.map(portKey).join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    (e.ready ? g.ready : g.notReady).push(e.address);
  }
  const subsets: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const subset: EndpointSubset = {};
    if (g.ready.length) subset.addresses = g.ready.sort(compareAddresses);
    if (g.notReady.length) subset.notReadyAddresses = g.notReady.sort(compareAddresses);
    if (g.ports.length) subset.ports = g.ports;
    subsets.push(subset);
  }
  return subsets.sort((a, b) => subsetKey(a).localeCompare(subsetKey(b)));
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return portKey(a).localeCompare(portKey(b));
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return a.ip.localeCompare(b.ip) || (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '');
}

function subsetKey(s: EndpointSubset): string {
  return (s.ports ?? []).map(portKey).join(',');
}

/** Keeps the first MAX_ENDPOINTS_CAPACITY addresses, ready ones first (as the controller truncates). */
export function truncateSubsets(subsets: EndpointSubset[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  if (total <= MAX_ENDPOINTS_CAPACITY) return { subsets, truncated: false };
  let room = MAX_ENDPOINTS_CAPACITY;
  const take = (list: EndpointAddress[] | undefined) => {
    if (!list) return undefined;
    const kept = list.slice(0, Math.max(0, room));
    room -= kept.length;
    return kept.length ? kept : undefined;
  };
  const ready = subsets.map((s) => take(s.addresses));
  const notReady = subsets.map((s) => take(s.notReadyAddresses));
  const out: EndpointSubset[] = [];
  subsets.forEach((s, i) => {
    if (!ready[i] && !notReady[i]) return;
    out.push({ ...(ready[i] ? { addresses: ready[i] } : {}), ...(notReady[i] ? { notReadyAddresses: notReady[i] } : {}), ...(s.ports ? { ports: s.ports } : {}) });
  });
  return { subsets: out, truncated: true };
}
