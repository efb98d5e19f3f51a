// Who a user is, for the authorizers: a node (`system:node:<name>` in `system:nodes`), a bootstrap
// token, anonymous, or an administrator.

import type { UserInfo } from '../registry.js';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
export const MASTERS_GROUP = 'system:masters';
export const ANONYMOUS_USER = 'system:anonymous';
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';

export const anonymousUser: UserInfo = { name: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] };

/** The node a user stands for: its name ('' when it is a node of no identifiable name), or undefined. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP)) return undefined;
  return user.name.startsWith(NODE_USER_PREFIX) ? user.name.slice(NODE_USER_PREFIX.length) : '';
}

export function isBootstrapper(user: UserInfo): boolean {
  return user.groups.includes(BOOTSTRAPPERS_GROUP);
}

export function isAnonymous(user: UserInfo): boolean {
  return user.name === ANONYMOUS_USER || user.groups.includes(UNAUTHENTICATED_GROUP);
}
