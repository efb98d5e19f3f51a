// Generic REST storage of every resource over the store and the watch cache: create, get, list,
// update (optimistic concurrency), guaranteed updates for patches, graceful deletion with
// finalizers, and resourceVersion semantics. What differs per kind lives in strategies.ts.

import { randomUUID } from 'node:crypto';
import type { Store, KeyValue } from '../store/types.js';
import { StoreError } from '../store/types.js';
import type { KubeObject } from '../api/types.js';
import type { ResourceInfo } from '../api/resources.js';
import { groupVersion, findKind } from '../api/resources.js';
import { createServiceAllocators, type ServiceAllocators } from './allocators.js';
import { errors, ApiError, field, type FieldError } from '../api/errors.js';
import { rulesFor } from '../api/rules.js';
import { generateName } from '../api/names.js';
import { updateManagedFields } from '../api/patch/index.js';
import type { LabelSelector, FieldSelector } from '../api/selectors.js';
import type { Clock } from '../util/clock.js';
import { rfc3339 } from '../util/clock.js';
import { CacheHub, decodeStored, lowerBound, type CachedObject } from './watch-cache.js';
import { objectKey, namespacePrefix, resourcePrefix } from './storage-keys.js';
import { objectFields } from './fields.js';
import { stringifyStored, withResourceVersion, type StoredJson } from './stored-json.js';
import { strategyFor, type Strategy } from './strategies.js';
import type { WriteAdmission } from './auth/admission.js';

export interface UserInfo {
  name: string;
  groups: string[];
}

export interface WriteContext {
  user: UserInfo;
  dryRun: boolean;
  fieldManager: string;
  /** Warnings to send back as `Warning:` headers. */
  warnings: string[];
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export interface ListOptions {
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: CachedObject[];
  revision: number;
  continueToken?: string;
  remaining?: number;
}

const MAX_UPDATE_RETRIES = 16;

export class Registry {
  private readonly strategies = new Map<ResourceInfo, Strategy>();

  readonly allocators: ServiceAllocators;
  /** Admission that sees every write with the user asking (NodeRestriction). */
  admission: WriteAdmission | undefined;

  constructor(
    readonly store: Store,
    readonly hub: CacheHub,
    readonly clock: Clock,
    readonly serviceCidr: string,
  ) {
    this.allocators = createServiceAllocators(store, serviceCidr);
  }

  resourceByKind(apiVersion: string, kind: string): ResourceInfo {
    const info = findKind(apiVersion, kind);
    if (!info) throw errors.internal(`no resource serves ${apiVersion} ${kind}`);
    return info;
  }

  strategy(info: ResourceInfo): Strategy {
    let s = this.strategies.get(info);
    if (!s) this.strategies.set(info, (s = strategyFor(info)));
    return s;
  }

  nowStamp(): string {
    return rfc3339(this.clock.now());
  }

  // ---- reads ---------------------------------------------------------------------------------

  async get(info: ResourceInfo, namespace: string, name: string, resourceVersion?: string): Promise<KubeObject> {
    const key = objectKey(info, namespace, name);
    if (resourceVersion === '0') {
      const cached = this.hub.cache(resourcePrefix(info)).objects.get(key);
      if (!cached) throw errors.notFound(info, name);
      return JSON.parse(cached.json) as KubeObject;
    }
    const kv = await this.store.get(key);
    if (!kv) throw errors.notFound(info, name);
    return decode(kv);
  }

  /** The current stored object and its revision, or undefined. */
  async current(info: ResourceInfo, namespace: string, name: string): Promise<{ object: KubeObject; revision: number } | undefined> {
    const kv = await this.store.get(objectKey(info, namespace, name));
    return kv ? { object: decode(kv), revision: kv.modRevision } : undefined;
  }

