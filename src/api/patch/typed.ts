// Operations on objects seen through their schema, as structured-merge-diff performs them for
// server-side apply: the set of fields an object sets, the comparison of two versions, the merge
// of an applied configuration into a live object, and the removal of a set of fields.

import { deepEqual, isObject } from './values.js';
import { FieldSet, pathString, type PathElement } from './fieldset.js';
import { childType, elementType, type ListNode, type TypeNode } from './schema.js';

type Obj = Record<string, unknown>;

/** An object that cannot be seen through its schema (a list map item without its key). */
export class TypedError extends Error {}

function granularList(type: TypeNode): ListNode | undefined {
  return type.kind === 'list' && type.listType !== 'atomic' ? type : undefined;
}

function atomicObject(type: TypeNode): boolean {
  return (type.kind === 'struct' || type.kind === 'map') && type.atomic === true;
}

function isEmptyContainer(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0);
}

const sortedKeys = new WeakMap<ListNode, string[]>();

/** The path element naming one item of a set or list map. */
export function itemElement(list: ListNode, item: unknown, at: () => string, index: number): PathElement {
  if (list.listType === 'set') return `v:${JSON.stringify(item)}`;
  let keys = sortedKeys.get(list);
  if (!keys) sortedKeys.set(list, (keys = [...list.keys!].sort()));
  let out = 'k:{';
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i]!;
    const v = isObject(item) ? (item[name] ?? list.keyDefaults?.[name]) : undefined;
    if (v === undefined || v === null) {
      throw new TypedError(
        `${at()}: element ${index}: associative list with keys has an element that omits key field ${JSON.stringify(name)} (and doesn't have default value)`,
      );
    }
    out += `${i > 0 ? ',' : ''}${JSON.stringify(name)}:${JSON.stringify(v)}`;
  }
  return out + '}';
}

// ---- the fields an object sets --------------------------------------------------------------------

export function toFieldSet(obj: unknown, type: TypeNode): FieldSet {
  const root = new FieldSet();
  if (isObject(obj)) collectFields(obj, type, root, []);
  return root;
}

function collectFields(obj: Obj, type: TypeNode, node: FieldSet, trail: PathElement[]): void {
  for (const [name, v] of Object.entries(obj)) {
    const pe = `f:${name}`;
    if (v === null || (isObject(v) && Object.keys(v).length === 0)) node.members.add(pe);
    else collect(v, childType(type, name, v), node, pe, trail);
  }
}

function collect(value: unknown, type: TypeNode, parent: FieldSet, pe: PathElement, trail: PathElement[]): void {
  if (Array.isArray(value)) {
    const list = granularList(type);
    if (!list) return void parent.members.add(pe);
    if (value.length === 0) return;
    trail.push(pe);
    const node = parent.child(pe);
    value.forEach((item, i) => {
      const ie = itemElement(list, item, () => pathString(trail), i);
      if (isObject(item)) {
        trail.push(ie);
        collectFields(item, list.items, node.child(ie), trail);
        trail.pop();
      }
      node.members.add(ie);
    });
    trail.pop();
    return;
  }
  if (isObject(value) && !atomicObject(type)) {
    trail.push(pe);
    collectFields(value, type, parent.child(pe), trail);
    trail.pop();
    return;
  }
  parent.members.add(pe);
}

// ---- comparing two versions -----------------------------------------------------------------------

export interface Comparison {
  added: FieldSet;
  removed: FieldSet;
  modified: FieldSet;
}

/** The fields added, removed and modified from `before` to `after`; nothing at or under a member of `skip` is looked at. */
export function compare(before: unknown, after: unknown, type: TypeNode, skip?: FieldSet): Comparison {
  const out: Comparison = { added: new FieldSet(), removed: new FieldSet(), modified: new FieldSet() };
  diff(before, after, type, [], out, skip);
  return out;
}

function diff(l: unknown, r: unknown, type: TypeNode, path: PathElement[], out: Comparison, skip: FieldSet | undefined): void {
  // Where something is skipped below, equality of the whole would walk the skipped part too.
  if (skip === undefined && l !== undefined && r !== undefined && deepEqual(l, r)) return;
  const leaf = () => {
    if (l === undefined) out.added.insert(path);
    else if (r === undefined) out.removed.insert(path);
    else if (!deepEqual(l, r)) out.modified.insert(path);
  };
  const node = () => {
    if (l === undefined) out.added.insert(path);
    else if (r === undefined) out.removed.insert(path);
  };
  // null stands for an empty value of whatever shape the other side has, yet counts as present.
  const mismatched = l != null && r != null && (Array.isArray(l) !== Array.isArray(r) || isObject(l) !== isObject(r));
  if (mismatched) return leaf();

  if (Array.isArray(l) || Array.isArray(r)) {
    const list = granularList(type);
    if (!list || (isEmptyContainer(l) && isEmptyContainer(r))) return leaf();
    const left = indexItems(list, l, path);
    const right = indexItems(list, r, path);
    for (const pe of new Set([...left.keys(), ...right.keys()])) {
      if (skip?.members.has(pe)) continue;
      path.push(pe);
      diff(left.get(pe), right.get(pe), list.items, path, out, skip?.children.get(pe));
      path.pop();
    }
    return node();
  }

  if (isObject(l) || isObject(r)) {
    if (atomicObject(type) || (isEmptyContainer(l) && isEmptyContainer(r))) return leaf();
    const lo = (isObject(l) ? l : {}) as Obj;
    const ro = (isObject(r) ? r : {}) as Obj;
    for (const name of new Set([...Object.keys(lo), ...Object.keys(ro)])) {
      const pe = `f:${name}`;
      if (skip?.members.has(pe)) continue;
      const fieldType = childType(type, name, lo[name] ?? ro[name]);
      const lv = isObject(l) ? inMemory(lo[name], fieldType) : undefined;
      const rv = isObject(r) ? inMemory(ro[name], fieldType) : undefined;
      path.push(pe);
      diff(lv, rv, fieldType, path, out, skip?.children.get(pe));
      path.pop();
    }
    return node();
  }
  leaf();
}

