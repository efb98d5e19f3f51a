// The names cluster DNS publishes under: the `kube-dns` Service of kube-system and one
// EndpointSlice per node (`kube-dns-<node>`), written by that node alone. The node authorizer and
// NodeRestriction use the same names to let a node write exactly its own slice.

export const DNS_NAMESPACE = 'kube-system';
export const DNS_SERVICE = 'kube-dns';
/** The `endpointslice.kubernetes.io/managed-by` value of the nodes' DNS slices. */
export const NODE_DNS_MANAGER = 'node-dns.k8ts.io';

export function nodeDnsSliceName(nodeName: string): string {
  return `${DNS_SERVICE}-${nodeName}`;
}
