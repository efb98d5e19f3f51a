// Projected service-account tokens are reused across volume refreshes until 80% of their
// lifetime has passed, per pod, as the kubelet's token manager does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCache } from '../../src/kubelet/volumes/token-cache.js';
import { FakeClock } from '../../src/util/clock.js';

test('a token is reused until 80% of its lifetime, then requested again', async () => {
  const clock = new FakeClock();
  const cache = new TokenCache(clock);
  let issued = 0;
  const request = async () => `token-${++issued}`;
  assert.equal(await cache.get('uid-1', 'default', undefined, 3600, request), 'token-1');
  await clock.advance(2879_000);
  assert.equal(await cache.get('uid-1', 'default', undefined, 3600, request), 'token-1');
  await clock.advance(1_000);
  assert.equal(await cache.get('uid-1', 'default', undefined, 3600, request), 'token-2');
});

test('tokens are kept apart by pod, audience and lifetime, and forgotten with the pod', async () => {
  const cache = new TokenCache(new FakeClock());
  let issued = 0;
  const request = async () => `token-${++issued}`;
  assert.equal(await cache.get('uid-1', 'default', undefined, 3607, request), 'token-1');
  assert.equal(await cache.get('uid-2', 'default', undefined, 3607, request), 'token-2');
  assert.equal(await cache.get('uid-1', 'default', 'vault', 3607, request), 'token-3');
  assert.equal(await cache.get('uid-1', 'default', undefined, 7200, request), 'token-4');
  assert.equal(await cache.get('uid-1', 'default', undefined, 3607, request), 'token-1');
  cache.forget('uid-1');
  assert.equal(await cache.get('uid-1', 'default', undefined, 3607, request), 'token-5');
});

test('a token issued for less than asked is refreshed at 80% of the lifetime it was issued with', async () => {
  const clock = new FakeClock();
  const cache = new TokenCache(clock);
  let issued = 0;
  // The API server capped a 2 h request to 1 h: the token's exp says so.
  const jwt = (n: number) => {
    const claims = { exp: Math.floor(clock.now() / 1000) + 3600, n };
    return `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
  };
  const request = async () => jwt(++issued);
  const first = await cache.get('uid-1', 'default', undefined, 7200, request);
  await clock.advance(2879_000);
  assert.equal(await cache.get('uid-1', 'default', undefined, 7200, request), first);
  await clock.advance(1_000);
  const second = await cache.get('uid-1', 'default', undefined, 7200, request);
  assert.notEqual(second, first, 'refreshed at 2,880 s (80% of 1 h), not at 5,760 s (80% of the 2 h asked for)');
});