function indexItems(list: ListNode, value: unknown, path: PathElement[]): Map<PathElement, unknown> {
  const items = new Map<PathElement, unknown>();
  if (!Array.isArray(value)) return items;
  value.forEach((item, i) => {
    const pe = itemElement(list, item, () => pathString(path), i);
    if (!items.has(pe)) items.set(pe, item);
  });
  return items;
}

// ---- merging an applied configuration -------------------------------------------------------------

/** The live object with the configuration merged in: the configuration wins every leaf. */
export function merge(live: unknown, config: unknown, type: TypeNode): unknown {
  return mergeValues(live, config, type, []);
}

function mergeValues(l: unknown, r: unknown, type: TypeNode, path: PathElement[]): unknown {
  if (r === undefined) return l;
  if (l === undefined || l === null) return r;
  if (Array.isArray(l) && Array.isArray(r)) {
    const list = granularList(type);
    return list ? mergeLists(l, r, list, path) : r;
  }
  if (isObject(l) && isObject(r) && !atomicObject(type)) {
    const out: Obj = {};
    for (const [name, lv] of Object.entries(l)) {
      if (!(name in r)) {
        out[name] = lv;
        continue;
      }
      path.push(`f:${name}`);
      const v = mergeValues(lv, r[name], childType(type, name, lv), path);
      path.pop();
      if (v !== null) out[name] = v;
    }
    for (const [name, rv] of Object.entries(r)) if (!(name in l) && rv !== null) out[name] = rv;
    return out;
  }
  return r;
}

/**
 * Items only in the live list keep their place; items of the configuration come in its order, each
 * run of them placed before the next live item they share.
 */
function mergeLists(l: unknown[], r: unknown[], list: ListNode, path: PathElement[]): unknown[] {
  const left = indexItems(list, l, path);
  const right = indexItems(list, r, path);
  const rightOrder = [...right.keys()];
  const shared = rightOrder.filter((pe) => left.has(pe));
  const out: unknown[] = [];
  let next = 0;
  let sharedAt = 0;
  const emitRightThrough = (stop: PathElement | undefined) => {
    while (next < rightOrder.length) {
      const pe = rightOrder[next++]!;
      path.push(pe);
      out.push(mergeValues(left.get(pe), right.get(pe), list.items, path));
      path.pop();
      if (pe === stop) return;
    }
  };
  for (const [pe, item] of left) {
    if (!right.has(pe)) out.push(item);
    else if (shared[sharedAt] === pe) {
      sharedAt++;
      emitRightThrough(pe);
    }
  }
  emitRightThrough(undefined);
  return out;
}

// ---- removing fields ------------------------------------------------------------------------------

/** The object without the fields of `set` (a member goes with everything under it). */
export function removeItems(obj: unknown, set: FieldSet, type: TypeNode): unknown {
  return remove(obj, set, type, []) ?? {};
}

function remove(value: unknown, set: FieldSet, type: TypeNode, path: PathElement[]): unknown {
  if (Array.isArray(value)) {
    const list = granularList(type);
    if (!list) return value;
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const pe = itemElement(list, item, () => pathString(path), i);
      if (set.members.has(pe)) return;
      const sub = set.children.get(pe);
      if (!sub) return void out.push(item);
      path.push(pe);
      const kept = remove(item, sub, list.items, path);
      path.pop();
      if (kept !== undefined) out.push(kept);
    });
    return out.length > 0 ? out : undefined;
  }
  if (isObject(value)) {
    const out: Obj = {};
    for (const [name, v] of Object.entries(value)) {
      const pe = `f:${name}`;
      if (set.members.has(pe)) continue;
      const sub = set.children.get(pe);
      if (!sub) {
        out[name] = v;
        continue;
      }
      path.push(pe);
      const kept = remove(v, sub, childType(type, name, v), path);
      path.pop();
      if (kept !== undefined) out[name] = kept;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value;
}

// ---- schema-aware adjustments ---------------------------------------------------------------------

/** The set where every field of a struct that has something under it is also a member itself. */
export function withNamedFieldsAsMembers(set: FieldSet, type: TypeNode): FieldSet {
  const out = new FieldSet();
  for (const m of set.members) out.members.add(m);
  for (const [pe, sub] of set.children) {
    if (type.kind === 'struct' && pe.startsWith('f:')) out.members.add(pe);
    out.children.set(pe, withNamedFieldsAsMembers(sub, elementType(type, pe)));
  }
  return out;
}

/**
 * A field as Kubernetes holds it in memory, where value structs (spec, template, resources…) are
 * always present, if only as `{}`, and lists without omitempty as null. Comparisons see this form
 * so that setting the first field of such a struct does not count the struct itself as added.
 */
function inMemory(value: unknown, type: TypeNode): unknown {
  if (value !== undefined) return value;
  if (type.kind === 'struct' && type.value) return {};
  if (type.kind === 'list' && type.zeroNull) return null;
  return undefined;
}
