// The 403 of a denied request, in the API server's words: who cannot do what, where, and why.

import { ApiError, errors } from '../../api/errors.js';
import type { RequestAttributes } from './types.js';

export function forbiddenMessage(a: RequestAttributes): string {
  const user = a.user.name;
  if (!a.resourceRequest) return `User ${JSON.stringify(user)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(user)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${scope}`;
}

export function forbidden(a: RequestAttributes, reason: string | undefined): ApiError {
  const why = reason ? `${forbiddenMessage(a)}: ${reason}` : forbiddenMessage(a);
  if (!a.resourceRequest) return new ApiError(403, 'Forbidden', `forbidden: ${why}`, {});
  const err = errors.forbidden({ group: a.apiGroup, resource: a.resource }, a.name, why);
  if (!a.name) delete err.status.details!.name; // omitted when empty, as Kubernetes encodes it
  return err;
}
