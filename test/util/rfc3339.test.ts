import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rfc3339 } from '../../src/util/clock.js';

test('rfc3339 gives whole seconds, also when stamps of one second and of others alternate', () => {
  const at = Date.UTC(2026, 0, 2, 3, 4, 5);
  assert.equal(rfc3339(at + 999), '2026-01-02T03:04:05Z');
  assert.equal(rfc3339(at), '2026-01-02T03:04:05Z');
  assert.equal(rfc3339(at + 1000), '2026-01-02T03:04:06Z');
  assert.equal(rfc3339(at - 1), '2026-01-02T03:04:04Z');
  assert.equal(rfc3339(at + 1), '2026-01-02T03:04:05Z');
  assert.equal(rfc3339(0), '1970-01-01T00:00:00Z');
  assert.throws(() => rfc3339(Number.NaN), RangeError);
});

test('rfc3339 of a time out of range throws every time, not only the first', () => {
  assert.throws(() => rfc3339(9e15), RangeError);
  assert.throws(() => rfc3339(9e15), RangeError);
});
