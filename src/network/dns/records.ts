// The records the Kubernetes DNS specification (kubernetes/dns docs/specification.md, 1.1.0)
// gives a Service and a pod, derived from the objects alone:
//   ClusterIP  <svc>.<ns>.svc.<zone> A/AAAA <cluster IPs>; SRV _<port>._<proto>.<svc>... for named
//              ports, target the Service name; PTR for each cluster IP.
//   headless   <svc>.<ns>.svc.<zone> A/AAAA per ready endpoint; <host>.<svc>.<ns>.svc.<zone> per
//              endpoint, host = its hostname or its dashed address; SRV per named port and
//              endpoint, target the endpoint's name; PTR per endpoint address.
//   External   <svc>.<ns>.svc.<zone> CNAME <externalName>.
//   pods       <a-b-c-d>.<ns>.pod.<zone> A <address>.

import type { Pod } from '../../api/types.js';
import type { Service } from '../../controllers/services.js';
import type { ZoneRecord } from './zone.js';

export interface SliceView {
  addressType?: string;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean | null }; hostname?: string }[] | null;
  ports?: { name?: string; port?: number; protocol?: string }[] | null;
}

export function serviceRecords(service: Service, slices: SliceView[], zone: string): ZoneRecord[] {
  const ns = service.metadata.namespace!;
  const name = `${service.metadata.name}.${ns}.svc.${zone}`;
  const spec = service.spec;
  if (spec.type === 'ExternalName') {
    return spec.externalName ? [{ name, type: 'CNAME', data: spec.externalName.replace(/\.$/, '') }] : [];
  }
  const out: ZoneRecord[] = [];
  if (spec.clusterIP && spec.clusterIP !== 'None') {
    const ips = spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP];
    for (const ip of ips) {
      out.push({ name, type: family(ip), data: ip });
      out.push({ name: reverseName(ip), type: 'PTR', data: name });
    }
    for (const p of spec.ports ?? []) {
      if (!p.name) continue;
      out.push({ name: srvName(p.name, p.protocol, name), type: 'SRV', data: { priority: 0, weight: 100, port: p.port, target: name } });
    }
    return out;
  }
  // Headless: the ready endpoints themselves (publishNotReadyAddresses already made them ready).
  const hosts: { host: string; ip: string; ports: SliceView['ports'] }[] = [];
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses) hosts.push({ host: ep.hostname || dashed(ip), ip, ports: slice.ports });
    }
  }
  const seen = new Set<string>();
  const srvs: { name: string; port: number; target: string }[] = [];
  for (const h of hosts) {
    const hostName = `${h.host}.${name}`;
    const key = `${hostName}/${h.ip}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name, type: family(h.ip), data: h.ip });
    out.push({ name: hostName, type: family(h.ip), data: h.ip });
    out.push({ name: reverseName(h.ip), type: 'PTR', data: hostName });
    for (const p of h.ports ?? []) {
      if (p.name && p.port) srvs.push({ name: srvName(p.name, p.protocol, name), port: p.port, target: hostName });
    }
  }
  const perName = new Map<string, number>();
  for (const s of srvs) perName.set(s.name, (perName.get(s.name) ?? 0) + 1);
  for (const s of srvs) {
    const weight = Math.max(1, Math.floor(100 / perName.get(s.name)!));
    out.push({ name: s.name, type: 'SRV', data: { priority: 0, weight, port: s.port, target: s.target } });
  }
  return out;
}

export function podRecords(pod: Pod, zone: string): ZoneRecord[] {
  if (pod.spec.hostNetwork) return [];
  const ips = pod.status?.podIPs?.length ? pod.status.podIPs.map((p) => p.ip) : pod.status?.podIP ? [pod.status.podIP] : [];
  return ips.map((ip) => ({ name: `${dashed(ip)}.${pod.metadata.namespace}.pod.${zone}`, type: family(ip), data: ip }));
}

/** The zone's fixed records: the schema version (and, when known, where the DNS service is). */
export function zoneRecords(zone: string, dnsServiceIP?: string): ZoneRecord[] {
  const out: ZoneRecord[] = [{ name: `dns-version.${zone}`, type: 'TXT', data: ['1.1.0'] }];
  out.push({ name: zone, type: 'NS', data: `ns.dns.${zone}` });
  if (dnsServiceIP) out.push({ name: `ns.dns.${zone}`, type: family(dnsServiceIP), data: dnsServiceIP });
  return out;
}

function srvName(port: string, protocol: string | undefined, service: string): string {
  return `_${port}._${(protocol ?? 'TCP').toLowerCase()}.${service}`;
}

function family(ip: string): 'A' | 'AAAA' {
  return ip.includes(':') ? 'AAAA' : 'A';
}

/** 10.1.2.3 → 10-1-2-3; fd00::1 → fd00--1 (as the specification names pods and endpoints). */
export function dashed(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

/** The in-addr.arpa / ip6.arpa name of an address. */
export function reverseName(ip: string): string {
  if (!ip.includes(':')) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const [head = '', tail = ''] = ip.split('::');
  const groups = (s: string) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const full = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => g.padStart(4, '0')).join('');
  return `${[...full].reverse().join('.')}.ip6.arpa`;
}
