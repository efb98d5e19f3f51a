// What every cluster has from its first second: the system namespaces and the `kubernetes`
// Service (the API server's own post-start work). Several API servers may start on one store at
// the same moment, so every step tolerates another server having done it first.

import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../api/types.js';
import { ApiError } from '../api/errors.js';
import type { Store } from '../store/types.js';
import { StoreError } from '../store/types.js';
import type { Registry, WriteContext } from './registry.js';

export const SYSTEM: WriteContext = { user: { name: 'system:apiserver', groups: ['system:masters'] }, dryRun: false, fieldManager: 'kube-apiserver', warnings: [] };

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const MAX_ATTEMPTS = 5;

/** Creates the object unless it exists; losing a race to another server counts as success. */
async function ensure(registry: Registry, apiVersion: string, kind: string, namespace: string, obj: KubeObject): Promise<void> {
  const info = registry.resourceByKind(apiVersion, kind);
  for (let attempt = 1; ; attempt++) {
    if (await registry.current(info, namespace, obj.metadata.name!)) return;
    try {
      await registry.create(info, namespace, { apiVersion, kind, ...structuredClone(obj) }, { ...SYSTEM, warnings: [] });
      return;
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'AlreadyExists') return;
      // A concurrent creator may have taken what this one needed (the Service's address): the
      // object then exists, which is all that was asked. Conflicts of allocation writes retry.
      if (await registry.current(info, namespace, obj.metadata.name!)) return;
      if (!(err instanceof ApiError && err.code === 409) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

export async function bootstrap(registry: Registry, apiServer: { port: number }): Promise<void> {
  await Promise.all(SYSTEM_NAMESPACES.map((name) => ensure(registry, 'v1', 'Namespace', '', { metadata: { name } })));
  await ensure(registry, 'v1', 'Service', 'default', {
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: registry.allocators.apiServiceIP,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: apiServer.port }],
      sessionAffinity: 'None',
    },
  });
}

/** Where the store remembers which cluster's keys it holds (outside the API's objects). */
export const CLUSTER_IDENTITY_KEY = '/k8ts/cluster-identity';

export interface ClusterIdentity {
  /** SHA-256 of the cluster CA's certificate (DER), as kubeadm's CA hash pins it. */
  caCertHash: string;
  /** SHA-256 of the service-account signing key's public half. */
  serviceAccountKeyHash: string;
}

export class ClusterIdentityMismatchError extends Error {
  constructor(what: string, expected: string, found: string, pkiDir: string) {
    super(
      `this store belongs to a cluster with another ${what} (${expected}; this server has ${found} in ${pkiDir}): ` +
        'every API server of one cluster needs the same CA and service-account key; copy the pki directory of the first server (its <data-dir>/pki) or pass --pki-dir',
    );
    this.name = 'ClusterIdentityMismatchError';
  }
}

export function clusterIdentityOf(caCertPem: string, serviceAccountKeyPath: string): ClusterIdentity {
  const ca = new X509Certificate(caCertPem);
  const saPublic = createPublicKey(readFileSync(serviceAccountKeyPath)).export({ type: 'spki', format: 'der' });
  return { caCertHash: `sha256:${sha256(ca.raw)}`, serviceAccountKeyHash: `sha256:${sha256(saPublic)}` };
}

/**
 * Records this server's CA and signing key in the store when it is the first, or refuses to go
 * on when the store already belongs to a cluster with other ones: its certificates and tokens
 * would be valid on one server and rejected on the next.
 */
export async function claimClusterIdentity(store: Store, identity: ClusterIdentity, pkiDir: string): Promise<void> {
  let kv = await store.get(CLUSTER_IDENTITY_KEY);
  if (!kv) {
    try {
      await store.create(CLUSTER_IDENTITY_KEY, JSON.stringify(identity));
      return;
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'KeyExists')) throw err;
      kv = await store.get(CLUSTER_IDENTITY_KEY);
      if (!kv) throw err;
    }
  }
  const recorded = JSON.parse(kv.value) as ClusterIdentity;
  if (recorded.caCertHash !== identity.caCertHash) throw new ClusterIdentityMismatchError('CA', recorded.caCertHash, identity.caCertHash, pkiDir);
  if (recorded.serviceAccountKeyHash !== identity.serviceAccountKeyHash) {
    throw new ClusterIdentityMismatchError('service-account signing key', recorded.serviceAccountKeyHash, identity.serviceAccountKeyHash, pkiDir);
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
