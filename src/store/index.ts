// Opens a Store by backend name. Each backend module is loaded only when asked for, so a server
// that runs on memory never loads the SQLite addon, and one on SQLite never loads gRPC.

import type { Store } from './types.js';
import type { MemoryStoreOptions } from './memory/index.js';
import type { SqliteStoreOptions } from './sqlite/index.js';
import type { EtcdStoreConfig } from './etcd/config.js';

export type StoreOptions =
  | ({ backend: 'memory' } & MemoryStoreOptions)
  | ({ backend: 'sqlite' } & SqliteStoreOptions)
  | ({ backend: 'etcd' } & EtcdStoreConfig);

export async function openStore(options: StoreOptions): Promise<Store> {
  switch (options.backend) {
    case 'memory': {
      const { MemoryStore } = await import('./memory/index.js');
      return new MemoryStore(options);
    }
    case 'sqlite': {
      const { openSqliteStore } = await import('./sqlite/index.js');
      return openSqliteStore(options);
    }
    case 'etcd': {
      const { openEtcdStore } = await import('./etcd/index.js');
      return openEtcdStore(options);
    }
    default: {
      const unknown: never = options;
      throw new Error(`unknown store backend ${JSON.stringify((unknown as { backend: unknown }).backend)}`);
    }
  }
}

export { MemoryStore, type MemoryStoreOptions } from './memory/index.js';
export { DataDirectoryInUseError, SqliteStore, type SqliteStoreOptions, type SqliteStoreStats } from './sqlite/index.js';
export { EtcdConfigError, checkEtcdConfig, type EtcdStoreConfig, type EtcdTlsConfig } from './etcd/config.js';
export * from './types.js';
