// Service-account tokens of projected volumes, kept per pod as the kubelet's token manager keeps
// them: a volume refreshed on every pod sync reuses its token until 80% of its lifetime (at most
// 24 hours) has passed, instead of asking the API for a new one and rewriting the volume each time.
// The lifetime is the one the token was issued with (its `exp` claim), which the API server may have
// made shorter than the one asked for.

import type { Clock } from '../../util/clock.js';

/** The API's default lifetime for a requested token. */
const DEFAULT_EXPIRATION_SECONDS = 3600;
const MAX_AGE_MS = 24 * 3600 * 1000;

interface CachedToken {
  token: string;
  refreshAt: number;
}

export class TokenCache {
  /** pod uid → (service account, audience, lifetime) → token */
  private readonly byPod = new Map<string, Map<string, CachedToken>>();

  constructor(private readonly clock: Clock) {}

  async get(podUid: string, serviceAccount: string, audience: string | undefined, expirationSeconds: number | undefined, request: () => Promise<string>): Promise<string> {
    const key = JSON.stringify([serviceAccount, audience ?? '', expirationSeconds ?? 0]);
    const cached = this.byPod.get(podUid)?.get(key);
    if (cached && this.clock.now() < cached.refreshAt) return cached.token;
    const token = await request();
    const now = this.clock.now();
    const lifetimeMs = (expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS) * 1000;
    // A claim already past on this clock (a skewed or virtual one) says nothing useful.
    const claimed = expiryClaim(token);
    const expiresAt = claimed !== undefined && claimed > now ? Math.min(now + lifetimeMs, claimed) : now + lifetimeMs;
    let tokens = this.byPod.get(podUid);
    if (!tokens) this.byPod.set(podUid, (tokens = new Map()));
    tokens.set(key, { token, refreshAt: Math.min(now + 0.8 * (expiresAt - now), now + MAX_AGE_MS) });
    return token;
  }

  /** The pod's volumes are gone: its tokens are no longer needed. */
  forget(podUid: string): void {
    this.byPod.delete(podUid);
  }
}

/** A JWT's `exp` claim in milliseconds, when the token is a JWT that has one. */
function expiryClaim(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
