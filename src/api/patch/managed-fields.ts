// metadata.managedFields: who set which field. Every write records its changes for the manager
// that made it (operation Update); server-side apply records what the manager applied (operation
// Apply, in apply.ts). Entries are kept per (manager, operation, apiVersion for updates,
// subresource), written in Kubernetes' order.

import type { KubeObject, ManagedFieldsEntry } from '../types.js';
import { findKind } from '../resources.js';
import { FieldSet } from './fieldset.js';
import { applySchemaFor, type TypeNode } from './schema.js';
import { isObject } from './values.js';
import { compare, TypedError } from './typed.js';

export interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

/** Managers by identity: Apply entries of one manager share one, whatever their apiVersion. */
export type Managers = Map<string, Manager>;

export function identity(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([m.manager, m.operation, m.operation === 'Apply' ? '' : m.apiVersion, m.subresource ?? '']);
}

export class ManagedFieldsError extends Error {}

/**
 * The FieldsV1 a set was read from, for sets read from a stored object: what the server wrote is
 * already in FieldsV1 order, so an entry a write leaves alone is written back without encoding it.
 */
const storedFieldsV1 = new WeakMap<FieldSet, Record<string, unknown>>();

/** Decodes managedFields; `stored` marks them as the server's own (see storedFieldsV1). */
export function decodeManagedFields(entries: unknown, stored = false): Managers {
  const managers: Managers = new Map();
  if (entries === undefined || entries === null) return managers;
  if (!Array.isArray(entries)) throw new ManagedFieldsError('managedFields must be a list');
  for (const raw of entries as unknown[]) {
    if (!isObject(raw)) throw new ManagedFieldsError('managedFields entries must be objects');
    const e = raw as ManagedFieldsEntry;
    if (e.fieldsType !== 'FieldsV1') throw new ManagedFieldsError(`invalid fieldsType: ${JSON.stringify(e.fieldsType ?? '')}`);
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new ManagedFieldsError(`invalid operation: ${JSON.stringify(e.operation ?? '')}`);
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(e.fieldsV1 ?? {});
    } catch (err) {
      throw new ManagedFieldsError((err as Error).message);
    }
    if (stored && e.fieldsV1) storedFieldsV1.set(set, e.fieldsV1 as Record<string, unknown>);
    const m: Manager = {
      manager: e.manager ?? '',
      operation: e.operation,
      apiVersion: e.apiVersion ?? '',
      ...(e.subresource ? { subresource: e.subresource } : {}),
      ...(e.time ? { time: e.time } : {}),
      set,
    };
    managers.set(identity(m), m);
  }
  return managers;
}

const seconds = (time: string | undefined) => (time ? Math.floor(Date.parse(time) / 1000) : 0);

