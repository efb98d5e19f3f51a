// Authentication by bootstrap token, authorization and node admission for one API server, built
// from its registry: the node graph and the token Secrets are both read from the watch cache.

import type { Registry } from '../registry.js';
import { objectKey, resourcePrefix } from '../storage-keys.js';
import { anonymousAuthorizer, authenticatedAuthorizer, bootstrapAuthorizer, mastersAuthorizer } from './authorizers.js';
import { BootstrapTokenAuthenticator } from './bootstrap-tokens.js';
import { NodeAuthorizer } from './node-authorizer.js';
import { NodeGraph } from './node-graph.js';
import { NodeRestriction } from './node-restriction.js';
import { UnionAuthorizer, type Authorizer } from './types.js';
import type { WriteAdmission } from './admission.js';
import type { Pod } from '../../api/types.js';

export type { Authorizer, Decision, RequestAttributes } from './types.js';
export type { WriteAdmission, AdmissionAttributes } from './admission.js';
export { requestAttributes } from './attributes.js';
export { forbidden, forbiddenMessage } from './forbidden.js';
export { anonymousUser } from './identity.js';

export interface Authorization {
  authorizer: Authorizer;
  admission: WriteAdmission;
  bootstrapTokens: BootstrapTokenAuthenticator;
  graph: NodeGraph;
}

export function createAuthorization(registry: Registry): Authorization {
  const pods = registry.resourceByKind('v1', 'Pod');
  const secrets = registry.resourceByKind('v1', 'Secret');
  const nodes = registry.resourceByKind('v1', 'Node');
  const graph = NodeGraph.follow(registry.hub.cache(resourcePrefix(pods)));
  const nodeCache = registry.hub.cache(resourcePrefix(nodes));
  const podCache = registry.hub.cache(resourcePrefix(pods));
  return {
    graph,
    authorizer: new UnionAuthorizer([mastersAuthorizer, new NodeAuthorizer(graph), bootstrapAuthorizer, anonymousAuthorizer, authenticatedAuthorizer]),
    admission: new NodeRestriction({
      nodeUid: (name) => nodeCache.objects.get(objectKey(nodes, '', name))?.object.metadata.uid,
      pod: (namespace, name) => podCache.objects.get(objectKey(pods, namespace, name))?.object as Pod | undefined,
    }),
    bootstrapTokens: new BootstrapTokenAuthenticator(registry.hub.cache(resourcePrefix(secrets)), (ns, name) => objectKey(secrets, ns, name)),
  };
}
