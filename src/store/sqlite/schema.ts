// The on-disk layout. `kv` holds the present, one row per live key, so current reads never touch
// history. `log` holds one row per revision: which key changed, whether it was deleted, and what the
// key held just before (an undo record). The present plus the undo records reconstruct any kept
// revision, and each value is stored once in the steady state: a rewrite moves the old value into
// the log, and compaction drops it from there.

import type { Database } from 'better-sqlite3';

export const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS kv (
  id         INTEGER PRIMARY KEY,
  key        TEXT NOT NULL UNIQUE,
  value      TEXT NOT NULL,
  create_rev INTEGER NOT NULL,
  mod_rev    INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS log (
  rev             INTEGER PRIMARY KEY,
  key             TEXT NOT NULL,
  deleted         INTEGER NOT NULL,
  prev_value      TEXT,
  prev_create_rev INTEGER,
  prev_mod_rev    INTEGER
);

CREATE INDEX IF NOT EXISTS log_key_rev ON log (key, rev);

INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
`;

/** Creates the tables of a new database, or checks that an existing one is of a known version. */
export function migrate(db: Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`store database ${file} has schema version ${version}; this version of k8ts reads up to ${SCHEMA_VERSION}`);
  }
  db.exec(DDL);
  if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
