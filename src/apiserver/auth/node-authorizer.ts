// The Node authorizer: what a node agent's credential may do. Reads of secrets, config maps,
// claims and pods, and service-account tokens, only for objects related to the node's own pods
// (the NodeGraph); its own Node, Lease and pod status; events; its own kube-dns EndpointSlice;
// everything else it needs by static rules. Writes whose target is only known from the body are
// then checked by NodeRestriction.

import { allow, noOpinion, type Authorizer, type Decision, type RequestAttributes } from './types.js';
import { nodeIdentity } from './identity.js';
import type { NodeGraph, ReferenceKind } from './node-graph.js';
import { DNS_NAMESPACE, nodeDnsSliceName } from '../../network/dns/names.js';

const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Static rules: `group/resource` → verbs (resources not subdivided by the graph). */
const STATIC_RULES = new Map<string, ReadonlySet<string>>([
  ['/services', new Set(['get', 'list', 'watch'])],
  // The node's service proxy and DNS follow endpoints like kube-proxy does.
  ['/endpoints', new Set(['get', 'list', 'watch'])],
  ['/events', new Set(['create', 'update', 'patch'])],
  ['events.k8s.io/events', new Set(['create', 'update', 'patch'])],
  ['certificates.k8s.io/certificatesigningrequests', new Set(['create', 'get', 'list', 'watch'])],
  ['authentication.k8s.io/tokenreviews', new Set(['create'])],
  ['authorization.k8s.io/subjectaccessreviews', new Set(['create'])],
]);

export class NodeAuthorizer implements Authorizer {
  constructor(private readonly graph: NodeGraph) {}

  authorize(a: RequestAttributes): Decision {
    const node = nodeIdentity(a.user);
    if (node === undefined) return noOpinion();
    if (node === '') return noOpinion(`unknown node for user ${JSON.stringify(a.user.name)}`);
    // Discovery, version and health, as system:discovery grants every authenticated user.
    if (!a.resourceRequest) return allow;
    {
      switch (`${a.apiGroup}/${a.resource}`) {
        case '/secrets':
          return this.readNamespaced(node, 'secret', a);
        case '/configmaps':
          return this.readNamespaced(node, 'configmap', a);
        case '/persistentvolumeclaims':
          return a.subresource === 'status' ? this.statusUpdate(node, 'persistentvolumeclaim', a) : this.get(node, 'persistentvolumeclaim', a);
        case '/serviceaccounts':
          return this.createToken(node, a);
        case 'coordination.k8s.io/leases':
          return this.lease(node, a);
        case '/nodes':
          return this.node(node, a);
        case '/pods':
          return this.pod(node, a);
        case 'discovery.k8s.io/endpointslices':
          return this.endpointSlice(node, a);
      }
    }
    if (!a.subresource && STATIC_RULES.get(`${a.apiGroup}/${a.resource}`)?.has(a.verb)) return allow;
    return noOpinion();
  }

  private related(node: string, kind: ReferenceKind, a: RequestAttributes): Decision {
    if (!a.name) return noOpinion('No Object name found');
    if (this.graph.relates(node, kind, a.namespace, a.name)) return allow;
    return noOpinion(`no relationship found between node '${node}' and this object`);
  }

  private readNamespaced(node: string, kind: ReferenceKind, a: RequestAttributes): Decision {
    if (a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch') return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    if (!a.namespace) return noOpinion('can only read namespaced object of this type');
    return this.related(node, kind, a);
  }

  private get(node: string, kind: ReferenceKind, a: RequestAttributes): Decision {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource) return noOpinion('cannot get subresource');
    return this.related(node, kind, a);
  }

  private statusUpdate(node: string, kind: ReferenceKind, a: RequestAttributes): Decision {
    if (a.verb !== 'update' && a.verb !== 'patch') return noOpinion('can only get/update/patch this type');
    if (a.subresource !== 'status') return noOpinion('can only update status subresource');
    return this.related(node, kind, a);
  }

  private createToken(node: string, a: RequestAttributes): Decision {
    if (a.verb !== 'create' || !a.name) return noOpinion('can only create tokens for individual service accounts');
    if (a.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount');
    return this.related(node, 'serviceaccount', a);
  }

  private lease(node: string, a: RequestAttributes): Decision {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
    if (a.namespace !== NODE_LEASE_NAMESPACE) return noOpinion(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
    // The name of a create is in the body: NodeRestriction checks it.
    if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access node lease with the same name as the requesting node');
    return allow;
  }

  private node(node: string, a: RequestAttributes): Decision {
    if (a.subresource === '') {
      // Which Node a write touches is checked by NodeRestriction.
      if (a.verb === 'create' || a.verb === 'update' || a.verb === 'patch') return allow;
      // Every node reads every Node (as Kubernetes did before AuthorizeNodeWithSelectors): the
      // node's route controller follows the other nodes' pod subnets with the node's credential.
      if (a.verb === 'get' || a.verb === 'list' || a.verb === 'watch') return allow;
    } else if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) {
      return allow;
    }
    return noOpinion();
  }

  /**
   * Any slice may be read (the service proxy and DNS); the node's own DNS slice in kube-system may
   * be written. The name of a create is in the body: NodeRestriction checks it and the endpoints.
   */
  private endpointSlice(node: string, a: RequestAttributes): Decision {
    if (a.subresource) return noOpinion();
    if (a.verb === 'get' || a.verb === 'list' || a.verb === 'watch') return allow;
    if (!['create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion();
    if (a.namespace !== DNS_NAMESPACE) return noOpinion(`can only write endpointslices in the "${DNS_NAMESPACE}" system namespace`);
    if (a.verb !== 'create' && a.name !== nodeDnsSliceName(node)) return noOpinion(`can only write the endpointslice "${nodeDnsSliceName(node)}" of its own DNS server`);
    return allow;
  }

  private pod(node: string, a: RequestAttributes): Decision {
    switch (a.subresource) {
      case '':
        if (a.verb === 'get') return this.get(node, 'pod', a);
        if (a.verb === 'list' || a.verb === 'watch') {
          if (a.fieldSelector.get('spec.nodeName') === node) return allow;
          if (a.name) return this.related(node, 'pod', a);
          return noOpinion('can only list/watch pods with spec.nodeName field selector');
        }
        // Mirror pods and deletion at the end of graceful termination; NodeRestriction checks which.
        if (a.verb === 'create' || a.verb === 'delete') return allow;
        break;
      case 'status':
        // NodeRestriction limits this to pods bound to the node.
        if (a.verb === 'update' || a.verb === 'patch') return allow;
        break;
      case 'eviction':
        // Evictions bypass the registry's admission: the graph answers whether the pod is the node's.
        if (a.verb === 'create') return this.related(node, 'pod', a);
        break;
    }
    return noOpinion();
  }
}
