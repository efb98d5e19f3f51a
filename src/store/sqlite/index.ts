export {
  DATABASE_FILE,
  SqliteStore,
  openSqliteStore,
  type SqliteStoreOptions,
  type SqliteStoreStats,
} from './sqlite-store.js';
export { DataDirectoryInUseError } from './errors.js';
