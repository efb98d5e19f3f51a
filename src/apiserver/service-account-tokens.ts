// Service account tokens: ES256 JWTs signed with the cluster's service-account key, issued through
// the serviceaccounts/{name}/token subresource (TokenRequest) and accepted as bearer tokens.

import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { UserInfo } from './registry.js';

export const ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const DEFAULT_AUDIENCE = ISSUER;

export interface TokenClaims {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
  node?: { name: string; uid: string };
  audiences: string[];
  expirationSeconds: number;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export class ServiceAccountTokens {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(keyPath: string) {
    if (!existsSync(keyPath)) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    }
    this.privateKey = createPrivateKey(readFileSync(keyPath, 'utf8'));
    this.publicKey = createPublicKey(this.privateKey);
  }

  issue(claims: TokenClaims, nowMs: number): { token: string; expiresAt: number } {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + claims.expirationSeconds;
    const payload = {
      aud: claims.audiences,
      exp,
      iat,
      iss: ISSUER,
      jti: randomUUID(),
      'kubernetes.io': {
        namespace: claims.namespace,
        ...(claims.node ? { node: claims.node } : {}),
        ...(claims.pod ? { pod: claims.pod } : {}),
        serviceaccount: claims.serviceAccount,
      },
      nbf: iat,
      sub: `system:serviceaccount:${claims.namespace}:${claims.serviceAccount.name}`,
    };
    const head = b64url(JSON.stringify({ alg: 'ES256', kid: 'k8ts' }));
    const body = b64url(JSON.stringify(payload));
    const signature = sign('sha256', Buffer.from(`${head}.${body}`), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return { token: `${head}.${body}.${b64url(signature)}`, expiresAt: exp * 1000 };
  }

  /** The user a token stands for, when it is ours, unexpired and meant for the API server. */
  authenticate(token: string, nowMs: number): UserInfo | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [head, body, signature] = parts as [string, string, string];
    const ok = verify('sha256', Buffer.from(`${head}.${body}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
    if (!ok) return undefined;
    let payload: { exp?: number; nbf?: number; aud?: string[]; sub?: string; 'kubernetes.io'?: { namespace?: string } };
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const now = nowMs / 1000;
    if (!payload.exp || payload.exp < now || (payload.nbf && payload.nbf > now + 60)) return undefined;
    if (!payload.aud?.includes(DEFAULT_AUDIENCE)) return undefined;
    const namespace = payload['kubernetes.io']?.namespace;
    if (!payload.sub || !namespace) return undefined;
    return { name: payload.sub, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'] };
  }
}
