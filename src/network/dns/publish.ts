// The `kube-dns` Service of kube-system as clusters have it (ports dns/UDP and dns-tcp/TCP 53, a
// ClusterIP fixed in advance), and its endpoints: every node runs a DNS server of its own, and
// publishes it as one EndpointSlice of the Service named after the node, with the node's name on
// the endpoint. The Service has internalTrafficPolicy Local, so each node's service proxy sends
// its pods' queries to that node's server only (as NodeLocal DNSCache keeps them on the node).
// Nodes never write one shared object, so they cannot overwrite each other. The Service has no
// selector and no Endpoints object: the slices are the endpoints (kube-proxy and CoreDNS read
// only EndpointSlices; Endpoints is deprecated in 1.33).

import type { KubeObject } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { ApiClient } from '../../client/client.js';
import type { Service } from '../../controllers/services.js';
import { DNS_NAMESPACE, DNS_SERVICE, NODE_DNS_MANAGER, nodeDnsSliceName } from './names.js';

const SERVICES = ApiClient.resourceOf('v1', 'Service');
const SLICES = ApiClient.resourceOf('discovery.k8s.io/v1', 'EndpointSlice');
const ENDPOINTS = ApiClient.resourceOf('v1', 'Endpoints');
const NODES = ApiClient.resourceOf('v1', 'Node');

/** The single slice and Endpoints earlier versions wrote for the one DNS server of `k8ts up`. */
const LEGACY_MANAGER = 'k8ts-cluster-dns';
const LABELS = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' };

/**
 * Creates the Service when missing (its ClusterIP fixed in advance) and returns its ClusterIP. A
 * Service this module created earlier without the Local policy gets it; the single slice and
 * Endpoints of earlier versions are removed. Needs a client that may write Services (the control plane's).
 */
export async function ensureDnsService(client: ApiClient, clusterIP: string): Promise<string> {
  let service = await client.get<Service>(SERVICES, DNS_NAMESPACE, DNS_SERVICE).catch(notFound);
  if (!service) {
    service = await client
      .create<Service>(SERVICES, DNS_NAMESPACE, {
        metadata: { name: DNS_SERVICE, labels: LABELS },
        spec: {
          type: 'ClusterIP',
          clusterIP,
          internalTrafficPolicy: 'Local',
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
            { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          ],
        },
      } as Service)
      .catch(async (err: unknown) => {
        // Another server of the control plane created it meanwhile.
        if (err instanceof ApiError && err.code === 409) return client.get<Service>(SERVICES, DNS_NAMESPACE, DNS_SERVICE);
        throw err;
      });
  } else if (service.metadata.labels?.['k8s-app'] === 'kube-dns' && !service.spec.selector && service.spec.internalTrafficPolicy !== 'Local') {
    service = await client.update<Service>(SERVICES, { ...service, spec: { ...service.spec, internalTrafficPolicy: 'Local' } });
  }
  const legacy = await client.get<KubeObject>(SLICES, DNS_NAMESPACE, DNS_SERVICE).catch(notFound);
  if (legacy?.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === LEGACY_MANAGER) {
    await client.delete(SLICES, DNS_NAMESPACE, DNS_SERVICE).catch(notFound);
    await client.delete(ENDPOINTS, DNS_NAMESPACE, DNS_SERVICE).catch(notFound);
  }
  return service.spec.clusterIP!;
}

/** The Service's ClusterIP, or undefined when there is no kube-dns Service (read-only: any node may ask). */
export async function dnsServiceIP(client: ApiClient): Promise<string | undefined> {
  const service = await client.get<Service>(SERVICES, DNS_NAMESPACE, DNS_SERVICE).catch(notFound);
  const ip = service?.spec.clusterIP;
  return ip && ip !== 'None' ? ip : undefined;
}

export interface NodeDnsEndpoint {
  nodeName: string;
  /** The server's address (reachable from the node's pods) and port. */
  address: string;
  port: number;
}

/** The node's slice of the kube-dns Service (owned by its Node when known: deleting the Node collects it). */
export function nodeDnsSlice(ep: NodeDnsEndpoint, nodeUid?: string): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: nodeDnsSliceName(ep.nodeName),
      namespace: DNS_NAMESPACE,
      labels: { ...LABELS, 'kubernetes.io/service-name': DNS_SERVICE, 'endpointslice.kubernetes.io/managed-by': NODE_DNS_MANAGER },
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: ep.nodeName, uid: nodeUid }] } : {}),
    },
    addressType: ep.address.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [ep.address], nodeName: ep.nodeName, conditions: { ready: true, serving: true, terminating: false } }],
    ports: [
      { name: 'dns', port: ep.port, protocol: 'UDP' },
      { name: 'dns-tcp', port: ep.port, protocol: 'TCP' },
    ],
  } as KubeObject;
}

/**
 * Creates or replaces the node's slice. The Node, when already registered, becomes its owner, so
 * that a node deleted while its agent is down leaves no endpoint behind.
 */
export async function publishNodeDns(client: ApiClient, ep: NodeDnsEndpoint): Promise<void> {
  const node = await client.get<KubeObject>(NODES, '', ep.nodeName).catch(notFound);
  const slice = nodeDnsSlice(ep, node?.metadata.uid);
  for (let attempt = 0; ; attempt++) {
    const current = await client.get<KubeObject>(SLICES, DNS_NAMESPACE, slice.metadata.name!).catch(notFound);
    try {
      if (current) {
        const { ownerReferences: _, ...metadata } = current.metadata;
        await client.update(SLICES, { ...current, ...slice, metadata: { ...metadata, labels: slice.metadata.labels!, ...(slice.metadata.ownerReferences ? { ownerReferences: slice.metadata.ownerReferences } : {}) } });
      } else {
        await client.create(SLICES, DNS_NAMESPACE, slice);
      }
      return;
    } catch (err) {
      // A concurrent write of the same slice (a restarted agent racing its old self): read again.
      if (attempt < 3 && err instanceof ApiError && err.code === 409) continue;
      throw err;
    }
  }
}

/** Removes the node's slice (its server stops answering). */
export async function withdrawNodeDns(client: ApiClient, nodeName: string): Promise<void> {
  await client.delete(SLICES, DNS_NAMESPACE, nodeDnsSliceName(nodeName)).catch(notFound);
}

function notFound(err: unknown): undefined {
  if (err instanceof ApiError && err.code === 404) return undefined;
  throw err;
}