  async list(info: ResourceInfo, namespace: string, options: ListOptions): Promise<ListResult> {
    const prefix = namespacePrefix(info, namespace);
    let startAfter: string | undefined;
    let atRevision: number | undefined;
    if (options.continueToken) {
      const token = decodeContinue(options.continueToken);
      startAfter = prefix + token.start;
      atRevision = token.rv;
    }
    const exact = options.resourceVersionMatch === 'Exact' && options.resourceVersion && options.resourceVersion !== '0';
    if (exact) atRevision = parseRevision(options.resourceVersion!);
    if (atRevision !== undefined && atRevision < this.hub.revision) return this.listFromStore(info, prefix, options, atRevision, startAfter);

    if (options.resourceVersion === undefined || options.resourceVersion === '') {
      await this.hub.waitFor(await this.store.currentRevision());
    } else if (options.resourceVersion !== '0') {
      await this.hub.waitFor(parseRevision(options.resourceVersion));
    }
    const cache = this.hub.cache(resourcePrefix(info));
    const revision = this.hub.revision;
    const items: CachedObject[] = [];
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const filter = cachedMatcher(options);
    // An agent's list of its own pods reads the node's keys, not every pod's.
    const nodeName = options.fieldSelector.requiredValue('spec.nodeName');
    const keys = (nodeName !== undefined ? cache.keysOnNode(nodeName) : undefined) ?? cache.keys();
    let i = startAfter === undefined ? lowerBound(keys, prefix) : upperBound(keys, startAfter);
    for (; i < keys.length; i++) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      const obj = cache.objects.get(key)!;
      if (!filter(obj)) continue;
      if (items.length >= limit) {
        return { items, revision, continueToken: encodeContinue(revision, items[items.length - 1]!.key.slice(prefix.length)), remaining: undefined };
      }
      items.push(obj);
    }
    return { items, revision };
  }

  private async listFromStore(info: ResourceInfo, prefix: string, options: ListOptions, revision: number, startAfter?: string): Promise<ListResult> {
    const filter = cachedMatcher(options);
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const items: CachedObject[] = [];
    let cursor = startAfter;
    try {
      for (;;) {
        const page = await this.store.range(prefix, { revision, startAfter: cursor, limit: 500 });
        for (const kv of page.kvs) {
          const obj = decodeStored(kv.key, kv.value, kv.modRevision);
          if (!filter(obj)) continue;
          if (items.length >= limit) {
            return { items, revision, continueToken: encodeContinue(revision, items[items.length - 1]!.key.slice(prefix.length)) };
          }
          items.push(obj);
        }
        if (!page.more || page.kvs.length === 0) break;
        cursor = page.kvs[page.kvs.length - 1]!.key;
      }
    } catch (err) {
      if (err instanceof StoreError && err.code === 'Compacted') {
        if (options.continueToken) {
          throw errors.expired(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
          );
        }
        throw errors.expired(`too old resource version: ${revision} (${err.compactRevision ?? ''})`);
      }
      throw err;
    }
    return { items, revision };
  }

  /** A predicate for label and field selectors on this resource. */
  matcher(info: ResourceInfo, options: Pick<ListOptions, 'labelSelector' | 'fieldSelector'>): (o: KubeObject) => boolean {
    const { labelSelector, fieldSelector } = options;
    if (labelSelector.empty && fieldSelector.empty) return () => true;
    return (o) =>
      labelSelector.matches(o.metadata.labels) &&
      (fieldSelector.empty || fieldSelector.matches(objectFields(info.group, info.resource, o, info.namespaced)));
  }

  /** The same predicate over the watch cache's entries (their labels and selectable fields). */
  cachedMatcher(options: Pick<ListOptions, 'labelSelector' | 'fieldSelector'>): (o: CachedObject) => boolean {
    return cachedMatcher(options);
  }

  // ---- writes --------------------------------------------------------------------------------

