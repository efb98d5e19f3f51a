// The Store contract on etcd v3. Revisions are etcd's own: a key's createRevision and modRevision
// come from etcd, and the store's revision is the header revision of a linearizable read. Writes
// are single transactions comparing the key's revisions, so they are compare-and-swap on the
// server; the failure branch reads the key, so a Conflict carries the current value without a
// second round trip.
//
// etcd's revision is shared by every key, including keys of other clusters under other prefixes:
// nothing here assumes that consecutive revisions are this store's.

import type { IKeyValue, IRangeRequest, IRangeResponse, ITxnRequest, ITxnResponse } from 'etcd3';
import { MAX_VALUE_BYTES, StoreError, type KeyValue, type RangeOptions, type RangeResult, type Store, type WatchHandle, type WatchListener } from '../types.js';
import type { EtcdClient } from './client.js';
import { EtcdUnavailableError, isBrokenCircuit, isCompactedError, isFutureRevisionError, isNotSentError, isTooLargeError, isTransientError } from './errors.js';
import { KeySpace } from './keys.js';
import { WatchStreams } from './watch-streams.js';

export interface EtcdStoreOptions {
  requestTimeoutMs: number;
  compactIntervalMs: number;
  /** Where connection errors say the store is (the endpoints). */
  description: string;
}

export class EtcdStore implements Store {
  readonly name = 'etcd';
  private readonly watches: WatchStreams;
  private closed = false;
  /** The newest compaction revision this store has learned of. */
  private knownCompacted = 0;
  private compactTimer: NodeJS.Timeout | undefined;
  private lastSampledRevision = 0;

  constructor(
    private readonly client: EtcdClient,
    private readonly keys: KeySpace,
    private readonly options: EtcdStoreOptions,
  ) {
    this.watches = new WatchStreams(client, keys, (rev) => this.learnCompacted(rev), () => this.knownCompacted);
    if (options.compactIntervalMs > 0) this.scheduleCompaction();
  }

  async get(key: string, revision?: number): Promise<KeyValue | undefined> {
    const res = await this.read('get', { key: this.keys.key(key), ...(revision ? { revision } : {}) });
    const kv = res.kvs[0];
    return kv ? this.watches.keyValue(kv) : undefined;
  }

  async range(prefix: string, options: RangeOptions = {}): Promise<RangeResult> {
    const bounds = options.startAfter !== undefined ? this.keys.rangeAfter(prefix, options.startAfter) : this.keys.range(prefix);
    if (!bounds) {
      // Past the prefix: nothing to list, but the revision is still checked and reported.
      const res = await this.read('range', { key: this.keys.key(prefix), count_only: true, ...(options.revision ? { revision: options.revision } : {}) });
      return { kvs: [], revision: options.revision ?? Number(res.header.revision), more: false, remaining: 0 };
    }
    const res = await this.read('range', {
      ...bounds,
      ...(options.limit && options.limit > 0 ? { limit: options.limit } : {}),
      ...(options.revision ? { revision: options.revision } : {}),
    });
    const kvs = res.kvs.map((kv) => this.watches.keyValue(kv));
    const revision = options.revision ?? Number(res.header.revision);
    if (!options.revision) this.watches.noteRevision(revision);
    return { kvs, revision, more: res.more, remaining: Math.max(0, Number(res.count) - kvs.length) };
  }

