// Every SQL statement the sqlite backend runs, prepared once. Columns are aliased to the fields of
// KeyValue so rows are used as they come. Key ranges are `[lo, hi)` (or `(lo, hi)` after a continue
// key); `hi` is absent when the prefix has no upper bound.

import type { Database, Statement } from 'better-sqlite3';
import type { KeyValue, WatchEvent } from '../types.js';

export interface KeyRange {
  lo: string;
  /** Whether `lo` itself is excluded (it is the last key of a previous page). */
  exclusive: boolean;
  hi: string | undefined;
}

interface LogRow {
  rev: number;
  key: string;
  deleted: number;
  value: string | null;
  prevValue: string | null;
  prevCreateRevision: number | null;
  prevModRevision: number | null;
}

interface PastRow {
  value: string | null;
  createRevision: number | null;
  modRevision: number | null;
}

const KV_COLUMNS = 'key, value, create_rev AS createRevision, mod_rev AS modRevision';

function keyBounds(column: string, range: KeyRange): string {
  const lower = `${column} ${range.exclusive ? '>' : '>='} @lo`;
  return range.hi === undefined ? lower : `${lower} AND ${column} < @hi`;
}

function variant(range: KeyRange): string {
  return `${range.exclusive ? 'x' : 'i'}${range.hi === undefined ? 'o' : 'b'}`;
}

function bind(range: KeyRange, extra: Record<string, number> = {}): Record<string, string | number> {
  return range.hi === undefined ? { lo: range.lo, ...extra } : { lo: range.lo, hi: range.hi, ...extra };
}

export class Queries {
  private readonly getKv: Statement<[string], KeyValue>;
  private readonly insertKv: Statement<[string, string, number, number]>;
  private readonly updateKv: Statement<[string, number, string]>;
  private readonly deleteKv: Statement<[string]>;
  private readonly insertLog: Statement<[number, string, number, string | null, number | null, number | null]>;
  private readonly readMeta: Statement<[string], number>;
  private readonly writeMeta: Statement<[number, string]>;
  private readonly firstChangeAfter: Statement<[string, number], PastRow>;
  private readonly purgeLog: Statement<[number, number]>;
  private readonly oldestLog: Statement<[], number | null>;
  private readonly countLog: Statement<[], number>;
  private readonly cache = new Map<string, Statement>();

