// The embedded default backend, on SQLite in WAL mode. One process owns the data directory (the
// database is opened in exclusive locking mode, which the OS releases if the process dies). Writes
// are group-committed; once a transaction commits, its events go to watchers from memory in the
// same synchronous step, and history is read from the log only to replay a watch that starts
// behind. History is compacted on a schedule, and the log rows it frees are purged in small
// transactions so writers are never held up for long.

import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as DatabaseHandle, Transaction } from 'better-sqlite3';
import {
  StoreError,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Store,
  type WatchEvent,
  type WatchHandle,
  type WatchListener,
} from '../types.js';
import { checkReadRevision, checkValueSize, compareKeys, prefixEnd, storeErrors } from '../memory/keys.js';
import { RetentionSchedule, type RetentionOptions } from '../memory/retention.js';
import { WatchHub } from '../memory/watch-hub.js';
import { DataDirectoryInUseError } from './errors.js';
import { GroupCommit, type Outcome } from './group-commit.js';
import { Queries, type KeyRange } from './queries.js';
import { migrate } from './schema.js';

export const DATABASE_FILE = 'store.db';

export interface SqliteStoreOptions extends RetentionOptions {
  /** The data directory; created when missing. */
  path: string;
  /**
   * `full` (default): a commit is fsynced before it is acknowledged, surviving power loss.
   * `normal`: acknowledged writes survive the process being killed, not the machine crashing.
   */
  synchronous?: 'full' | 'normal';
  /** Compact automatically by the retention policy. Default true. */
  autoCompact?: boolean;
  /** Most writes committed in one transaction. Default 1000. */
  maxWriteBatch?: number;
  /** Log rows deleted per purge transaction after a compaction. Default 1000. */
  purgeBatchSize?: number;
  /** Events a catching-up watch reads per turn of the event loop. Default 1000. */
  watchPageSize?: number;
}

export interface SqliteStoreStats {
  revision: number;
  compactedRevision: number;
  keys: number;
  /** Rows in the event log, including compacted ones not yet purged. */
  logRows: number;
  databaseBytes: number;
  walBytes: number;
}

type WriteOp =
  | { kind: 'create'; key: string; value: string }
  | { kind: 'update'; key: string; value: string; expected: number }
  | { kind: 'delete'; key: string; expected: number | undefined };

/** Roughly how much value text one replay page may hold, so old large objects cannot flood memory. */
const REPLAY_PAGE_BYTES = 8 * 1024 * 1024;

const WHOLE_KEYSPACE: KeyRange = { lo: '', exclusive: false, hi: undefined };

export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const dir = resolve(options.path);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, DATABASE_FILE);
  let db: DatabaseHandle;
  try {
    db = new Database(file, { timeout: 0 });
  } catch (err) {
    throw new Error(`cannot open store database ${file}: ${(err as Error).message}`);
  }
  try {
    // Exclusive locking before WAL: no shared-memory index, and the lock taken below is held for
    // the life of the connection.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('journal_size_limit = 67108864');
    db.pragma('cache_size = -32768');
    db.exec('BEGIN EXCLUSIVE');
    migrate(db, file);
    db.exec('COMMIT');
  } catch (err) {
    const busy = (err as { code?: string }).code?.startsWith('SQLITE_BUSY') ?? false;
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
    if (busy) throw new DataDirectoryInUseError(dir);
    throw err;
  }
  return new SqliteStore(db, dir, options);
}

export class SqliteStore implements Store {
  readonly name = 'sqlite';

  private readonly q: Queries;
  private revision: number;
  private compacted: number;
  private purgedThrough: number;
  private purgeTask: NodeJS.Immediate | undefined;
  private readonly purgeBatch: number;
  private closed = false;
  private readonly hub: WatchHub;
  private readonly writer: GroupCommit<WriteOp, KeyValue>;
  private readonly applyAll: Transaction<(ops: WriteOp[], events: WatchEvent[]) => Outcome<KeyValue>[]>;
  private readonly retention: RetentionSchedule | undefined;

  /** Use openSqliteStore. */
  constructor(
    private readonly db: DatabaseHandle,
    readonly path: string,
    options: SqliteStoreOptions,
  ) {
    this.q = new Queries(db);
    this.revision = this.q.meta('revision');
    this.compacted = this.q.meta('compacted');
    this.purgedThrough = (this.q.oldestLogRevision() ?? this.compacted + 1) - 1;
    this.purgeBatch = options.purgeBatchSize ?? 1000;
    this.applyAll = db.transaction((ops: WriteOp[], events: WatchEvent[]) => {
      const before = this.revision;
      const outcomes = ops.map((op) => this.apply(op, events));
      if (this.revision !== before) this.q.setMeta('revision', this.revision);
      return outcomes;
    });
    this.writer = new GroupCommit((ops) => this.commit(ops), options.maxWriteBatch ?? 1000);
    this.hub = new WatchHub(
      {
        headRevision: () => this.revision,
        compactedRevision: () => this.compacted,
        readEvents: (prefix, after, limit) => this.readEvents(prefix, after, limit),
      },
      options.watchPageSize === undefined ? {} : { pageSize: options.watchPageSize },
    );
    if (options.autoCompact !== false) {
      this.retention = new RetentionSchedule(
        {
          headRevision: () => this.revision,
          compactedRevision: () => this.compacted,
          compactTo: (revision) => this.compactTo(revision),
        },
        options,
      );
      this.retention.start();
    }
    this.schedulePurge();
  }

  async get(key: string, revision?: number): Promise<KeyValue | undefined> {
    this.checkOpen();
    if (revision === undefined || revision === this.revision) return this.q.current(key);
    checkReadRevision(revision, this.compacted, this.revision);
    return this.q.valueAt(key, revision);
  }

