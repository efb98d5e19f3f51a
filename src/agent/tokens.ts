// Service account tokens for pods' projected volumes, asked of the API (TokenRequest) as the kubelet does.

import type { Pod } from '../api/types.js';
import type { ApiClient } from '../client/client.js';

/** A token for a pod's service account, bound to the pod (the kubelet's TokenRequest). */
export async function requestServiceAccountToken(client: ApiClient, pod: Pod, audience?: string, expirationSeconds?: number): Promise<string> {
  const sa = pod.spec.serviceAccountName || 'default';
  const path = `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`;
  const answer = await client.request<{ status: { token: string } }>('POST', path, {
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        ...(audience ? { audiences: [audience] } : {}),
        expirationSeconds: expirationSeconds ?? 3607,
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    },
  });
  return answer.status.token;
}
