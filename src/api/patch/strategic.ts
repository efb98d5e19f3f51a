// Strategic merge patch (k8s.io/apimachinery strategicpatch, applied server side): a merge patch
// whose lists follow the patch strategy of their field, plus the directives kubectl sends —
// `$patch` (replace | delete), `$retainKeys`, `$setElementOrder/<list>` and
// `$deleteFromPrimitiveList/<list>`. Kinds without a schema get plain merge-patch semantics, as
// custom resources do.

import { ApiError, errors } from '../errors.js';
import { applyMergePatch } from './merge-patch.js';
import { childType, itemType, schemaFor, type TypeNode } from './schema.js';
import { isObject } from './values.js';

const directive = '$patch';
const retainKeys = '$retainKeys';
const setElementOrder = '$setElementOrder/';
const deleteFromPrimitiveList = '$deleteFromPrimitiveList/';

type Obj = Record<string, unknown>;

/** `doc` is left as it was unless `ownsDocument` says the caller gives it up (a private copy merged in place). */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, apiVersion: string, kind: string, ownsDocument = false): unknown {
  if (!isObject(patch)) throw errors.badRequest(smpErrors.badJsonDoc);
  const schema = schemaFor(apiVersion, kind);
  if (!schema) return applyMergePatch(doc, patch);
  return mergeObject(isObject(doc) ? (ownsDocument ? doc : structuredClone(doc)) : {}, structuredClone(patch), schema);
}

/** The texts of k8s.io/apimachinery mergepatch errors. */
const smpErrors = {
  badJsonDoc: 'invalid JSON document',
  noListOfLists: 'lists of lists are not supported',
  primitiveList: 'invalid patch format of primitive list',
  retainKeys: 'invalid patch format of retainKeys',
  setElementOrder: 'invalid patch format of setElementOrder list',
  retainKeysMismatch: "patch content doesn't match retainKeys list",
};

const badRequest = (message: string) => errors.badRequest(message);
const unprocessable = (message: string) => new ApiError(422, 'Invalid', message, {});
/** Errors Kubernetes does not classify reach the client as a 500 without a reason. */
const unclassified = (message: string) => new ApiError(500, undefined, message);

function unknownDirective(value: unknown, where: Obj): ApiError {
  return unclassified(`unknown patch type: ${goString(value)} in map: ${goString(where)}`);
}

/** Merges `patch` into `original` (both owned, mutated) under the object type `type`. */
function mergeObject(original: Obj, patch: Obj, type: TypeNode): Obj {
  if (directive in patch) {
    const d = patch[directive];
    if (d === 'replace') {
      delete patch[directive];
      return withoutNulls(patch) as Obj;
    }
    if (d === 'delete') return {};
    throw unknownDirective(d, patch);
  }
  applyRetainKeys(original, patch);

  for (const key of Object.keys(patch)) {
    if (!key.startsWith(deleteFromPrimitiveList)) continue;
    const field = key.slice(deleteFromPrimitiveList.length);
    const drop = patch[key];
    const current = original[field];
    if (!Array.isArray(drop) || (current !== undefined && !Array.isArray(current))) throw badRequest(smpErrors.primitiveList);
    if (Array.isArray(current)) original[field] = current.filter((v) => !drop.some((d) => sameScalar(d, v)));
  }

  for (const [key, value] of Object.entries(patch)) {
    if (key === retainKeys || key.startsWith(deleteFromPrimitiveList)) continue;
    if (key.startsWith(setElementOrder)) {
      const field = key.slice(setElementOrder.length);
      if (Array.isArray(value) && original[field] === undefined && patch[field] === undefined) continue;
      original[field] = mergeOrderedList(original[field], patch[field], value, childType(type, field, patch[field] ?? original[field]));
      continue;
    }
    if (`${setElementOrder}${key}` in patch) continue;
    if (value === null) {
      delete original[key];
      continue;
    }
    original[key] = mergeValue(original[key], value, childType(type, key, value));
  }
  return original;
}