export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  const list = [...managers.values()].filter((m) => !m.set.empty);
  list.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
  return list.map((m) => ({
    ...(m.manager ? { manager: m.manager } : {}),
    operation: m.operation,
    ...(m.apiVersion ? { apiVersion: m.apiVersion } : {}),
    ...(m.time ? { time: m.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: storedFieldsV1.get(m.set) ?? m.set.toFieldsV1(),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  }));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Server-set metadata that no manager owns. */
export const unownedFields = FieldSet.fromPaths([
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map(
    (f) => ['f:metadata', `f:${f}`],
  ),
]);

/**
 * Fields a write through this endpoint does not own because the endpoint resets them: status
 * on the main resource of kinds with a status subresource, spec (and for pods the deletion and
 * owner metadata) on the status subresource.
 */
export function resetFields(apiVersion: string, kind: string, subresource: string | undefined): FieldSet {
  const info = findKind(apiVersion, kind);
  const hasStatus = info?.subresources.some((s) => s.name === 'status') ?? false;
  if (!subresource) return hasStatus ? FieldSet.fromPaths([['f:status']]) : new FieldSet();
  if (subresource !== 'status') return new FieldSet();
  const paths: string[][] = [['f:spec']];
  if (kind === 'Pod' && apiVersion === 'v1') paths.push(['f:metadata', 'f:deletionTimestamp'], ['f:metadata', 'f:ownerReferences']);
  return FieldSet.fromPaths(paths);
}

export interface WriteContext {
  type: TypeNode;
  apiVersion: string;
  ignored: FieldSet;
  subresource?: string;
}

export function writeContext(apiVersion: string, kind: string, subresource?: string): WriteContext {
  return {
    type: applySchemaFor(apiVersion, kind),
    apiVersion,
    ignored: resetFields(apiVersion, kind, subresource),
    ...(subresource ? { subresource } : {}),
  };
}

export function withoutManagedFields(obj: KubeObject): KubeObject {
  if (!obj.metadata || !('managedFields' in obj.metadata)) return obj;
  const { managedFields: _, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** The fields a change from `before` to `after` added, changed and removed; reset fields are not looked at. */
export function changes(before: KubeObject, after: KubeObject, ctx: WriteContext): { changed: FieldSet; removed: FieldSet } {
  const c = compare(before, after, ctx.type, ctx.ignored);
  return { changed: c.added.union(c.modified), removed: c.removed };
}

/** Records an Update by `manager`: it owns what it changed; nobody owns what it removed. */
export function recordUpdate(managers: Managers, before: KubeObject, after: KubeObject, manager: string, now: string, ctx: WriteContext): Managers {
  const { changed, removed } = changes(before, after, ctx);
  const out: Managers = new Map();
  for (const [key, m] of managers) {
    if (!m.set.overlaps(changed) && !m.set.overlaps(removed)) {
      if (!m.set.empty) out.set(key, m);
      continue;
    }
    const set = m.set.difference(changed).difference(removed);
    if (!set.empty) out.set(key, { ...m, set });
  }
  const own = changed.difference(unownedFields);
  if (own.empty) return out;
  const entry: Manager = {
    manager,
    operation: 'Update',
    apiVersion: ctx.apiVersion,
    ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
    time: now,
    set: own,
  };
  const key = identity(entry);
  const previous = out.get(key);
  out.set(key, previous ? { ...entry, set: own.union(previous.set) } : entry);
  return capUpdateManagers(out);
}

export const maxUpdateManagers = 10;
/** The manager that collects the oldest updates once there are too many. */
export const ancientChangesManager = 'ancient-changes';

/** Folds the oldest Update entries, per apiVersion, into one entry until at most ten remain. */
function capUpdateManagers(managers: Managers): Managers {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === 'Update');
  if (updaters.length <= maxUpdateManagers) return managers;
  updaters.sort(([ka, a], [kb, b]) => seconds(a.time) - seconds(b.time) || cmp(ka, kb));
  let count = updaters.length;
  const firstOfVersion = new Map<string, string>();
  for (const [key, m] of updaters) {
    if (count <= maxUpdateManagers) break;
    const bucket = identity({ manager: ancientChangesManager, operation: 'Update', apiVersion: m.apiVersion });
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, key);
      continue;
    }
    if (!managers.has(bucket)) {
      const firstEntry = managers.get(first)!;
      managers.delete(first);
      managers.set(bucket, { ...firstEntry, manager: ancientChangesManager, subresource: undefined });
    }
    const held = managers.get(bucket)!;
    managers.set(bucket, { ...held, set: held.set.union(m.set), ...(m.time ? { time: m.time } : {}) });
    managers.delete(key);
    count--;
  }
  return managers;
}

export function isResetRequest(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && isObject(entries[0]) && Object.keys(entries[0]).length === 0;
}

export interface UpdateArgs {
  old: KubeObject | undefined;
  updated: KubeObject;
  manager: string;
  apiVersion: string;
  kind: string;
  now: string;
  subresource?: string;
}

/**
 * After a create, update or non-apply patch: the managedFields of `updated` with the write
 * recorded for `manager`. A request may set managedFields itself (`[]` or `[{}]` clears them);
 * an object whose fields were never tracked stays untracked until its first apply.
 */
export function updateManagedFields(args: UpdateArgs): KubeObject {
  const { old, updated, manager, now } = args;
  const ctx = writeContext(args.apiVersion, args.kind, args.subresource);
  const requested = updated.metadata?.managedFields;
  const fromLive = () => {
    try {
      return decodeManagedFields(old?.metadata?.managedFields, true);
    } catch {
      return new Map() as Managers;
    }
  };
  let managers: Managers;
  if (args.subresource) managers = fromLive();
  else if (isResetRequest(requested)) managers = new Map();
  else {
    try {
      managers = decodeManagedFields(requested);
    } catch {
      managers = new Map();
    }
    if (managers.size === 0) managers = fromLive();
  }

  const after = withoutManagedFields(updated);
  if (old !== undefined && managers.size === 0) return after;
  const before = old ? withoutManagedFields(old) : zeroObject(updated);
  try {
    return withManagedFields(after, recordUpdate(managers, before, after, manager, now, ctx));
  } catch (err) {
    if (!(err instanceof TypedError)) throw err;
    return withManagedFields(after, old ? fromLive() : new Map());
  }
}

/** The object a create starts from. */
export function zeroObject(like: KubeObject): KubeObject {
  return { ...(like.apiVersion ? { apiVersion: like.apiVersion } : {}), ...(like.kind ? { kind: like.kind } : {}), metadata: {} };
}

export function withManagedFields(obj: KubeObject, managers: Managers): KubeObject {
  const entries = encodeManagedFields(managers);
  const { managedFields: _, ...metadata } = obj.metadata ?? {};
  return { ...obj, metadata: entries.length > 0 ? { ...metadata, managedFields: entries } : metadata };
}