  constructor(private readonly db: Database) {
    this.getKv = db.prepare(`SELECT ${KV_COLUMNS} FROM kv WHERE key = ?`);
    this.insertKv = db.prepare('INSERT INTO kv (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING');
    this.updateKv = db.prepare('UPDATE kv SET value = ?, mod_rev = ? WHERE key = ?');
    this.deleteKv = db.prepare('DELETE FROM kv WHERE key = ?');
    this.insertLog = db.prepare(
      'INSERT INTO log (rev, key, deleted, prev_value, prev_create_rev, prev_mod_rev) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.readMeta = db.prepare<[string], number>('SELECT value FROM meta WHERE name = ?').pluck();
    this.writeMeta = db.prepare('UPDATE meta SET value = ? WHERE name = ?');
    this.firstChangeAfter = db.prepare(
      `SELECT prev_value AS value, prev_create_rev AS createRevision, prev_mod_rev AS modRevision
         FROM log WHERE key = ? AND rev > ? ORDER BY rev LIMIT 1`,
    );
    this.purgeLog = db.prepare('DELETE FROM log WHERE rev > ? AND rev <= ?');
    this.oldestLog = db.prepare<[], number | null>('SELECT min(rev) FROM log').pluck();
    this.countLog = db.prepare<[], number>('SELECT count(*) FROM log').pluck();
  }

  current(key: string): KeyValue | undefined {
    return this.getKv.get(key);
  }

  /** Inserts a new key; false when it already exists. */
  insert(kv: KeyValue): boolean {
    return this.insertKv.run(kv.key, kv.value, kv.createRevision, kv.modRevision).changes === 1;
  }

  replace(kv: KeyValue): void {
    this.updateKv.run(kv.value, kv.modRevision, kv.key);
  }

  remove(key: string): void {
    this.deleteKv.run(key);
  }

  /** Records that `key` changed at `revision`, and what it held before. */
  logChange(revision: number, key: string, deleted: boolean, prev: KeyValue | undefined): void {
    this.insertLog.run(revision, key, deleted ? 1 : 0, prev?.value ?? null, prev?.createRevision ?? null, prev?.modRevision ?? null);
  }

  meta(name: 'revision' | 'compacted'): number {
    return this.readMeta.get(name) ?? 0;
  }

  setMeta(name: 'revision' | 'compacted', value: number): void {
    this.writeMeta.run(value, name);
  }

  /** The value of `key` at `revision`: what its first later change replaced, else the present. */
  valueAt(key: string, revision: number): KeyValue | undefined {
    const change = this.firstChangeAfter.get(key, revision);
    if (!change) return this.getKv.get(key);
    if (change.modRevision === null) return undefined;
    return { key, value: change.value!, createRevision: change.createRevision!, modRevision: change.modRevision };
  }

  /** Up to `limit` present keys in `range`, in key order (limit < 0: all). */
  rangeCurrent(range: KeyRange, limit: number): KeyValue[] {
    return this.statement(`current:${variant(range)}`, () =>
      `SELECT ${KV_COLUMNS} FROM kv WHERE ${keyBounds('key', range)} ORDER BY key LIMIT @limit`,
    ).all(bind(range, { limit })) as KeyValue[];
  }

  countCurrent(range: KeyRange): number {
    return this.statement(`count:${variant(range)}`, () => `SELECT count(*) FROM kv WHERE ${keyBounds('key', range)}`)
      .pluck()
      .get(bind(range)) as number;
  }

  /**
   * Keys in `range` as of `revision`: present keys unchanged since then, plus the values replaced by
   * each key's first change after it. The two sets cannot share a key.
   */
  rangeAt(range: KeyRange, revision: number, limit: number): KeyValue[] {
    return this.statement(`past:${variant(range)}`, () => `${this.pastUnion(range)} ORDER BY key LIMIT @limit`).all(
      bind(range, { rev: revision, limit }),
    ) as KeyValue[];
  }

  countAt(range: KeyRange, revision: number): number {
    return this.statement(`pastcount:${variant(range)}`, () => `SELECT count(*) FROM (${this.pastUnion(range)})`)
      .pluck()
      .get(bind(range, { rev: revision })) as number;
  }

  /**
   * Events with revision > `after` whose key is in `range`, oldest first, stopping after `limit`
   * events or once their values pass `maxBytes`. A put's new value is what the key's next change
   * replaced, or its present value when there is no later change. `complete` is true when no
   * later event in the range exists.
   */
  eventsAfter(range: KeyRange, after: number, limit: number, maxBytes: number): { events: WatchEvent[]; complete: boolean } {
    const rows = this.statement(`events:${variant(range)}`, () =>
      `SELECT l.rev, l.key, l.deleted,
              l.prev_value AS prevValue, l.prev_create_rev AS prevCreateRevision, l.prev_mod_rev AS prevModRevision,
              CASE WHEN l.deleted = 0 THEN coalesce(
                (SELECT n.prev_value FROM log n WHERE n.key = l.key AND n.rev > l.rev ORDER BY n.rev LIMIT 1),
                (SELECT c.value FROM kv c WHERE c.key = l.key)) END AS value
         FROM log l
        WHERE l.rev > @after AND ${keyBounds('+l.key', range)}
        ORDER BY l.rev LIMIT @limit`,
    ).iterate(bind(range, { after, limit: limit + 1 })) as IterableIterator<LogRow>;
    const events: WatchEvent[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (events.length === limit || bytes > maxBytes) return { events, complete: false };
      bytes += (row.value?.length ?? 0) + (row.prevValue?.length ?? 0);
      events.push(toEvent(row));
    }
    return { events, complete: true };
  }

  /** Deletes log rows with revisions in (after, through]. */
  purge(after: number, through: number): void {
    this.purgeLog.run(after, through);
  }

  oldestLogRevision(): number | undefined {
    return this.oldestLog.get() ?? undefined;
  }

  logRows(): number {
    return this.countLog.get() ?? 0;
  }

  private pastUnion(range: KeyRange): string {
    return `SELECT ${KV_COLUMNS} FROM kv WHERE ${keyBounds('key', range)} AND mod_rev <= @rev
      UNION ALL
      SELECT key, prev_value, prev_create_rev, prev_mod_rev FROM log
       WHERE rev > @rev AND prev_mod_rev <= @rev AND ${keyBounds('key', range)}`;
  }

  private statement(name: string, sql: () => string): Statement {
    let stmt = this.cache.get(name);
    if (!stmt) this.cache.set(name, (stmt = this.db.prepare(sql())));
    return stmt;
  }
}

function toEvent(row: LogRow): WatchEvent {
  const prevKv =
    row.prevModRevision === null
      ? undefined
      : Object.freeze({ key: row.key, value: row.prevValue!, createRevision: row.prevCreateRevision!, modRevision: row.prevModRevision });
  if (row.deleted) {
    const kv = Object.freeze({ key: row.key, value: prevKv!.value, createRevision: prevKv!.createRevision, modRevision: row.rev });
    return Object.freeze({ type: 'DELETE', kv, prevKv });
  }
  const kv = Object.freeze({ key: row.key, value: row.value!, createRevision: prevKv?.createRevision ?? row.rev, modRevision: row.rev });
  return Object.freeze(prevKv ? { type: 'PUT', kv, prevKv } : { type: 'PUT', kv });
}
