// Store watches over etcd's Watch RPC: every watch of a store shares one gRPC stream, each with a
// watch id chosen here. A watch remembers the first revision it has not delivered yet; when the
// stream breaks (a member died, a connection reset) or etcd cancels a watch, it is created again
// from that revision on a new stream, and events it already delivered are dropped, so listeners
// see every event exactly once, in order. Only compaction (the resume point is gone) or close()
// ends a watch, with Compacted or Closed.
//
// etcd3's own watcher is not used: it resumes from the revision in a response's header, which can
// be ahead of the events actually sent while a watch replays history, and would then skip events.

import type { IDuplexStream, IEvent, IKeyValue, IWatchRequest, IWatchResponse } from 'etcd3';
import { StoreError, type KeyValue, type WatchEvent, type WatchHandle, type WatchListener } from '../types.js';
import type { EtcdClient } from './client.js';
import type { KeySpace } from './keys.js';

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

interface Subscription {
  readonly id: number;
  readonly range: { key: Buffer; range_end: Buffer };
  readonly listener: WatchListener;
  /** The first revision not yet delivered: where the watch resumes. */
  nextRevision: number;
  /**
   * Whether etcd counts this watch as caught up with the store on the current stream, so that a
   * progress notification for the whole stream speaks for it: created at or beyond the head, told
   * so by a progress notification of its own, or caught up since (see isSynced).
   */
  synced: boolean;
  /** The newest revision the listener knows to be complete, by events or progress. */
  knownRevision: number;
  /** The head revision when etcd created the watch on the current stream, and when that was. */
  createdRevision: number;
  createdAt: number;
}

/** A progress notification answering a progress request is not for one watch but for all (-1). */
const ALL_WATCHES = -1;
const MAX_BACKOFF_MS = 2000;
/** How long a watch may lag a revision read elsewhere before progress is asked of etcd. */
const PROGRESS_GRACE_MS = 25;
/** How often progress is asked again while a watch still lags (it may not have caught up yet). */
const PROGRESS_RETRY_MS = 250;
/** etcd moves a watch that started in the past to its live set within a few of its 100 ms sync rounds. */
const CATCH_UP_MS = 1000;

export class WatchStreams {
  private readonly subs = new Map<number, Subscription>();
  private stream: WatchStream | undefined;
  private connecting = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private backoffMs = 50;
  private nextId = 1;
  private closed = false;
  private pending: [WatchStream, IWatchResponse][] = [];
  /** The newest head revision the store read, which watches are brought up to. */
  private wantedRevision = 0;

  constructor(
    private readonly client: EtcdClient,
    private readonly keys: KeySpace,
    private readonly onCompactRevision: (revision: number) => void,
    private readonly knownCompactRevision: () => number,
  ) {}

  get size(): number {
    return this.subs.size;
  }

  watch(prefix: string, afterRevision: number, listener: WatchListener): WatchHandle {
    if (this.closed) {
      queueMicrotask(() => listener.onError(new StoreError('Closed', 'the etcd store is closed')));
      return { cancel: () => {} };
    }
    const compacted = this.knownCompactRevision();
    if (afterRevision < compacted) {
      // etcd still has the event at its compaction revision, but the contract keeps only those after it.
      queueMicrotask(() => listener.onError(compactedError(afterRevision, compacted)));
      return { cancel: () => {} };
    }
    const sub: Subscription = { id: this.nextId++, range: this.keys.range(prefix), listener, nextRevision: Math.max(1, afterRevision + 1), knownRevision: afterRevision, synced: false, createdRevision: Infinity, createdAt: Infinity };
    this.subs.set(sub.id, sub);
    if (this.stream) this.create(this.stream, sub);
    else this.connect();
    return {
      cancel: () => {
        if (!this.subs.delete(sub.id)) return;
        this.write({ cancel_request: { watch_id: sub.id } });
      },
    };
  }

  /**
   * The store read `revision` elsewhere: a watch still behind it either has events on the way or
   * nothing under its prefix changed (writes under other prefixes move etcd's revision too). If
   * it is still behind shortly after, ask etcd for a progress notification to tell which.
   */
  noteRevision(revision: number): void {
    if (revision <= this.wantedRevision) return;
    this.wantedRevision = revision;
    if (!this.progressTimer) this.armProgress();
  }

  private behind(): boolean {
    for (const sub of this.subs.values()) if (sub.knownRevision < this.wantedRevision) return true;
    return false;
  }