function applyRetainKeys(original: Obj, patch: Obj): void {
  if (!(retainKeys in patch)) return;
  const keep = patch[retainKeys];
  if (!Array.isArray(keep)) throw badRequest(smpErrors.retainKeys);
  const kept = new Set(keep);
  for (const [key, value] of Object.entries(patch)) {
    if (key === retainKeys || value === null || key.startsWith(setElementOrder) || key.startsWith(deleteFromPrimitiveList)) continue;
    if (!kept.has(key)) throw unprocessable(smpErrors.retainKeysMismatch);
  }
  for (const key of Object.keys(original)) if (!kept.has(key)) delete original[key];
}

function mergeValue(original: unknown, patch: unknown, type: TypeNode): unknown {
  if (isObject(patch)) {
    if (type.kind === 'deduced') return applyMergePatch(original, patch);
    return mergeObject(isObject(original) ? original : {}, patch, type);
  }
  if (Array.isArray(patch)) {
    if (type.kind === 'list' && type.merge) return mergeList(Array.isArray(original) ? original : [], patch, type.mergeKey, type);
    return replacementList(patch);
  }
  return patch;
}

/** A list that replaces what was there: directives and nulls are dropped from its objects. */
function replacementList(patch: unknown[]): unknown[] {
  const items = patch.filter((item) => !(isObject(item) && directive in item));
  return items.map(withoutNulls);
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value;
  if (!isObject(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNulls(v);
  return out;
}

/** Merges a list with patchStrategy merge, then orders it as Kubernetes does. */
function mergeList(original: unknown[], patch: unknown[], mergeKey: string | undefined, type: TypeNode): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  if ([...original, ...patch].some(Array.isArray)) throw unprocessable(smpErrors.noListOfLists);
  const objects = patch.some(isObject) || (patch.length === 0 && original.some(isObject));
  if (!objects) {
    const merged = dedupeScalars([...original, ...patch]);
    return orderItems(merged, patch, original, (v) => v);
  }
  if (!mergeKey) throw unclassified('cannot merge lists without merge key');
  const { base, items } = splitSpecialItems(original, patch, mergeKey);
  const merged = base.slice();
  for (const item of items) {
    if (!isObject(item)) throw unclassified(`expected a map, but received a ${goType(item)}`);
    if (!(mergeKey in item)) throw unclassified(noMergeKey(item, mergeKey));
    const at = merged.findIndex((m) => isObject(m) && sameScalar(m[mergeKey], item[mergeKey]));
    if (at >= 0) merged[at] = mergeObject(merged[at] as Obj, item, itemType(type, item));
    else merged.push(mergeObject({}, item, itemType(type, item)));
  }
  return orderItems(merged, items, original, (v) => (isObject(v) ? v[mergeKey] : v));
}

function noMergeKey(item: Obj, mergeKey: string): string {
  return `map: ${goString(item)} does not contain declared merge key: ${mergeKey}`;
}

/** Applies the `$patch` items of a keyed list: deletions come out of `base`, replace drops it. */
function splitSpecialItems(original: unknown[], patch: unknown[], mergeKey: string): { base: unknown[]; items: unknown[] } {
  let base = original;
  let replace = false;
  const items: unknown[] = [];
  for (const item of patch) {
    if (!isObject(item) || !(directive in item)) {
      items.push(item);
      continue;
    }
    const d = item[directive];
    if (d === 'delete') {
      if (!(mergeKey in item)) throw unclassified(noMergeKey(item, mergeKey));
      base = base.filter((m) => !(isObject(m) && sameScalar(m[mergeKey], item[mergeKey])));
    } else if (d === 'replace') {
      replace = true;
    } else if (d === 'merge') {
      throw unclassified('merging lists cannot yet be specified in the patch');
    } else {
      throw unknownDirective(d, item);
    }
  }
  return { base: replace ? [] : base, items };
}

/**
 * Handles `$setElementOrder/<field>` with the patch list beside it: the list is merged, then the
 * items named in the order list take that order, the others keep their place from the live list.
 */
function mergeOrderedList(original: unknown, patch: unknown, order: unknown, type: TypeNode): unknown {
  if (!Array.isArray(order) || (patch !== undefined && patch !== null && !Array.isArray(patch))) {
    throw badRequest(smpErrors.setElementOrder);
  }
  const mergeKey = type.kind === 'list' ? type.mergeKey : undefined;
  const identity = (v: unknown) => (mergeKey && isObject(v) ? v[mergeKey] : v);
  const orderIds = order.map(identity);
  if (mergeKey && order.some((o) => !isObject(o) || !(mergeKey in o))) throw badRequest(smpErrors.setElementOrder);
  const patchList = Array.isArray(patch) ? patch : [];
  checkRelativeOrder(patchList, orderIds, identity, order);
  const live = Array.isArray(original) ? original : [];
  const merged =
    type.kind === 'list' && type.merge ? mergeList(live, patchList, mergeKey, type) : patch === undefined ? live : replacementList(patchList);
  return orderItems(merged, order, live, identity);
}

function checkRelativeOrder(patch: unknown[], orderIds: unknown[], identity: (v: unknown) => unknown, order: unknown[]): void {
  let last = -1;
  for (const item of patch) {
    if (isObject(item) && directive in item) continue;
    const at = orderIds.findIndex((o) => sameScalar(o, identity(item)));
    if (at < 0) continue;
    if (at < last) {
      throw unclassified(`The order in patch list:\n${goString(patch)}\n doesn't match $setElementOrder list:\n${goString(order)}\n`);
    }
    last = at;
  }
}

/**
 * The order of a merged list: items named by `wanted` sorted as there, the rest sorted as in `live`,
 * and the two interleaved so that items found in both lists keep the live relative order.
 */
function orderItems(merged: unknown[], wanted: unknown[], live: unknown[], identity: (v: unknown) => unknown): unknown[] {
  const wantedAt = positions(wanted.filter((w) => !(isObject(w) && directive in w)).map(identity));
  const liveAt = positions(live.map(identity));
  const at = (index: Map<string, number>, v: unknown) => index.get(scalarKey(identity(v))) ?? -1;
  const fromPatch = merged.filter((m) => at(wantedAt, m) >= 0).sort((a, b) => at(wantedAt, a) - at(wantedAt, b));
  const serverOnly = merged.filter((m) => at(wantedAt, m) < 0).sort((a, b) => at(liveAt, a) - at(liveAt, b));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < fromPatch.length || j < serverOnly.length) {
    if (j >= serverOnly.length) out.push(fromPatch[i++]);
    else if (i >= fromPatch.length) out.push(serverOnly[j++]);
    else {
      const l = at(liveAt, fromPatch[i]);
      const r = at(liveAt, serverOnly[j]);
      if (l >= 0 && r >= 0 && l < r) out.push(fromPatch[i++]);
      else out.push(serverOnly[j++]);
    }
  }
  return out;
}

/** First position of each identity. */
function positions(ids: unknown[]): Map<string, number> {
  const index = new Map<string, number>();
  ids.forEach((id, i) => {
    const k = scalarKey(id);
    if (!index.has(k)) index.set(k, i);
  });
  return index;
}

function scalarKey(v: unknown): string {
  return typeof v === 'string' ? `s${v}` : `j${JSON.stringify(v)}`;
}

function dedupeScalars(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) if (!out.some((o) => sameScalar(o, v))) out.push(v);
  return out;
}

function sameScalar(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && JSON.stringify(a) === JSON.stringify(b));
}

function goType(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return 'float64';
  return typeof v;
}

/** How Go's %v prints decoded JSON: `map[k:v]` with sorted keys, `[a b]`, `<nil>`. */
export function goString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (isObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goString(v[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}