  async count(prefix: string): Promise<number> {
    const res = await this.read('count', { ...this.keys.range(prefix), count_only: true });
    return Number(res.count);
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkSize(key, value);
    const k = this.keys.key(key);
    const res = await this.txn('create', {
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value, 'utf8') } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw new StoreError('KeyExists', `key ${key} already exists`);
    const revision = Number(res.header.revision);
    return Object.freeze({ key, value, createRevision: revision, modRevision: revision });
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    this.checkSize(key, value);
    const k = this.keys.key(key);
    const res = await this.txn('update', {
      compare: [
        { key: k, target: 'Create', result: 'Greater', create_revision: 0 },
        { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision },
      ],
      success: [{ request_put: { key: k, value: Buffer.from(value, 'utf8'), prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.preconditionFailed(key, expectedModRevision, res);
    const revision = Number(res.header.revision);
    const prev = res.responses[0]!.response_put.prev_kv;
    return Object.freeze({ key, value, createRevision: Number(prev.create_revision), modRevision: revision });
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    const k = this.keys.key(key);
    const res = await this.txn('delete', {
      compare: [
        { key: k, target: 'Create', result: 'Greater', create_revision: 0 },
        ...(expectedModRevision !== undefined ? [{ key: k, target: 'Mod' as const, result: 'Equal' as const, mod_revision: expectedModRevision }] : []),
      ],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.preconditionFailed(key, expectedModRevision, res);
    const prev = this.watches.keyValue(res.responses[0]!.response_delete_range.prev_kvs[0]!);
    return Object.freeze({ key, value: prev.value, createRevision: prev.createRevision, modRevision: Number(res.header.revision) });
  }

  watch(prefix: string, afterRevision: number, listener: WatchListener): WatchHandle {
    return this.watches.watch(prefix, afterRevision, listener);
  }

  async currentRevision(): Promise<number> {
    const res = await this.read('revision', { key: this.keys.probeKey(), count_only: true });
    const revision = Number(res.header.revision);
    this.watches.noteRevision(revision);
    return revision;
  }

  /**
   * etcd does not report its compaction revision directly; reads at a revision fail with
   * "compacted" exactly below it, so a binary search over count-only reads finds it (about 25
   * reads at 10 million revisions; only called when a Compacted error needs its revision).
   */
  async compactedRevision(): Promise<number> {
    const readable = async (revision: number) => {
      try {
        await this.call('revision', true, (deadline) => this.client.kv.range({ key: this.keys.probeKey(), count_only: true, revision }, { deadline }), false);
        return true;
      } catch (err) {
        if (err instanceof StoreError && err.code === 'Compacted') return false;
        throw err;
      }
    };
    let lo = Math.max(1, this.knownCompacted);
    if (await readable(lo)) return this.knownCompacted === 0 && lo === 1 ? 0 : lo;
    let hi = await this.currentRevision();
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid;
    }
    this.learnCompacted(hi);
    return hi;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision <= this.knownCompacted) return;
    try {
      await this.call('compact', true, (deadline) => this.client.kv.compact({ revision, physical: false }, { deadline }), false);
      this.learnCompacted(revision);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'Compacted') return; // already compacted at or beyond it
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.compactTimer);
    this.watches.close();
    this.client.close();
  }

  private learnCompacted(revision: number): void {
    if (revision > this.knownCompacted) this.knownCompacted = revision;
  }

  /** Compacts to the revision sampled one interval ago, so at least one interval of history stays. */
  private scheduleCompaction(): void {
    this.compactTimer = setTimeout(async () => {
      try {
        const head = await this.currentRevision();
        if (this.lastSampledRevision > 0) await this.compact(this.lastSampledRevision);
        this.lastSampledRevision = head;
      } catch {
        // etcd unreachable for now: the next interval tries again.
      }
      if (!this.closed) this.scheduleCompaction();
    }, this.options.compactIntervalMs);
    this.compactTimer.unref();
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('Closed', 'the etcd store is closed');
  }

  private checkSize(key: string, value: string): void {
    this.checkOpen();
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_VALUE_BYTES) throw new StoreError('TooLarge', `value of ${key} is ${bytes} bytes, more than the limit of ${MAX_VALUE_BYTES}`);
  }

  private preconditionFailed(key: string, expected: number | undefined, res: ITxnResponse): StoreError {
    const current = res.responses[0]?.response_range.kvs[0];
    if (!current) return new StoreError('NotFound', `key ${key} not found`);
    const kv = this.watches.keyValue(current as IKeyValue);
    return new StoreError('Conflict', `key ${key} is at modRevision ${kv.modRevision}, not ${expected}`, kv);
  }

  private async read(what: string, request: IRangeRequest): Promise<IRangeResponse> {
    this.checkOpen();
    return this.call(what, true, (deadline) => this.client.kv.range(request, { deadline }));
  }

  private async txn(what: string, request: ITxnRequest): Promise<ITxnResponse> {
    return this.call(what, false, (deadline) => this.client.kv.txn(request, { deadline }));
  }

  /**
   * Runs one etcd call until it succeeds, fails for good, or the request deadline passes. Reads
   * are tried again after any transient failure; writes only when the request cannot have been
   * applied (no connection, no leader), since a write whose answer was lost may have happened.
   */
  private async call<T>(what: string, idempotent: boolean, attempt: (deadline: Date) => Promise<T>, findCompactRevision = true): Promise<T> {
    const deadline = Date.now() + this.options.requestTimeoutMs;
    let pause = 20;
    let reason: unknown;
    for (;;) {
      this.checkOpen();
      try {
        return await attempt(new Date(deadline));
      } catch (err) {
        if (reason === undefined || !isBrokenCircuit(err)) reason = err;
        if (this.closed) throw new StoreError('Closed', 'the etcd store is closed');
        if (isCompactedError(err)) {
          const compactRevision = findCompactRevision ? await this.compactedRevisionOrKnown() : this.knownCompacted;
          throw new StoreError('Compacted', `etcd ${what}: the revision was compacted`, undefined, compactRevision);
        }
        if (isFutureRevisionError(err)) throw new StoreError('FutureRevision', `etcd ${what}: the revision is in the future`);
        if (isTooLargeError(err)) throw new StoreError('TooLarge', `etcd ${what}: the request is larger than etcd accepts (its --max-request-bytes)`);
        const again = idempotent ? isTransientError(err) : isNotSentError(err);
        if (!again || Date.now() + pause >= deadline) throw new EtcdUnavailableError(`${what} at ${this.options.description}`, reason);
        await new Promise((r) => setTimeout(r, pause));
        pause = Math.min(500, pause * 2);
      }
    }
  }

  private async compactedRevisionOrKnown(): Promise<number> {
    try {
      return await this.compactedRevision();
    } catch {
      return this.knownCompacted;
    }
  }
}
