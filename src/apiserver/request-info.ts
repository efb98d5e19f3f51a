// What a request path and method mean, in Kubernetes' terms (apiserver's RequestInfo):
// /api/v1/namespaces/default/pods/web/status, PATCH → verb patch, resource pods, subresource status.

export interface ResourceRequest {
  kind: 'resource';
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'connect';
}

export interface NonResourceRequest {
  kind: 'nonresource';
  path: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;

function truthy(v: string | null): boolean {
  return v === 'true' || v === '1';
}

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const parts = path.split('/').filter(Boolean);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return { kind: 'nonresource', path };
  }
  if (rest.length === 0) return { kind: 'nonresource', path };

  let namespace = '';
  // /namespaces/{ns}/{resource}... but /namespaces and /namespaces/{name}[/status|finalize] are the namespace resource itself.
  const namespaceSubresource = rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresource) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource = '', ...extra] = rest;
  if (extra.length && subresource !== 'proxy') return { kind: 'nonresource', path };

  let verb: ResourceRequest['verb'];
  const m = method.toUpperCase();
  const isConnect = ['exec', 'attach', 'portforward', 'proxy'].includes(subresource);
  if (isConnect) verb = 'connect';
  else if (m === 'GET' || m === 'HEAD') verb = name ? 'get' : truthy(query.get('watch')) ? 'watch' : 'list';
  else if (m === 'POST') verb = 'create';
  else if (m === 'PUT') verb = 'update';
  else if (m === 'PATCH') verb = 'patch';
  else if (m === 'DELETE') verb = name ? 'delete' : 'deletecollection';
  else verb = 'get';
  if (verb === 'get' && name && truthy(query.get('watch'))) verb = 'watch';
  return { kind: 'resource', group, version, namespace, resource, name: decodeURIComponent(name), subresource, verb };
}
