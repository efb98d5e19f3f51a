// An ordered set of keys kept as a list of sorted chunks: inserts and deletes move at most one
// chunk's worth of entries, seeks are two binary searches, and counting a range adds chunk sizes.

import { compareKeys } from './keys.js';

const MAX_CHUNK = 512;

interface Position {
  chunk: number;
  index: number;
}

export class SortedKeys {
  private chunks: string[][] = [];
  private total = 0;

  get size(): number {
    return this.total;
  }

  /** Adds `key`; false when it was already present. */
  add(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.total = 1;
      return true;
    }
    let c = this.chunkFor(key);
    if (c === this.chunks.length) c--;
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, key);
    if (i < chunk.length && chunk[i] === key) return false;
    chunk.splice(i, 0, key);
    this.total++;
    if (chunk.length > MAX_CHUNK) this.chunks.splice(c + 1, 0, chunk.splice(MAX_CHUNK >> 1));
    return true;
  }

  /** Removes `key`; false when it was absent. */
  delete(key: string): boolean {
    const c = this.chunkFor(key);
    const chunk = this.chunks[c];
    if (!chunk) return false;
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.total--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  /** Keys from `from` (inclusive, or exclusive when `exclusive`) upward, in order. */
  *from(from: string, exclusive: boolean): IterableIterator<string> {
    const start = this.seek(from, exclusive);
    for (let c = start.chunk, i = start.index; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      for (; i < chunk.length; i++) yield chunk[i]!;
    }
  }

  /** How many keys lie at or after `from` (after, when `exclusive`) and before `end` (all, when absent). */
  countBetween(from: string, exclusive: boolean, end: string | undefined): number {
    const a = this.seek(from, exclusive);
    const b = end === undefined ? { chunk: this.chunks.length, index: 0 } : this.seek(end, false);
    return Math.max(0, this.rank(b) - this.rank(a));
  }

  private rank(p: Position): number {
    if (p.chunk >= this.chunks.length) return this.total;
    let n = p.index;
    for (let c = 0; c < p.chunk; c++) n += this.chunks[c]!.length;
    return n;
  }

  /** Position of the first key >= `key` (> when `exclusive`). */
  private seek(key: string, exclusive: boolean): Position {
    const c = this.chunkFor(key);
    if (c === this.chunks.length) return { chunk: c, index: 0 };
    const chunk = this.chunks[c]!;
    let i = lowerBound(chunk, key);
    if (exclusive && chunk[i] === key) i++;
    if (i === chunk.length) return { chunk: c + 1, index: 0 };
    return { chunk: c, index: i };
  }

  /** Index of the first chunk whose last key is >= `key` (chunks.length when none). */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid]!;
      if (compareKeys(chunk[chunk.length - 1]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function lowerBound(list: string[], key: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareKeys(list[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
