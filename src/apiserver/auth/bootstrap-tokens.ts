// Bootstrap tokens as kubeadm keeps them: a Secret `bootstrap-token-<id>` in kube-system of type
// bootstrap.kubernetes.io/token. The authenticator maps a bearer token `<id>.<secret>` to the user
// `system:bootstrap:<id>`; the helpers here are shared with the CLI and the controllers.

import { timingSafeEqual } from 'node:crypto';
import type { KubeObject } from '../../api/types.js';
import type { UserInfo } from '../registry.js';
import type { ResourceCache } from '../watch-cache.js';
import { BOOTSTRAPPERS_GROUP } from './identity.js';

export const BOOTSTRAP_TOKEN_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_NAMESPACE = 'kube-system';
export const BOOTSTRAP_TOKEN_PREFIX = 'bootstrap-token-';
export const BOOTSTRAP_USER_PREFIX = 'system:bootstrap:';
export const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const TOKEN_ID_PATTERN = /^[a-z0-9]{6}$/;
const EXTRA_GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

/** The fields of a bootstrap token Secret, decoded. */
export interface BootstrapToken {
  id: string;
  secret: string;
  /** Milliseconds since the epoch, or undefined for a token that never expires. */
  expires?: number;
  /** Present but not a valid RFC 3339 time: the token is unusable. */
  badExpiration?: boolean;
  description?: string;
  usages: string[];
  extraGroups: string[];
}

export type SecretObject = KubeObject & { type?: string; data?: Record<string, string> };

function field(secret: SecretObject, key: string): string | undefined {
  const v = secret.data?.[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

/** The token a Secret holds, when it is a well-formed bootstrap token Secret. */
export function parseBootstrapSecret(secret: SecretObject): BootstrapToken | undefined {
  if (secret.type !== BOOTSTRAP_TOKEN_TYPE || secret.metadata.namespace !== BOOTSTRAP_TOKEN_NAMESPACE) return undefined;
  const id = field(secret, 'token-id');
  const tokenSecret = field(secret, 'token-secret');
  if (!id || !tokenSecret || secret.metadata.name !== BOOTSTRAP_TOKEN_PREFIX + id) return undefined;
  const expiration = field(secret, 'expiration');
  const expires = expiration === undefined ? undefined : Date.parse(expiration);
  const usages = Object.keys(secret.data ?? {})
    .filter((k) => k.startsWith('usage-bootstrap-') && field(secret, k) === 'true')
    .map((k) => k.slice('usage-bootstrap-'.length))
    .sort();
  const groups = field(secret, 'auth-extra-groups');
  const description = field(secret, 'description');
  return {
    id,
    secret: tokenSecret,
    ...(expires !== undefined && !Number.isNaN(expires) ? { expires } : {}),
    ...(expiration !== undefined && Number.isNaN(expires) ? { badExpiration: true } : {}),
    ...(description ? { description } : {}),
    usages,
    extraGroups: groups ? groups.split(',').map((g) => g.trim()).filter(Boolean) : [],
  };
}

export function isExpired(token: BootstrapToken, nowMs: number): boolean {
  return token.badExpiration === true || (token.expires !== undefined && token.expires <= nowMs);
}

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Bearer tokens of the bootstrap form, checked against the Secrets in the watch cache (one lookup). */
export class BootstrapTokenAuthenticator {
  constructor(
    private readonly secrets: ResourceCache,
    private readonly keyOf: (namespace: string, name: string) => string,
  ) {}

  /** The user, or undefined when the token is not of this form, unknown, wrong, expired or not for authentication. */
  authenticate(bearer: string, nowMs: number): UserInfo | undefined {
    const m = TOKEN_PATTERN.exec(bearer);
    if (!m) return undefined;
    const [, id, tokenSecret] = m as unknown as [string, string, string];
    const cached = this.secrets.objects.get(this.keyOf(BOOTSTRAP_TOKEN_NAMESPACE, BOOTSTRAP_TOKEN_PREFIX + id));
    if (!cached || cached.object.metadata.deletionTimestamp) return undefined;
    const token = parseBootstrapSecret(cached.object as SecretObject);
    if (!token || !sameSecret(token.secret, tokenSecret) || isExpired(token, nowMs)) return undefined;
    if (!token.usages.includes('authentication')) return undefined;
    if (!token.extraGroups.every((g) => EXTRA_GROUP_PATTERN.test(g))) return undefined;
    return { name: BOOTSTRAP_USER_PREFIX + id, groups: [BOOTSTRAPPERS_GROUP, ...token.extraGroups, 'system:authenticated'] };
  }
}
