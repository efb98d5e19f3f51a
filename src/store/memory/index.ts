export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { compareKeys, prefixEnd } from './keys.js';
export { DEFAULT_RETENTION, type RetentionOptions } from './retention.js';
