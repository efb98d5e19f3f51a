// Detached JWS signatures of the cluster-info kubeconfig (RFC 7515 compact form with the payload
// left out), HS256 keyed with a bootstrap token's secret, as the bootstrap signer writes them and a
// joining node checks them.

import { createHmac, timingSafeEqual } from 'node:crypto';

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export function detachedSignature(payload: string, tokenId: string, tokenSecret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: tokenId }));
  const signature = createHmac('sha256', tokenSecret).update(`${header}.${b64url(payload)}`).digest();
  return `${header}..${b64url(signature)}`;
}

/** Whether `jws` is a valid HS256 detached signature of `payload` by this token. */
export function verifyDetachedSignature(jws: string, payload: string, tokenId: string, tokenSecret: string): boolean {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts[1] !== '') return false;
  let header: { alg?: string; kid?: string };
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  if (header.alg !== 'HS256' || (header.kid !== undefined && header.kid !== tokenId)) return false;
  const expected = createHmac('sha256', tokenSecret).update(`${parts[0]}.${b64url(payload)}`).digest();
  const given = Buffer.from(parts[2]!, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