  async create(info: ResourceInfo, namespace: string, body: KubeObject, ctx: WriteContext): Promise<KubeObject> {
    const strategy = this.strategy(info);
    const obj = body;
    obj.apiVersion = groupVersion(info);
    obj.kind = info.kind;
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (info.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace || meta.namespace;
      if (!meta.namespace) throw errors.badRequest('the server could not find the requested resource');
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
    const rules = rulesFor(obj.apiVersion, info.kind);
    meta.uid = randomUUID();
    meta.creationTimestamp = this.nowStamp();
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.generation;
    rules.defaults(obj);
    rules.prepareForCreate(obj);
    await strategy.prepareForCreate(obj, this, ctx);
    if (!meta.name) {
      throw errors.invalid(info.group, info.kind, '', [field.required('metadata.name', 'name or generateName is required')]);
    }
    if (info.namespaced) await this.requireActiveNamespace(info, meta.namespace!, meta.name);
    await this.admission?.admit({ operation: 'CREATE', resource: info, subresource: '', namespace: meta.namespace ?? '', name: meta.name, object: obj, user: ctx.user });
    await strategy.admit?.(obj, undefined, this, ctx);
    this.check(info, meta.name, rules.validate(obj));
    ctx.warnings.push(...rules.warnings(obj));
    this.recordManager(info, undefined, obj, ctx, '');
    if (ctx.dryRun) return obj;
    const key = objectKey(info, meta.namespace ?? '', meta.name);
    const stored = serializeStored(obj);
    this.hub.expectWrite(key, stored, obj);
    let kv: KeyValue;
    try {
      kv = await this.store.create(key, stored.text);
    } catch (err) {
      this.hub.forgetWrite(key, stored);
      await strategy.afterFailedCreate?.(obj, this);
      if (err instanceof StoreError && err.code === 'KeyExists') throw errors.alreadyExists(info, meta.name);
      throw storeFailure(err);
    }
    meta.resourceVersion = String(kv.modRevision);
    rememberJson(obj, stored, kv.modRevision);
    return obj;
  }

  /**
   * Reads, transforms and writes an object until the write wins (GuaranteedUpdate). `mutate`
   * gets a private copy of the current object (undefined when absent) and returns the new one.
   */
  async guaranteedUpdate(
    info: ResourceInfo,
    namespace: string,
    name: string,
    ctx: WriteContext,
    mutate: (current: KubeObject | undefined) => Promise<KubeObject> | KubeObject,
    options: { subresource?: string; allowCreate?: boolean; expectedRevision?: string } = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const key = objectKey(info, namespace, name);
    for (let attempt = 0; attempt < MAX_UPDATE_RETRIES; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) {
        if (!options.allowCreate && !this.strategy(info).allowCreateOnUpdate) throw errors.notFound(info, name);
        const next = await mutate(undefined);
        next.metadata ??= {};
        next.metadata.name ??= name;
        if (next.metadata.name !== name) throw nameMismatch(next.metadata.name!, name);
        try {
          return { object: await this.create(info, namespace, next, ctx), created: true };
        } catch (err) {
          if (err instanceof ApiError && err.reason === 'AlreadyExists') continue;
          throw err;
        }
      }
      const current = decode(kv);
      // A second parse of the same value is the private copy (about three times faster than structuredClone).
      const next = await mutate(decode(kv));
      const written = await this.writeUpdate(info, current, next, kv, ctx, options.subresource ?? '');
      if (written) return { object: written, created: false };
    }
    throw errors.conflict(info, name, 'the object has been modified too many times concurrently; please try again');
  }

