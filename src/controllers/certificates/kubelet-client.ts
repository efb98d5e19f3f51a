// What a kubelet client certificate request must be (signer kubernetes.io/kube-apiserver-client-kubelet):
// subject O=system:nodes and CN=system:node:<name>, no subject alternative names, and exactly the
// usages a kubelet asks for.

import type { ParsedRequest } from './x509.js';

export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';

const WITH_RSA = ['client auth', 'digital signature', 'key encipherment'];
const WITHOUT_RSA = ['client auth', 'digital signature'];

const sameSet = (a: string[], b: string[]) => {
  const s = new Set(a);
  return s.size === b.length && b.every((x) => s.has(x));
};

/** Why a request is not a valid kubelet client certificate request, or undefined when it is. */
export function kubeletClientProblem(parsed: ParsedRequest, usages: string[]): string | undefined {
  if (parsed.organizations.length !== 1 || parsed.organizations[0] !== NODES_GROUP) return 'subject organization is not system:nodes';
  if (!parsed.commonName.startsWith(NODE_USER_PREFIX)) return 'subject common name does not begin with system:node:';
  if (parsed.dnsNames.length) return 'dnsNames are not allowed';
  if (parsed.emailAddresses.length) return 'emailAddresses are not allowed';
  if (parsed.ipAddresses.length) return 'ipAddresses are not allowed';
  if (parsed.uris.length) return 'uris are not allowed';
  if (!sameSet(usages, WITH_RSA) && !sameSet(usages, WITHOUT_RSA)) return `usages did not match [${WITH_RSA.join(' ')}]`;
  return undefined;
}
