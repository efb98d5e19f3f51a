import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/index.js';
import { describeStoreContract } from './contract.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'k8ts-store-'));
}

async function openTemp(options: Partial<SqliteStoreOptions> = {}) {
  const dir = tempDir();
  try {
    const store = await openSqliteStore({ path: dir, synchronous: 'normal', ...options });
    return {
      store,
      dir,
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

describeStoreContract('sqlite', () => openTemp());
describeStoreContract('sqlite, fsync on commit, replaying in pages of 3', () => openTemp({ synchronous: 'full', watchPageSize: 3 }));
