// Key order and the checks every backend makes before a write. Keys sort in the byte order of their
// UTF-8 encoding (as etcd and SQLite's BINARY collation do), which is code point order, not the
// UTF-16 code unit order of JavaScript's `<`.

import { MAX_VALUE_BYTES, StoreError, type KeyValue } from '../types.js';

/** Code point rank of a UTF-16 unit: surrogates (astral code points) sort after U+E000–U+FFFF. */
function unitRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/** Negative, zero or positive as `a` sorts before, with, or after `b` in UTF-8 byte order. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitRank(x) - unitRank(y);
  }
  return a.length - b.length;
}

/**
 * The smallest key greater than every key that starts with `prefix`, or undefined when no such
 * bound exists (the empty prefix, or one made only of U+10FFFF).
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (points.length > 0 && points[points.length - 1] === 0x10ffff) points.pop();
  if (points.length === 0) return undefined;
  let last = points.pop()! + 1;
  if (last === 0xd800) last = 0xe000;
  points.push(last);
  return String.fromCodePoint(...points);
}

/** Bytes of `value` as UTF-8, counted only when the length alone cannot decide the limit. */
function exceedsLimit(value: string): boolean {
  if (value.length > MAX_VALUE_BYTES) return true;
  if (value.length * 3 <= MAX_VALUE_BYTES) return false;
  return Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES;
}

/** Throws TooLarge when `value` is over MAX_VALUE_BYTES. */
export function checkValueSize(key: string, value: string): void {
  if (!exceedsLimit(value)) return;
  const bytes = Buffer.byteLength(value, 'utf8');
  throw new StoreError(
    'TooLarge',
    `value for key ${JSON.stringify(key)} is ${bytes} bytes, over the limit of ${MAX_VALUE_BYTES} bytes`,
  );
}

/** The errors every backend raises, with one wording. */
export const storeErrors = {
  keyExists: (key: string) => new StoreError('KeyExists', `key ${JSON.stringify(key)} already exists`),
  notFound: (key: string) => new StoreError('NotFound', `key ${JSON.stringify(key)} not found`),
  conflict: (key: string, expected: number, current: KeyValue) =>
    new StoreError(
      'Conflict',
      `key ${JSON.stringify(key)} has modRevision ${current.modRevision}, not the expected ${expected}`,
      current,
    ),
  compacted: (revision: number, compactRevision: number) =>
    new StoreError(
      'Compacted',
      `revision ${revision} has been compacted; the oldest revision kept is ${compactRevision}`,
      undefined,
      compactRevision,
    ),
  futureRevision: (revision: number, current: number) =>
    new StoreError('FutureRevision', `revision ${revision} is newer than the current revision ${current}`),
  closed: () => new StoreError('Closed', 'the store is closed'),
};

/** Throws unless `revision` can be read: not compacted and not in the future. */
export function checkReadRevision(revision: number, compacted: number, current: number): void {
  if (!Number.isInteger(revision) || revision < 0) {
    throw new RangeError(`revision must be a non-negative integer, not ${revision}`);
  }
  if (revision > current) throw storeErrors.futureRevision(revision, current);
  if (revision < compacted) throw storeErrors.compacted(revision, compacted);
}
