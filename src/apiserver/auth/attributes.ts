// Request attributes from a parsed request, as the API server's RequestInfo resolver fills them.

import type { UserInfo } from '../registry.js';
import type { RequestInfo } from '../request-info.js';
import type { RequestAttributes } from './types.js';

const EMPTY = new Map<string, string>();

/** `a=b,c==d` into a map of equality requirements (inequalities are not scoping and are left out). */
function equalities(selector: string | null): Map<string, string> {
  if (!selector) return EMPTY;
  const out = new Map<string, string>();
  for (const part of selector.split(',')) {
    if (part.includes('!=')) continue;
    const m = /^\s*([^=\s]+)\s*==?\s*(.*?)\s*$/.exec(part);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

function connectVerb(method: string): string {
  // Upstream maps a connect subresource to the HTTP verb: POST create, GET get.
  return method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'DELETE' ? 'delete' : method === 'PATCH' ? 'patch' : 'get';
}

export function requestAttributes(user: UserInfo, method: string, path: string, info: RequestInfo, query: URLSearchParams): RequestAttributes {
  if (info.kind !== 'resource') {
    const verb = method === 'GET' || method === 'HEAD' ? 'get' : method === 'POST' ? 'post' : method === 'PUT' ? 'put' : method.toLowerCase();
    return { user, verb, resourceRequest: false, path, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '', fieldSelector: EMPTY };
  }
  const fieldSelector = info.verb === 'list' || info.verb === 'watch' || info.verb === 'deletecollection' ? equalities(query.get('fieldSelector')) : EMPTY;
  let name = info.name;
  // A list or watch selecting one name by metadata.name is a request for that object.
  if (!name && (info.verb === 'list' || info.verb === 'watch')) name = fieldSelector.get('metadata.name') ?? '';
  return {
    user,
    verb: info.verb === 'connect' ? connectVerb(method) : info.verb,
    resourceRequest: true,
    path,
    apiGroup: info.group,
    apiVersion: info.version,
    resource: info.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name,
    fieldSelector,
  };
}
