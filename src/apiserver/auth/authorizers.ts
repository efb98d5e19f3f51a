// The authorizers other than the node's: administrators, bootstrap tokens, anonymous discovery of
// the cluster, and — while k8ts has no RBAC — every other authenticated user.

import { allow, noOpinion, type Authorizer, type Decision, type RequestAttributes } from './types.js';
import { MASTERS_GROUP, isAnonymous, isBootstrapper, nodeIdentity } from './identity.js';

export const CLUSTER_INFO = { namespace: 'kube-public', name: 'cluster-info' } as const;

function isClusterInfoGet(a: RequestAttributes): boolean {
  return a.resourceRequest && a.verb === 'get' && a.apiGroup === '' && a.resource === 'configmaps' && !a.subresource && a.namespace === CLUSTER_INFO.namespace && a.name === CLUSTER_INFO.name;
}

/** system:masters may do everything. */
export const mastersAuthorizer: Authorizer = {
  authorize: (a) => (a.user.groups.includes(MASTERS_GROUP) ? allow : noOpinion()),
};

const CSR_VERBS = new Set(['create', 'get', 'list', 'watch']);

/** A bootstrap token may ask for a node credential and read cluster-info, nothing else. */
export const bootstrapAuthorizer: Authorizer = {
  authorize(a: RequestAttributes): Decision {
    if (!isBootstrapper(a.user)) return noOpinion();
    if (!a.resourceRequest) return allow; // discovery, version and health, as system:discovery grants
    if (a.apiGroup === 'certificates.k8s.io' && a.resource === 'certificatesigningrequests' && !a.subresource && CSR_VERBS.has(a.verb)) return allow;
    if (isClusterInfoGet(a)) return allow;
    return noOpinion();
  },
};

/** Anonymous requests may read cluster-info (how a joining node finds the cluster), nothing else. */
export const anonymousAuthorizer: Authorizer = {
  authorize: (a) => (isAnonymous(a.user) && isClusterInfoGet(a) ? allow : noOpinion()),
};

/** Without RBAC, any other authenticated user (service accounts, static tokens, other certificates) may do everything. */
export const authenticatedAuthorizer: Authorizer = {
  authorize(a: RequestAttributes): Decision {
    if (isAnonymous(a.user) || isBootstrapper(a.user) || nodeIdentity(a.user) !== undefined) return noOpinion();
    return allow;
  },
};
