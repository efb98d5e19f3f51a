// The cluster-info ConfigMap in kube-public: a kubeconfig naming the API server and its CA, which
// anyone may read; joining nodes trust it only through a token's signature and a pinned CA hash.

import { stringify } from 'yaml';

export const CLUSTER_INFO_NAMESPACE = 'kube-public';
export const CLUSTER_INFO_NAME = 'cluster-info';
export const KUBECONFIG_KEY = 'kubeconfig';
export const JWS_KEY_PREFIX = 'jws-kubeconfig-';

/** The kubeconfig kubeadm publishes: one unnamed cluster, no users or contexts. */
export function clusterInfoKubeconfig(server: string, caPem: string): string {
  return stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': Buffer.from(caPem).toString('base64'), server }, name: '' }],
    contexts: null,
    'current-context': '',
    kind: 'Config',
    preferences: {},
    users: null,
  });
}
