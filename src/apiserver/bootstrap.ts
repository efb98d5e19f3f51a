// What every cluster has from its first second: the system namespaces and the `kubernetes`
// Service with its endpoints (the API server's own post-start work).

import type { KubeObject } from '../api/types.js';
import { ApiError } from '../api/errors.js';
import type { Registry, WriteContext } from './registry.js';

const SYSTEM: WriteContext = { user: { name: 'system:apiserver', groups: ['system:masters'] }, dryRun: false, fieldManager: 'kube-apiserver', warnings: [] };

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

async function ensure(registry: Registry, apiVersion: string, kind: string, namespace: string, obj: KubeObject): Promise<void> {
  const info = registry.resourceByKind(apiVersion, kind);
  if (await registry.current(info, namespace, obj.metadata.name!)) return;
  try {
    await registry.create(info, namespace, { apiVersion, kind, ...obj }, { ...SYSTEM, warnings: [] });
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}

export async function bootstrap(registry: Registry, apiServer: { host: string; port: number }): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) await ensure(registry, 'v1', 'Namespace', '', { metadata: { name } });
  await ensure(registry, 'v1', 'Service', 'default', {
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: registry.allocators.apiServiceIP,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: apiServer.port }],
      sessionAffinity: 'None',
    },
  });
  // Endpoints may not name loopback addresses: a server bound to loopback only has none to publish.
  if (isLoopback(apiServer.host)) return;
  const endpointsInfo = registry.resourceByKind('v1', 'Endpoints');
  const subsets = [{ addresses: [{ ip: apiServer.host }], ports: [{ name: 'https', port: apiServer.port, protocol: 'TCP' }] }];
  await registry.guaranteedUpdate(endpointsInfo, 'default', 'kubernetes', { ...SYSTEM, warnings: [] }, (current) => {
    const next = current ?? { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } } };
    next.subsets = subsets;
    return next;
  }, { allowCreate: true });
  const sliceInfo = registry.resourceByKind('discovery.k8s.io/v1', 'EndpointSlice');
  await registry.guaranteedUpdate(sliceInfo, 'default', 'kubernetes', { ...SYSTEM, warnings: [] }, (current) => {
    const next = current ?? {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    };
    next.addressType = 'IPv4';
    next.endpoints = [{ addresses: [apiServer.host], conditions: { ready: true } }];
    next.ports = [{ name: 'https', port: apiServer.port, protocol: 'TCP' }];
    return next;
  }, { allowCreate: true });
}

function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1' || host === 'localhost';
}
