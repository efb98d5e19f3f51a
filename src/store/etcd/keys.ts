// The store's keys inside etcd: every key is stored as `prefix + key`, so several clusters can share
// one etcd, and the store's users only ever see their unprefixed keys. Keys are compared as UTF-8
// bytes, as etcd compares them.

/** The smallest key greater than every key starting with `prefix`; a zero byte (the end of the key space) when there is none. */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return Buffer.from([0]);
  const out = Buffer.from(prefix.subarray(0, end));
  out[end - 1]! += 1;
  return out;
}

export class KeySpace {
  private readonly prefix: Buffer;

  constructor(prefix = '') {
    this.prefix = Buffer.from(prefix, 'utf8');
  }

  /** The etcd key of a store key. */
  key(key: string): Buffer {
    return this.prefix.length ? Buffer.concat([this.prefix, Buffer.from(key, 'utf8')]) : Buffer.from(key, 'utf8');
  }

  /** The etcd range [key, range_end) of the store keys starting with `prefix`. */
  range(prefix: string): { key: Buffer; range_end: Buffer } {
    const key = this.key(prefix);
    // etcd takes an empty key as "no key"; [\0, \0) is its spelling of every key.
    if (key.length === 0) return { key: Buffer.from([0]), range_end: Buffer.from([0]) };
    return { key, range_end: prefixRangeEnd(key) };
  }

  /**
   * Where a range over `prefix` begins when it continues after `startAfter`: the smallest key
   * strictly greater than it (`startAfter` followed by a zero byte), or the prefix itself when
   * `startAfter` sorts before it. Undefined when `startAfter` is past every key of the prefix.
   */
  rangeAfter(prefix: string, startAfter: string): { key: Buffer; range_end: Buffer } | undefined {
    const range = this.range(prefix);
    const after = this.key(startAfter);
    if (Buffer.compare(after, range.key) < 0) return range;
    const start = Buffer.concat([after, Buffer.from([0])]);
    if (Buffer.compare(start, range.range_end) >= 0 && !isEndOfKeySpace(range.range_end)) return undefined;
    return { key: start, range_end: range.range_end };
  }

  /** A key no store key can be (a lone zero byte), for reads that only want the revision. */
  probeKey(): Buffer {
    return this.key('\u0000');
  }

  /** The store key of an etcd key. */
  strip(key: Buffer): string {
    return key.subarray(this.prefix.length).toString('utf8');
  }
}

function isEndOfKeySpace(end: Buffer): boolean {
  return end.length === 1 && end[0] === 0;
}
