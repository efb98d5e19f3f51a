// List+watch informer: keeps a local copy of a resource (optionally one namespace / selectors),
// calls handlers on changes, resumes watches from the last resourceVersion and relists on
// 410 Expired or stream failures, with back-off.

import type { KubeObject, KubeList } from '../api/types.js';
import type { ResourceInfo } from '../api/resources.js';
import { ApiError } from '../api/errors.js';
import { ApiClient, resourcePath, type WatchEventOf, type WatchStream } from './client.js';

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(obj: T, old: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * The local copy drops each object's metadata.managedFields (client-go's TransformStripManagedFields),
   * often half of an object's size, for a process that never reads them.
   */
  dropManagedFields?: boolean;
}

function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!;
}

/** The object as the local copy keeps it (the objects are this reflector's own, parsed from its responses). */
function kept<T extends KubeObject>(o: T, options: InformerOptions): T {
  if (options.dropManagedFields && o.metadata?.managedFields) delete o.metadata.managedFields;
  return o;
}

/**
 * One list+watch of a resource (with its namespace and selectors) for every informer of the same
 * client, as client-go's shared informers: one local copy and one watch stream however many
 * components of the process ask for it. Informers over it must not modify the objects they get.
 */
class SharedReflector<T extends KubeObject> {
  readonly items = new Map<string, T>();
  readonly subscribers = new Set<Informer<T>>();
  private resourceVersion = '';
  private stream: WatchStream | undefined;
  private stopped = false;
  private syncedResolve!: () => void;
  readonly synced: Promise<void> = new Promise((r) => (this.syncedResolve = r));
  private retryDelay = 200;

  constructor(
    private readonly client: ApiClient,
    readonly info: ResourceInfo,
    private readonly options: InformerOptions,
    private readonly onStopped: () => void,
  ) {}

  start(): void {
    void this.run();
  }

  unsubscribe(informer: Informer<T>): void {
    this.subscribers.delete(informer);
    if (this.subscribers.size) return;
    this.stopped = true;
    this.stream?.stop();
    this.onStopped();
  }

  private query(): Record<string, string | undefined> {
    return { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector };
  }

  private async relist(): Promise<void> {
    const list = await this.client.request<KubeList<T>>('GET', resourcePath(this.info, this.options.namespace), { query: this.query() });
    if (this.stopped) return;
    const fresh = new Map(list.items.map((o) => [keyOf(o), kept(o, this.options)]));
    for (const [key, old] of this.items) {
      if (!fresh.has(key)) {
        this.items.delete(key);
        for (const s of this.subscribers) s.dispatch('delete', old);
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.items.get(key);
      this.items.set(key, obj);
      if (!old) for (const s of this.subscribers) s.dispatch('add', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) for (const s of this.subscribers) s.dispatch('update', obj, old);
    }
    this.resourceVersion = list.metadata.resourceVersion ?? '';
    this.syncedResolve();
  }

  private onEvent(e: WatchEventOf<T>): void {
    if (this.stopped) return;
    if (e.type === 'BOOKMARK') {
      this.resourceVersion = e.object.metadata.resourceVersion ?? this.resourceVersion;
      return;
    }
    if (e.type === 'ERROR') {
      const status = e.object as unknown as { code?: number };
      if (status.code === 410) this.resourceVersion = '';
      this.stream?.stop();
      return;
    }
    const obj = kept(e.object, this.options);
    const key = keyOf(obj);
    this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
    const old = this.items.get(key);
    if (e.type === 'DELETED') {
      this.items.delete(key);
      for (const s of this.subscribers) s.dispatch('delete', obj);
    } else {
      this.items.set(key, obj);
      if (old) for (const s of this.subscribers) s.dispatch('update', obj, old);
      else for (const s of this.subscribers) s.dispatch('add', obj);
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        if (this.stopped) return;
        this.stream = this.client.watch<T>(resourcePath(this.info, this.options.namespace), {
          ...this.query(),
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        }, (e) => this.onEvent(e));
        await this.stream.done;
        this.retryDelay = 200;
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof ApiError && err.code === 410) this.resourceVersion = '';
        await new Promise((r) => setTimeout(r, this.retryDelay).unref());
        this.retryDelay = Math.min(this.retryDelay * 2, 5000);
      }
    }
  }
}

/** The running reflectors of each client, by resource path and selectors. */
const reflectors = new WeakMap<ApiClient, Map<string, SharedReflector<KubeObject>>>();

function reflectorFor<T extends KubeObject>(client: ApiClient, info: ResourceInfo, options: InformerOptions): SharedReflector<T> {
  let byKey = reflectors.get(client);
  if (!byKey) reflectors.set(client, (byKey = new Map()));
  const key = JSON.stringify([resourcePath(info, options.namespace), options.labelSelector ?? '', options.fieldSelector ?? '', options.dropManagedFields ?? false]);
  let reflector = byKey.get(key);
  if (!reflector) {
    const created: SharedReflector<KubeObject> = new SharedReflector<KubeObject>(client, info, options, () => {
      if (byKey!.get(key) === created) byKey!.delete(key);
    });
    byKey.set(key, created);
    created.start();
    reflector = created;
  }
  return reflector as unknown as SharedReflector<T>;
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly handlers: InformerHandlers<T>[] = [];
  private reflector: SharedReflector<T> | undefined;
  private stopped = false;
  private syncedResolve!: () => void;
  readonly synced: Promise<void> = new Promise((r) => (this.syncedResolve = r));

  constructor(
    private readonly client: ApiClient,
    readonly info: ResourceInfo,
    private readonly options: InformerOptions = {},
  ) {}

  /** The local copy (shared with the other informers of this client on the same resource and selectors). */
  get items(): ReadonlyMap<string, T> {
    return this.reflector?.items ?? EMPTY;
  }

  on(handlers: InformerHandlers<T>): this {
    this.handlers.push(handlers);
    return this;
  }

  get(namespace: string, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  start(): this {
    if (this.reflector || this.stopped) return this;
    const reflector = reflectorFor<T>(this.client, this.info, this.options);
    this.reflector = reflector;
    reflector.subscribers.add(this);
    // A reflector that already holds objects: this informer's handlers see them as adds, as after a
    // list, once the caller's synchronous code (registering handlers) is done.
    const existing = [...reflector.items.values()];
    if (existing.length) queueMicrotask(() => {
      for (const obj of existing) if (reflector.items.get(keyOf(obj)) === obj) this.dispatch('add', obj);
    });
    void reflector.synced.then(() => this.syncedResolve());
    return this;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reflector?.unsubscribe(this);
  }

  /** Called by the reflector for each change. */
  dispatch(kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    if (this.stopped) return;
    for (const h of this.handlers) {
      if (kind === 'add') h.add?.(obj);
      else if (kind === 'update') h.update?.(obj, old!);
      else h.delete?.(obj);
    }
  }
}

const EMPTY = new Map<string, never>();