  /** A full replacement (PUT) with the object's resourceVersion as precondition when set. */
  async update(info: ResourceInfo, namespace: string, name: string, body: KubeObject, ctx: WriteContext, subresource = ''): Promise<{ object: KubeObject; created: boolean }> {
    body.metadata ??= {};
    if (body.metadata.name && body.metadata.name !== name) throw nameMismatch(body.metadata.name, name);
    if (info.namespaced && body.metadata.namespace && body.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const precondition = body.metadata.resourceVersion;
    return this.guaranteedUpdate(
      info,
      namespace,
      name,
      ctx,
      (current) => {
        if (current && precondition && precondition !== current.metadata.resourceVersion) throw errors.modifiedConflict(info, name);
        if (current && body.metadata.uid && body.metadata.uid !== current.metadata.uid) {
          throw errors.conflict(info, name, `Precondition failed: UID in precondition: ${body.metadata.uid}, UID in object meta: ${current.metadata.uid}`);
        }
        if (!current && precondition) throw errors.notFound(info, name);
        return structuredClone(body);
      },
      { subresource },
    );
  }

  /** Writes `next` over `current` if the store is still at `revision`; undefined on a lost race. */
  private async writeUpdate(info: ResourceInfo, current: KubeObject, next: KubeObject, currentKv: KeyValue, ctx: WriteContext, subresource: string): Promise<KubeObject | undefined> {
    const revision = currentKv.modRevision;
    const strategy = this.strategy(info);
    const name = current.metadata.name!;
    next.apiVersion = groupVersion(info);
    next.kind = info.kind;
    next.metadata ??= {};
    if (next.metadata.name !== undefined && next.metadata.name !== name) throw nameMismatch(next.metadata.name, name);
    const meta = next.metadata;
    const old = current.metadata;
    meta.name = name;
    if (info.namespaced) meta.namespace = old.namespace;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    meta.resourceVersion = old.resourceVersion;
    if (old.deletionTimestamp) {
      meta.deletionTimestamp = old.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (old.deletionTimestamp) {
      // Finalizers may only be removed from an object being deleted, not added.
      const before = new Set(old.finalizers ?? []);
      const added = (meta.finalizers ?? []).filter((f) => !before.has(f));
      if (added.length) {
        throw errors.invalid(info.group, info.kind, name, [
          field.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`),
        ]);
      }
    }
    const rules = rulesFor(next.apiVersion, info.kind);
    rules.defaults(next);
    // A binding handler writes the whole pod itself (spec.nodeName and the PodScheduled condition);
    // /finalize is the namespace strategy's alone.
    if (subresource === 'status') rules.prepareForStatusUpdate(next, current, () => decode(currentKv));
    else if (subresource !== 'binding' && subresource !== 'finalize') rules.prepareForUpdate(next, current);
    strategy.prepareForUpdate?.(next, current, subresource);
    // A binding is the one write that sets spec.nodeName; its own rules ran before it got here.
    const problems =
      subresource === 'status' ? rules.validateStatusUpdate(next, current) : subresource === 'binding' ? [] : rules.validateUpdate(next, current);
    await this.admission?.admit({ operation: 'UPDATE', resource: info, subresource, namespace: old.namespace ?? '', name, object: next, oldObject: current, user: ctx.user });
    await strategy.admit?.(next, current, this, ctx);
    this.check(info, name, problems);
    if (!subresource) ctx.warnings.push(...rules.warnings(next));
    this.recordManager(info, current, next, ctx, subresource);
    const key = objectKey(info, old.namespace ?? '', name);
    if (ctx.dryRun || (old.deletionTimestamp && !(meta.finalizers?.length) && strategy.removeWhenFinalized(next))) {
      if (unchanged(next, current)) return current;
      if (ctx.dryRun) return next;
      try {
        const kv = await this.store.delete(key, revision);
        next.metadata.resourceVersion = String(kv.modRevision);
        await strategy.afterDelete?.(next, this);
        return next;
      } catch (err) {
        if (err instanceof StoreError && (err.code === 'Conflict' || err.code === 'NotFound')) return undefined;
        throw storeFailure(err);
      }
    }
    const stored = serializeStored(next);
    if (sameAsStored(stored, currentKv, next, current)) return current;
    this.hub.expectWrite(key, stored, next);
    try {
      const kv = await this.store.update(key, stored.text, revision);
      next.metadata.resourceVersion = String(kv.modRevision);
      rememberJson(next, stored, kv.modRevision);
      return next;
    } catch (err) {
      this.hub.forgetWrite(key, stored);
      if (err instanceof StoreError && err.code === 'Conflict') return undefined;
      if (err instanceof StoreError && err.code === 'NotFound') throw errors.notFound(info, name);
      throw storeFailure(err);
    }
  }

  /**
   * DELETE: graceful for kinds that have it (pods on a node), deferred while finalizers remain,
   * immediate otherwise. Returns the object as last seen and whether it is gone.
   */
  async delete(info: ResourceInfo, namespace: string, name: string, options: DeleteOptions, ctx: WriteContext): Promise<{ object: KubeObject; gone: boolean }> {
    const key = objectKey(info, namespace, name);
    const strategy = this.strategy(info);
    for (let attempt = 0; attempt < MAX_UPDATE_RETRIES; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw errors.notFound(info, name);
      const current = decode(kv);
      await this.admission?.admit({ operation: 'DELETE', resource: info, subresource: '', namespace, name, oldObject: current, user: ctx.user });
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw errors.conflict(info, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw errors.conflict(info, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${current.metadata.resourceVersion}`);
      }
      const next = structuredClone(current);
      const finalizers = this.finalizersFor(next, options);
      next.metadata.finalizers = finalizers.length ? finalizers : undefined;
      if (!next.metadata.finalizers) delete next.metadata.finalizers;
      const grace = strategy.gracePeriod(next, options);
      const now = this.clock.now();
      let pending = false;
      if (grace !== undefined && grace > 0) {
        const deadline = rfc3339(now + grace * 1000);
        const existing = current.metadata.deletionTimestamp;
        if (!existing || Date.parse(deadline) < Date.parse(existing)) {
          next.metadata.deletionTimestamp = deadline;
          next.metadata.deletionGracePeriodSeconds = grace;
          strategy.beginGracefulDelete?.(next);
        }
        pending = true;
      }
      if (finalizers.length) {
        next.metadata.deletionTimestamp ??= rfc3339(now);
        next.metadata.deletionGracePeriodSeconds ??= 0;
        pending = true;
      }
      if (strategy.deferDeletion?.(next)) {
        next.metadata.deletionTimestamp ??= rfc3339(now);
        next.metadata.deletionGracePeriodSeconds ??= 0;
        pending = true;
      }
      if (ctx.dryRun) return { object: next, gone: !pending };
      try {
        if (pending) {
          if (unchanged(next, current)) return { object: current, gone: false };
          const kv2 = await this.store.update(key, serialize(next), kv.modRevision);
          next.metadata.resourceVersion = String(kv2.modRevision);
          return { object: next, gone: false };
        }
        const deleted = await this.store.delete(key, kv.modRevision);
        current.metadata.resourceVersion = String(deleted.modRevision);
        await strategy.afterDelete?.(current, this);
        return { object: current, gone: true };
      } catch (err) {
        if (err instanceof StoreError && (err.code === 'Conflict' || err.code === 'NotFound')) continue;
        throw storeFailure(err);
      }
    }
    throw errors.conflict(info, name, 'the object has been modified too many times concurrently; please try again');
  }

  /** The finalizers after a delete request: propagationPolicy adds orphan / foregroundDeletion. */
  private finalizersFor(obj: KubeObject, options: DeleteOptions): string[] {
    const list = [...(obj.metadata.finalizers ?? [])];
    const policy = options.propagationPolicy ?? (options.orphanDependents ? 'Orphan' : undefined);
    const add = (f: string) => {
      if (!list.includes(f)) list.push(f);
    };
    const remove = (f: string) => {
      const i = list.indexOf(f);
      if (i >= 0) list.splice(i, 1);
    };
    if (obj.metadata.deletionTimestamp) return list;
    if (policy === 'Orphan') {
      add('orphan');
      remove('foregroundDeletion');
    } else if (policy === 'Foreground') {
      add('foregroundDeletion');
      remove('orphan');
    } else if (policy === 'Background') {
      remove('orphan');
      remove('foregroundDeletion');
    }
    return list;
  }

  // ---- helpers -------------------------------------------------------------------------------

  private check(info: ResourceInfo, name: string, problems: FieldError[]): void {
    if (problems.length) throw errors.invalid(info.group, info.kind, name, problems);
  }

  private recordManager(info: ResourceInfo, old: KubeObject | undefined, obj: KubeObject, ctx: WriteContext, subresource: string): void {
    if (ctx.fieldManager === '__apply__') return;
    const updated = updateManagedFields({
      old,
      updated: obj,
      manager: ctx.fieldManager,
      apiVersion: groupVersion(info),
      kind: info.kind,
      now: this.nowStamp(),
      ...(subresource ? { subresource } : {}),
    });
    obj.metadata.managedFields = updated.metadata.managedFields;
    if (!obj.metadata.managedFields?.length) delete obj.metadata.managedFields;
  }

  async requireActiveNamespace(info: ResourceInfo, namespace: string, name: string): Promise<void> {
    const ns = this.hub.cache('/registry/core/namespaces/').objects.get(`/registry/core/namespaces/${namespace}`);
    let deleting = ns && namespaceDeleting.get(ns);
    if (ns && deleting === undefined) namespaceDeleting.set(ns, (deleting = !!ns.object.metadata.deletionTimestamp));
    if (!ns) {
      const kv = await this.store.get(`/registry/core/namespaces/${namespace}`);
      if (!kv) throw errors.notFound({ group: '', resource: 'namespaces' }, namespace);
      deleting = !!decode(kv).metadata.deletionTimestamp;
    }
    if (deleting) throw errors.namespaceTerminating(info, name, namespace);
  }
}

/** Whether a cached namespace (one revision of it) is being deleted, so that creates do not parse it each time. */
const namespaceDeleting = new WeakMap<CachedObject, boolean>();

function cachedMatcher(options: Pick<ListOptions, 'labelSelector' | 'fieldSelector'>): (o: CachedObject) => boolean {
  const { labelSelector, fieldSelector } = options;
  if (labelSelector.empty && fieldSelector.empty) return () => true;
  return (o) => labelSelector.matches(o.labels) && (fieldSelector.empty || fieldSelector.matches(o.fields));
}

function decode(kv: KeyValue): KubeObject {
  const obj = JSON.parse(kv.value) as KubeObject;
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

/** Empty lists and maps of ObjectMeta are omitted, as Go's omitempty drops them. */
function dropEmptyMetadata(meta: KubeObject['metadata']): void {
  for (const key of ['finalizers', 'ownerReferences', 'managedFields'] as const) {
    if (Array.isArray(meta[key]) && meta[key]!.length === 0) delete meta[key];
  }
  for (const key of ['labels', 'annotations'] as const) {
    const v = meta[key];
    if (v && typeof v === 'object' && Object.keys(v).length === 0) delete meta[key];
  }
}

/** Stored JSON omits the resourceVersion: it is the store's revision, set on every read. */
function serialize(obj: KubeObject): string {
  return serializeStored(obj).text;
}

/**
 * The stored JSON and where its metadata ends. The resourceVersion is taken out and put back as
 * metadata's last field, where the write's new one goes too.
 */
function serializeStored(obj: KubeObject): StoredJson {
  dropEmptyMetadata(obj.metadata);
  const rv = obj.metadata.resourceVersion;
  delete obj.metadata.resourceVersion;
  const stored = stringifyStored(obj);
  if (rv !== undefined) obj.metadata.resourceVersion = rv;
  return stored;
}

/** Objects just written, with their JSON (resourceVersion included): the answer to the request. */
const writtenJson = new WeakMap<KubeObject, string>();

function rememberJson(obj: KubeObject, stored: StoredJson, revision: number): void {
  const json = withResourceVersion(stored, revision);
  if (json !== undefined) writtenJson.set(obj, json);
}

/**
 * The JSON of an object the registry has just written, as JSON.stringify would give it, while its
 * resourceVersion is still the written one; undefined otherwise.
 */
export function writtenJsonOf(obj: KubeObject): string | undefined {
  const json = writtenJson.get(obj);
  if (json === undefined) return undefined;
  writtenJson.delete(obj);
  return json;
}

function storeFailure(err: unknown): ApiError {
  if (err instanceof StoreError && err.code === 'TooLarge') return errors.tooLarge(1.5 * 1024 * 1024);
  if (err instanceof ApiError) return err;
  return errors.internal(err instanceof Error ? err.message : String(err));
}

function nameMismatch(bodyName: string, urlName: string): ApiError {
  return errors.badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${urlName})`);
}

function withoutVolatile(obj: KubeObject): string {
  const { metadata, ...rest } = obj;
  const { resourceVersion, managedFields, ...meta } = metadata;
  void resourceVersion;
  void managedFields;
  return JSON.stringify({ ...rest, metadata: meta });
}

function unchanged(a: KubeObject, b: KubeObject): boolean {
  return withoutVolatile(a) === withoutVolatile(b);
}

/**
 * unchanged() for a write about to be stored, from the text it will store: the same text as the
 * current value is no change; a different one is, unless only managedFields tell them apart.
 */
function sameAsStored(stored: StoredJson, currentKv: KeyValue, next: KubeObject, current: KubeObject): boolean {
  if (stored.text === currentKv.value) return true;
  if (JSON.stringify(next.metadata.managedFields) === JSON.stringify(current.metadata.managedFields)) return false;
  return unchanged(next, current);
}

export function parseRevision(rv: string): number {
  const n = Number(rv);
  if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`invalid resource version: ${rv}`);
  return n;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') throw new Error('bad');
    return { rv: parsed.rv, start: parsed.start };
  } catch {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function upperBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
