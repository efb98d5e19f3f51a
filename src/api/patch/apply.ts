// Server-side apply: the manager's configuration is merged into the live object, the manager owns
// exactly the fields it applied, fields it applied before and no longer applies are removed unless
// someone else owns them, and changing a field another manager owns is a conflict unless forced.
// kubectl's own manager ("kubectl") also takes over from client-side apply without conflicts on
// the fields its last-applied annotation still describes, and keeps that annotation current.

import { ApiError, errors, type StatusCause } from '../errors.js';
import type { KubeObject } from '../types.js';
import { FieldSet, pathString, type Path } from './fieldset.js';
import { deepEqual, isObject } from './values.js';
import {
  changes,
  decodeManagedFields,
  identity,
  recordUpdate,
  unownedFields,
  withManagedFields,
  withoutManagedFields,
  writeContext,
  zeroObject,
  type Manager,
  type Managers,
  type WriteContext,
} from './managed-fields.js';
import { compare, merge, removeItems, toFieldSet, TypedError, withNamedFieldsAsMembers } from './typed.js';

export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
/** The Update manager that takes the fields of an object first applied after untracked writes. */
export const beforeFirstApplyManager = 'before-first-apply';
const kubectlManager = 'kubectl';

export interface ApplyArgs {
  live: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  apiVersion: string;
  kind: string;
  now: string;
  subresource?: string;
}

interface Conflict {
  manager: Manager;
  path: Path;
}

class Conflicts extends Error {
  constructor(readonly list: Conflict[]) {
    super('conflicts');
  }
}