  /** Asks for progress while a watch lags the newest revision noted, every PROGRESS_RETRY_MS. */
  private armProgress(delay = PROGRESS_GRACE_MS): void {
    this.progressTimer = setTimeout(() => {
      this.progressTimer = undefined;
      if (this.closed || !this.behind()) return;
      this.write({ progress_request: {} });
      this.armProgress(PROGRESS_RETRY_MS);
    }, delay);
    this.progressTimer.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.progressTimer);
    const subs = [...this.subs.values()];
    this.subs.clear();
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    const err = new StoreError('Closed', 'the etcd store is closed');
    for (const sub of subs) tell(() => sub.listener.onError(err));
  }

  private connect(): void {
    if (this.closed || this.connecting || this.stream || this.reconnectTimer || this.subs.size === 0) return;
    this.connecting = true;
    this.client.watchClient.watch().then(
      (stream) => {
        this.connecting = false;
        if (this.closed) {
          stream.cancel();
          return;
        }
        this.stream = stream;
        stream.on('data', (res: IWatchResponse) => this.enqueue(stream, res));
        stream.on('error', () => this.onBroken(stream));
        stream.on('end', () => this.onBroken(stream));
        for (const sub of this.subs.values()) this.create(stream, sub);
      },
      () => {
        this.connecting = false;
        this.scheduleReconnect();
      },
    );
  }

  private onBroken(stream: WatchStream): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    stream.cancel();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private create(stream: WatchStream, sub: Subscription): void {
    sub.synced = false;
    sub.createdRevision = Infinity;
    sub.createdAt = Infinity;
    stream.write({
      create_request: {
        key: sub.range.key,
        range_end: sub.range.range_end,
        start_revision: sub.nextRevision,
        prev_kv: true,
        progress_notify: true,
        watch_id: sub.id,
      },
    });
  }

  private write(request: IWatchRequest): void {
    try {
      this.stream?.write(request);
    } catch {
      // A stream that is going away; its 'error' or 'end' reconnects.
    }
  }

  /**
   * Responses that arrive together are handled together, in one turn of the event loop: etcd
   * sends each watch its own response for a revision, and code woken by one watch's event should
   * find the other watches of the store already told.
   */
  private enqueue(stream: WatchStream, res: IWatchResponse): void {
    this.pending.push([stream, res]);
    if (this.pending.length > 1) return;
    setImmediate(() => {
      const batch = this.pending;
      this.pending = [];
      for (const [s, r] of batch) this.onResponse(s, r);
    });
  }

  private onResponse(stream: WatchStream, res: IWatchResponse): void {
    if (this.stream !== stream) return;
    const id = Number(res.watch_id);
    const revision = Number(res.header?.revision ?? 0);
    if (id === ALL_WATCHES) {
      for (const sub of [...this.subs.values()]) if (this.isSynced(sub)) this.progress(sub, revision);
      return;
    }
    const sub = this.subs.get(id);
    if (!sub) return;
    if (res.created) {
      this.backoffMs = 50;
      sub.synced = sub.nextRevision > revision;
      sub.createdRevision = revision;
      sub.createdAt = Date.now();
    }
    if (res.canceled) {
      this.onCanceled(stream, sub, res);
      return;
    }
    if (res.events.length > 0) {
      this.deliver(sub, res.events);
    } else if (!res.created) {
      // etcd sends a watch its own progress notification only once it has caught up.
      sub.synced = true;
      sub.nextRevision = Math.max(sub.nextRevision, revision + 1);
      this.progress(sub, revision);
    }
  }

  /**
   * A watch created in the past replays history first; etcd reports it as caught up only through
   * its own progress notifications (every 10 minutes by default). Once it delivered an event at or
   * past its creation revision, or had time for etcd's sync rounds, it counts as caught up.
   */
  private isSynced(sub: Subscription): boolean {
    if (!sub.synced && (sub.nextRevision > sub.createdRevision || Date.now() - sub.createdAt > CATCH_UP_MS)) sub.synced = true;
    return sub.synced;
  }

  private progress(sub: Subscription, revision: number): void {
    if (revision <= sub.knownRevision) return;
    sub.knownRevision = revision;
    tell(() => sub.listener.onProgress?.(revision));
  }

  private onCanceled(stream: WatchStream, sub: Subscription, res: IWatchResponse): void {
    const compactRevision = Number(res.compact_revision ?? 0);
    if (compactRevision > 0) {
      this.subs.delete(sub.id);
      this.onCompactRevision(compactRevision);
      tell(() => sub.listener.onError(compactedError(sub.nextRevision - 1, compactRevision)));
      return;
    }
    // Cancelled by the server for another reason (its member lost its leader, a limit): resume
    // from where the watch was, after a pause so a persistent refusal does not spin.
    const delay = this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    setTimeout(() => {
      if (this.stream === stream && this.subs.get(sub.id) === sub) this.create(stream, sub);
    }, delay).unref();
  }

  private deliver(sub: Subscription, raw: IEvent[]): void {
    const events: WatchEvent[] = [];
    for (const e of raw) {
      const modRevision = Number(e.kv.mod_revision);
      if (modRevision < sub.nextRevision) continue;
      events.push(this.event(e, modRevision));
    }
    if (events.length === 0) return;
    sub.nextRevision = events[events.length - 1]!.kv.modRevision + 1;
    sub.knownRevision = Math.max(sub.knownRevision, sub.nextRevision - 1);
    tell(() => sub.listener.onEvents(events));
  }

  private event(e: IEvent, modRevision: number): WatchEvent {
    const prevKv = e.prev_kv ? this.keyValue(e.prev_kv) : undefined;
    if (e.type === 'Delete') {
      const kv = Object.freeze({
        key: this.keys.strip(e.kv.key),
        value: prevKv?.value ?? '',
        createRevision: prevKv?.createRevision ?? 0,
        modRevision,
      });
      return Object.freeze(prevKv ? { type: 'DELETE' as const, kv, prevKv } : { type: 'DELETE' as const, kv });
    }
    const kv = this.keyValue(e.kv);
    return Object.freeze(prevKv ? { type: 'PUT' as const, kv, prevKv } : { type: 'PUT' as const, kv });
  }

  keyValue(kv: IKeyValue): KeyValue {
    return Object.freeze({
      key: this.keys.strip(kv.key),
      value: kv.value ? kv.value.toString('utf8') : '',
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    });
  }
}

/**
 * Calls a listener. A throwing listener is a bug of its owner: it is surfaced without being taken
 * for a broken stream or keeping the other watches from being told.
 */
function tell(call: () => void): void {
  try {
    call();
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

function compactedError(afterRevision: number, compactRevision: number): StoreError {
  return new StoreError('Compacted', `watch after revision ${afterRevision}: history up to revision ${compactRevision} was compacted`, undefined, compactRevision);
}
