// ConfigMaps and Secrets read from watches instead of a GET per read, as the kubelet's watch-based
// configmap and secret managers: the first read of an object starts a watch of that one object
// (list and watch by metadata.name, which the Node authorizer allows for objects of the node's
// pods); while the watch is established reads answer from it, and before that, or while it is
// broken, a read is a GET as without the cache. A watch no read has used for a while is stopped.

export interface FollowedObject {
  /** Settles when the watch ends (failure, server timeout, or stop()). */
  done: Promise<void>;
  stop(): void;
}

/** The API seam: one GET, or a list and watch of one object. */
export interface ObjectFeed<T> {
  get(namespace: string, name: string): Promise<T | undefined>;
  /** Reports the object's state once listed (undefined: it does not exist) and after every change. */
  follow(namespace: string, name: string, onState: (obj: T | undefined) => void): FollowedObject;
}

interface Entry<T> {
  namespace: string;
  name: string;
  live: boolean;
  value: T | undefined;
  lastRead: number;
  stopped: boolean;
  current: FollowedObject | undefined;
}

export interface WatchedObjectsOptions {
  /** A watch no read used for this long is stopped (default 5 minutes). */
  idleMs?: number;
  /** Wall clock for idleness (default Date.now). */
  now?(): number;
}

const MAX_RETRY_MS = 30_000;

export class WatchedObjects<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly idleMs: number;
  private readonly now: () => number;
  private stopped = false;
  private lastSweep = 0;

  constructor(
    private readonly feed: ObjectFeed<T>,
    opts: WatchedObjectsOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? 300_000;
    this.now = opts.now ?? Date.now;
  }

  async get(namespace: string, name: string): Promise<T | undefined> {
    if (this.stopped) return this.feed.get(namespace, name);
    const key = `${namespace}/${name}`;
    const now = this.now();
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { namespace, name, live: false, value: undefined, lastRead: now, stopped: false, current: undefined };
      this.entries.set(key, entry);
      void this.run(entry);
    }
    entry.lastRead = now;
    this.sweep(now);
    return entry.live ? entry.value : this.feed.get(namespace, name);
  }

  /** How many objects are watched (tests). */
  get size(): number {
    return this.entries.size;
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) this.end(entry);
    this.entries.clear();
  }

  private end(entry: Entry<T>): void {
    entry.stopped = true;
    entry.live = false;
    entry.value = undefined;
    entry.current?.stop();
  }

  /** Stops watches no read has used for idleMs (checked at most once a second, on reads). */
  private sweep(now: number): void {
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [key, entry] of this.entries) {
      if (now - entry.lastRead <= this.idleMs) continue;
      this.end(entry);
      this.entries.delete(key);
    }
  }

  private async run(entry: Entry<T>): Promise<void> {
    let retryMs = 200;
    while (!entry.stopped) {
      let listed = false;
      const started = this.now();
      const followed = this.feed.follow(entry.namespace, entry.name, (obj) => {
        if (entry.stopped) return;
        listed = true;
        entry.value = obj;
        entry.live = true;
      });
      entry.current = followed;
      if (entry.stopped) followed.stop();
      await followed.done.catch(() => {});
      entry.live = false;
      entry.value = undefined;
      if (entry.stopped) return;
      // A watch that ended long after it was established (the server's timeout) is resumed at once.
      if (listed && this.now() - started >= 1000) {
        retryMs = 200;
        continue;
      }
      await new Promise((r) => setTimeout(r, retryMs).unref());
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
  }
}