export function serverSideApply(args: ApplyArgs): KubeObject {
  const { applied, manager, apiVersion } = args;
  if (!isObject(applied) || !isObject(applied.metadata ?? {})) throw errors.badRequest('error decoding YAML: object expected');
  if (applied.apiVersion !== apiVersion) {
    throw errors.badRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${applied.apiVersion ?? ''}, expected: ${apiVersion}`,
    );
  }
  if (applied.metadata?.managedFields !== undefined) throw errors.badRequest('metadata.managedFields must be nil');

  const ctx = writeContext(apiVersion, args.kind, args.subresource);
  let live = args.live ? withoutManagedFields(args.live) : zeroObject(applied);
  let managers: Managers;
  try {
    managers = decodeManagedFields(args.live?.metadata?.managedFields);
  } catch (err) {
    throw errors.internal(`failed to decode managed fields: ${(err as Error).message}`);
  }

  try {
    if (args.live && managers.size === 0) {
      managers = recordUpdate(managers, zeroObject(live), live, beforeFirstApplyManager, args.now, ctx);
    }
    const step = { live, config: applied, managers, manager, now: args.now, ctx };
    let result: { object: KubeObject; managers: Managers };
    try {
      result = apply(step, args.force);
    } catch (err) {
      if (!(err instanceof Conflicts) || manager !== kubectlManager) throw err;
      const allowed = conflictsAllowedByLastApplied(live, ctx);
      const remaining = err.list.filter((c) => !allowed.has(c.path));
      if (remaining.length > 0) throw new Conflicts(remaining);
      result = apply(step, true);
    }
    live = result.object;
    if (manager === kubectlManager && hasLastApplied(live)) live = withLastApplied(live, applied);
    return structuredClone(withManagedFields(live, result.managers));
  } catch (err) {
    if (err instanceof Conflicts) throw conflictError(err.list);
    if (err instanceof TypedError) throw new ApiError(500, undefined, `failed to create typed patch object (${objectName(applied)}): ${err.message}`);
    throw err;
  }
}

interface ApplyStep {
  live: KubeObject;
  config: KubeObject;
  managers: Managers;
  manager: string;
  now: string;
  ctx: WriteContext;
}

function apply(step: ApplyStep, force: boolean): { object: KubeObject; managers: Managers } {
  const { live, config, manager, ctx } = step;
  const key = identity({ manager, operation: 'Apply', apiVersion: ctx.apiVersion, ...(ctx.subresource ? { subresource: ctx.subresource } : {}) });
  const previous = step.managers.get(key);
  const appliedSet = toFieldSet(config, ctx.type).recursiveDifference(ctx.ignored);

  const managers: Managers = new Map(step.managers);
  const entry: Manager = {
    manager,
    operation: 'Apply',
    apiVersion: ctx.apiVersion,
    ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
    ...(previous?.time ? { time: previous.time } : {}),
    set: appliedSet,
  };
  managers.set(key, entry);

  let merged = merge(live, config, ctx.type) as KubeObject;
  if (previous) merged = prune(merged, managers, previous.set, ctx);

  const { changed, removed } = changes(live, merged, ctx);
  const conflicts: Conflict[] = [];
  for (const [k, m] of managers) {
    if (k === key) continue;
    const taken = m.set.intersection(changed);
    for (const path of taken.paths()) conflicts.push({ manager: m, path });
  }
  if (conflicts.length > 0 && !force) throw new Conflicts(sortConflicts(conflicts));

  const out: Managers = new Map();
  for (const [k, m] of managers) {
    const set = k === key ? m.set.difference(unownedFields) : m.set.difference(changed).difference(removed);
    if (!set.empty) out.set(k, { ...m, set });
  }
  const unchanged = deepEqual(live, merged);
  const own = out.get(key);
  if (own && !unchanged) out.set(key, { ...own, time: step.now });
  return { object: unchanged ? live : merged, managers: out };
}

/**
 * Removes what the manager applied last time and applies no more, unless another manager owns
 * it; fields of a struct count as members so that emptied structs go with their last field.
 */
function prune(merged: KubeObject, managers: Managers, lastSet: FieldSet, ctx: WriteContext): KubeObject {
  if (lastSet.empty) return merged;
  const named = (s: FieldSet) => withNamedFieldsAsMembers(s, ctx.type);
  const last = named(lastSet);
  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.set);
  owned = named(owned);

  const mergedSet = named(toFieldSet(merged, ctx.type));
  const withoutLast = removeItems(merged, last, ctx.type);
  const unowned = mergedSet.difference(named(toFieldSet(withoutLast, ctx.type)).union(owned));
  const keptOwned = removeItems(merged, unowned, ctx.type);
  const dangling = mergedSet.difference(named(toFieldSet(keptOwned, ctx.type))).intersection(last);
  return removeItems(merged, dangling, ctx.type) as KubeObject;
}

/** Fields the last-applied annotation still describes as they are live: client-side apply owned them. */
function conflictsAllowedByLastApplied(live: KubeObject, ctx: WriteContext): FieldSet {
  const text = live.metadata?.annotations?.[lastAppliedAnnotation];
  if (!text) return new FieldSet();
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return new FieldSet();
  }
  if (!isObject(lastApplied) || lastApplied.apiVersion !== ctx.apiVersion) return new FieldSet();
  const c = compare(lastApplied, live, ctx.type);
  return toFieldSet(lastApplied, ctx.type).difference(c.modified).difference(c.added).difference(c.removed);
}

function hasLastApplied(obj: KubeObject): boolean {
  return !!obj.metadata?.annotations?.[lastAppliedAnnotation];
}

/** The object with the annotation holding the applied configuration, as client-side apply reads it. */
function withLastApplied(obj: KubeObject, applied: KubeObject): KubeObject {
  const config = structuredClone(applied);
  const annotations = config.metadata?.annotations;
  if (annotations) delete annotations[lastAppliedAnnotation];
  return {
    ...obj,
    metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [lastAppliedAnnotation]: goJson(config) + '\n' } },
  };
}

/** JSON as Go's encoding/json writes a decoded object: keys sorted, HTML characters escaped. */
export function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (!isObject(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sorted(v[k]);
    return out;
  };
  return JSON.stringify(sorted(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---- conflict errors ------------------------------------------------------------------------------

function sortConflicts(list: Conflict[]): Conflict[] {
  return list.sort((a, b) => (identity(a.manager) < identity(b.manager) ? -1 : identity(a.manager) > identity(b.manager) ? 1 : 0));
}

/** `"kubectl-client-side-apply" using apps/v1`, `"kubelet" with subresource "status" using v1`. */
function describe(m: Manager): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

function conflictError(list: Conflict[]): ApiError {
  const causes: StatusCause[] = list.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describe(c.manager)}`,
    field: pathString(c.path),
  }));
  let message: string;
  if (list.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describe(list[0]!.manager)}: ${pathString(list[0]!.path)}`;
  } else {
    const lines: string[] = [];
    let current: Manager | undefined;
    for (const c of list) {
      if (c.manager !== current) {
        current = c.manager;
        lines.push(`conflicts with ${describe(c.manager)}:`);
      }
      lines.push(`- ${pathString(c.path)}`);
    }
    message = `Apply failed with ${list.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

function objectName(obj: KubeObject): string {
  const ns = obj.metadata?.namespace ?? '';
  const [group, version] = (obj.apiVersion ?? '').includes('/') ? obj.apiVersion!.split('/') : ['', obj.apiVersion ?? ''];
  return `${ns}/${obj.metadata?.name ?? ''}; ${group}/${version}, Kind=${obj.kind ?? ''}`;
}
