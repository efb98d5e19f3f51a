// The store contract: a revisioned key/value store with prefix watch, shaped like etcd's v3 API so
// that memory, sqlite and etcd are interchangeable behind the API server. Values are the objects'
// JSON text. Every write bumps the store-wide revision by one; the revision is the resourceVersion.

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created this key (since its last deletion). */
  createRevision: number;
  /** Revision of the last write to this key. */
  modRevision: number;
}

export interface RangeOptions {
  /** At most this many keys (0 or absent: no limit). */
  limit?: number;
  /** Only keys strictly greater than this one (a continue token's position). */
  startAfter?: string;
  /** Read as of this revision (must not be compacted); absent: current. */
  revision?: number;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** The revision the range was read at. */
  revision: number;
  /** Whether keys remain after the last one returned. */
  more: boolean;
  /** How many keys remain after the last one returned (when cheap to know). */
  remaining?: number;
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  /** For PUT the new value; for DELETE the key with the deleted value and modRevision = the delete's revision. */
  kv: KeyValue;
  /** The value before this event, when there was one. */
  prevKv?: KeyValue;
}

export interface WatchHandle {
  cancel(): void;
}

export type StoreErrorCode = 'KeyExists' | 'NotFound' | 'Conflict' | 'Compacted' | 'FutureRevision' | 'TooLarge' | 'Closed';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** For Conflict: the current value; for Compacted: the oldest revision still kept. */
    readonly current?: KeyValue,
    readonly compactRevision?: number,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface WatchListener {
  /** Events of one or more revisions, in revision order. */
  onEvents(events: WatchEvent[]): void;
  /** The watch ended (Compacted when `afterRevision` is older than what is kept, or Closed). */
  onError(err: StoreError): void;
  /**
   * Nothing under the prefix changed up to `revision`. Only etcd calls it: its revision is shared
   * by every prefix, so a watch can be behind the store's revision with no event on the way.
   */
  onProgress?(revision: number): void;
}

export interface Store {
  /** The backend's name: `memory`, `sqlite`, `etcd`. */
  readonly name: string;

  get(key: string, revision?: number): Promise<KeyValue | undefined>;

  /** Keys starting with `prefix`, in byte order of the key. */
  range(prefix: string, options?: RangeOptions): Promise<RangeResult>;

  /** Number of keys under `prefix` at the current revision. */
  count(prefix: string): Promise<number>;

  /** Creates `key` only if it is absent; throws KeyExists otherwise. */
  create(key: string, value: string): Promise<KeyValue>;

  /** Replaces `key` only if its modRevision is `expectedModRevision`; throws NotFound or Conflict (with the current value). */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;

  /**
   * Deletes `key`, only if its modRevision is `expectedModRevision` when given; throws NotFound or
   * Conflict. Returns the deleted value with modRevision set to the delete's revision.
   */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;

  /**
   * Delivers every change under `prefix` with revision > `afterRevision`, first from history, then
   * live, in revision order. If `afterRevision` is older than the compacted revision, calls onError
   * with Compacted instead.
   */
  watch(prefix: string, afterRevision: number, listener: WatchListener): WatchHandle;

  currentRevision(): Promise<number>;

  /** The oldest revision whose history is still kept (watches and reads at or after it work). */
  compactedRevision(): Promise<number>;

  /** Forgets history before `revision`. */
  compact(revision: number): Promise<void>;

  close(): Promise<void>;
}

/** The largest value the store accepts, as etcd's default request limit allows. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;
