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
}

function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly items = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private resourceVersion = '';
  private stream: WatchStream | undefined;
  private stopped = false;
  private syncedResolve!: () => void;
  readonly synced: Promise<void> = new Promise((r) => (this.syncedResolve = r));
  private retryDelay = 200;

  constructor(
    private readonly client: ApiClient,
    readonly info: ResourceInfo,
    private readonly options: InformerOptions = {},
  ) {}

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
    void this.run();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.stream?.stop();
  }

  private query(): Record<string, string | undefined> {
    return { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector };
  }

  private async relist(): Promise<void> {
    const list = await this.client.request<KubeList<T>>('GET', resourcePath(this.info, this.options.namespace), { query: this.query() });
    const fresh = new Map(list.items.map((o) => [keyOf(o), o]));
    for (const [key, old] of this.items) {
      if (!fresh.has(key)) {
        this.items.delete(key);
        for (const h of this.handlers) h.delete?.(old);
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.items.get(key);
      this.items.set(key, obj);
      if (!old) for (const h of this.handlers) h.add?.(obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) for (const h of this.handlers) h.update?.(obj, old);
    }
    this.resourceVersion = list.metadata.resourceVersion ?? '';
    this.syncedResolve();
  }

  private onEvent(e: WatchEventOf<T>): void {
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
    const obj = e.object;
    const key = keyOf(obj);
    this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
    const old = this.items.get(key);
    if (e.type === 'DELETED') {
      this.items.delete(key);
      for (const h of this.handlers) h.delete?.(obj);
    } else {
      this.items.set(key, obj);
      if (old) for (const h of this.handlers) h.update?.(obj, old);
      else for (const h of this.handlers) h.add?.(obj);
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
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
