// Where objects live in the store: /registry/<group|core>/<resource>/[<namespace>/]<name>.

import type { ResourceInfo } from '../api/resources.js';

export const REGISTRY_PREFIX = '/registry/';

/** events.k8s.io/v1 Events are core Events seen through another version: one key space. */
function storageGroupResource(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  if (info.group === 'events.k8s.io' && info.resource === 'events') return 'core/events';
  return `${info.group || 'core'}/${info.resource}`;
}

export function resourcePrefix(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return `${REGISTRY_PREFIX}${storageGroupResource(info)}/`;
}

export function namespacePrefix(info: Pick<ResourceInfo, 'group' | 'resource' | 'namespaced'>, namespace: string): string {
  return info.namespaced && namespace ? `${resourcePrefix(info)}${namespace}/` : resourcePrefix(info);
}

export function objectKey(info: Pick<ResourceInfo, 'group' | 'resource' | 'namespaced'>, namespace: string, name: string): string {
  return info.namespaced ? `${resourcePrefix(info)}${namespace}/${name}` : `${resourcePrefix(info)}${name}`;
}
