// The `kube-dns` Service of kube-system as clusters have it (ports dns/UDP and dns-tcp/TCP 53, a
// ClusterIP fixed in advance), pointing at this cluster's DNS server. The server is no pod, so the
// Service has no selector and its Endpoints and EndpointSlice are written here, as the API server
// writes the `kubernetes` Service's.

import type { KubeObject } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { ApiClient } from '../../client/client.js';
import type { Service } from '../../controllers/services.js';

const SERVICES = ApiClient.resourceOf('v1', 'Service');
const ENDPOINTS = ApiClient.resourceOf('v1', 'Endpoints');
const SLICES = ApiClient.resourceOf('discovery.k8s.io/v1', 'EndpointSlice');

export const DNS_NAMESPACE = 'kube-system';
export const DNS_SERVICE = 'kube-dns';
export const DNS_MANAGER = 'k8ts-cluster-dns';

export interface DnsEndpoint {
  clusterIP: string;
  /** The server's address (reachable from pods) and port. */
  address: string;
  port: number;
}

/** Creates or refreshes the Service and its endpoints; returns the Service's ClusterIP. */
export async function publishDnsService(client: ApiClient, dns: DnsEndpoint): Promise<string> {
  const labels = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' };
  let service = await client.get<Service>(SERVICES, DNS_NAMESPACE, DNS_SERVICE).catch(notFound);
  if (!service) {
    service = await client.create<Service>(SERVICES, DNS_NAMESPACE, {
      metadata: { name: DNS_SERVICE, labels },
      spec: {
        type: 'ClusterIP',
        clusterIP: dns.clusterIP,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        ],
      },
    });
  }
  const ports = [
    { name: 'dns', port: dns.port, protocol: 'UDP' },
    { name: 'dns-tcp', port: dns.port, protocol: 'TCP' },
  ];
  await Promise.all([
    upsert(client, ENDPOINTS, {
      metadata: { name: DNS_SERVICE, namespace: DNS_NAMESPACE, labels: { ...labels, 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: dns.address }], ports }],
    }),
    upsert(client, SLICES, {
      metadata: {
        name: DNS_SERVICE,
        namespace: DNS_NAMESPACE,
        labels: { ...labels, 'kubernetes.io/service-name': DNS_SERVICE, 'endpointslice.kubernetes.io/managed-by': DNS_MANAGER },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: DNS_SERVICE, uid: service.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      addressType: dns.address.includes(':') ? 'IPv6' : 'IPv4',
      endpoints: [{ addresses: [dns.address], conditions: { ready: true, serving: true, terminating: false } }],
      ports,
    }),
  ]);
  return service.spec.clusterIP!;
}

async function upsert(client: ApiClient, info: typeof SERVICES, obj: KubeObject): Promise<void> {
  const current = await client.get(info, obj.metadata.namespace!, obj.metadata.name!).catch(notFound);
  if (current) await client.update(info, { ...current, ...obj, metadata: { ...current.metadata, ...obj.metadata } });
  else await client.create(info, obj.metadata.namespace!, obj);
}

function notFound(err: unknown): undefined {
  if (err instanceof ApiError && err.code === 404) return undefined;
  throw err;
}