  async range(prefix: string, options: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    const at = options.revision ?? this.revision;
    const historical = at !== this.revision;
    if (historical) checkReadRevision(at, this.compacted, this.revision);
    const hi = prefixEnd(prefix);
    const after = options.startAfter;
    const exclusive = after !== undefined && compareKeys(after, prefix) >= 0;
    const range: KeyRange = { lo: exclusive ? after : prefix, exclusive, hi };
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    const fetch = limit > 0 ? limit + 1 : -1;
    const kvs = historical ? this.q.rangeAt(range, at, fetch) : this.q.rangeCurrent(range, fetch);
    const more = limit > 0 && kvs.length > limit;
    if (!more) return { kvs, revision: at, more, remaining: 0 };
    kvs.length = limit;
    const rest: KeyRange = { lo: kvs[limit - 1]!.key, exclusive: true, hi };
    const remaining = historical ? this.q.countAt(rest, at) : this.q.countCurrent(rest);
    return { kvs, revision: at, more, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.q.countCurrent({ lo: prefix, exclusive: false, hi: prefixEnd(prefix) });
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    checkValueSize(key, value);
    return this.writer.submit({ kind: 'create', key, value });
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    this.checkOpen();
    checkValueSize(key, value);
    return this.writer.submit({ kind: 'update', key, value, expected: expectedModRevision });
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    this.checkOpen();
    return this.writer.submit({ kind: 'delete', key, expected: expectedModRevision });
  }

  watch(prefix: string, afterRevision: number, listener: WatchListener): WatchHandle {
    return this.hub.watch(prefix, afterRevision, listener);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (!Number.isInteger(revision) || revision < 0) {
      throw new RangeError(`revision must be a non-negative integer, not ${revision}`);
    }
    if (revision > this.revision) throw storeErrors.futureRevision(revision, this.revision);
    this.compactTo(revision);
  }

  /** Sizes for monitoring and tests. */
  stats(): SqliteStoreStats {
    this.checkOpen();
    const file = join(this.path, DATABASE_FILE);
    return {
      revision: this.revision,
      compactedRevision: this.compacted,
      keys: this.q.countCurrent(WHOLE_KEYSPACE),
      logRows: this.q.logRows(),
      databaseBytes: fileSize(file),
      walBytes: fileSize(`${file}-wal`),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Writes already accepted are committed and acknowledged before the database closes.
    this.writer.flush();
    this.closed = true;
    this.writer.abort(storeErrors.closed());
    this.retention?.stop();
    if (this.purgeTask) clearImmediate(this.purgeTask);
    this.hub.close(storeErrors.closed());
    this.db.close();
  }

  private checkOpen(): void {
    if (this.closed) throw storeErrors.closed();
  }

  private commit(ops: WriteOp[]): Outcome<KeyValue>[] {
    const before = this.revision;
    const events: WatchEvent[] = [];
    let outcomes: Outcome<KeyValue>[];
    try {
      outcomes = this.applyAll(ops, events);
    } catch (err) {
      this.revision = before;
      throw err;
    }
    this.hub.publish(events);
    return outcomes;
  }

  /** Applies one write inside the batch's transaction; a failed precondition writes nothing. */
  private apply(op: WriteOp, events: WatchEvent[]): Outcome<KeyValue> {
    const revision = this.revision + 1;
    if (op.kind === 'create') {
      const kv = Object.freeze({ key: op.key, value: op.value, createRevision: revision, modRevision: revision });
      if (!this.q.insert(kv)) return failed(storeErrors.keyExists(op.key));
      this.q.logChange(revision, op.key, false, undefined);
      this.revision = revision;
      events.push(Object.freeze({ type: 'PUT', kv }));
      return { ok: true, value: kv };
    }
    const current = this.q.current(op.key);
    if (!current) return failed(storeErrors.notFound(op.key));
    if (op.expected !== undefined && current.modRevision !== op.expected) {
      return failed(storeErrors.conflict(op.key, op.expected, current));
    }
    Object.freeze(current);
    this.revision = revision;
    this.q.logChange(revision, op.key, op.kind === 'delete', current);
    if (op.kind === 'update') {
      const kv = Object.freeze({ key: op.key, value: op.value, createRevision: current.createRevision, modRevision: revision });
      this.q.replace(kv);
      events.push(Object.freeze({ type: 'PUT', kv, prevKv: current }));
      return { ok: true, value: kv };
    }
    this.q.remove(op.key);
    const kv = Object.freeze({ ...current, modRevision: revision });
    events.push(Object.freeze({ type: 'DELETE', kv, prevKv: current }));
    return { ok: true, value: kv };
  }

  private readEvents(prefix: string, after: number, limit: number): { events: WatchEvent[]; through: number } {
    const range = { lo: prefix, exclusive: false, hi: prefixEnd(prefix) };
    const { events, complete } = this.q.eventsAfter(range, after, limit, REPLAY_PAGE_BYTES);
    return { events, through: complete ? this.revision : events[events.length - 1]!.kv.modRevision };
  }

  private compactTo(revision: number): void {
    if (revision <= this.compacted) return;
    this.q.setMeta('compacted', revision);
    this.compacted = revision;
    this.schedulePurge();
  }

  private schedulePurge(): void {
    if (this.purgeTask || this.closed || this.purgedThrough >= this.compacted) return;
    this.purgeTask = setImmediate(() => {
      this.purgeTask = undefined;
      if (this.closed) return;
      const through = Math.min(this.compacted, this.purgedThrough + this.purgeBatch);
      this.q.purge(this.purgedThrough, through);
      this.purgedThrough = through;
      this.schedulePurge();
    });
  }
}

function failed(error: StoreError): Outcome<KeyValue> {
  return { ok: false, error };
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
