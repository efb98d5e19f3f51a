// RFC 6902 JSON patch, as the API server applies it: the operations run in order on a copy of the
// document and either all apply or none. A malformed patch is a 400; an operation that cannot
// apply is the 422 Kubernetes answers for every json-patch failure (its text carries no detail).

import { ApiError, errors } from '../errors.js';
import { deepEqual, goKind, isObject } from './values.js';

/** The most operations one JSON patch may carry. */
export const maxJsonPatchOperations = 10000;

type Container = Record<string, unknown> | unknown[];

class OperationFailed extends Error {}

function jsonPatchFailed(): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    throw errors.badRequest(`json: cannot unmarshal ${goKind(patch)} into Go value of type jsonpatch.Patch`);
  }
  if (patch.length > maxJsonPatchOperations) {
    throw new ApiError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${patch.length}`,
    );
  }
  for (const op of patch) {
    if (!isObject(op)) {
      throw errors.badRequest(`json: cannot unmarshal ${goKind(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  let result = structuredClone(doc);
  try {
    for (const op of patch as Record<string, unknown>[]) result = applyOperation(result, op);
  } catch (err) {
    if (err instanceof OperationFailed) throw jsonPatchFailed();
    throw err;
  }
  return result;
}

function applyOperation(doc: unknown, op: Record<string, unknown>): unknown {
  const path = pointer(op, 'path');
  switch (op.op) {
    case 'add':
      return add(doc, path, valueOf(op));
    case 'remove':
      remove(doc, path);
      return doc;
    case 'replace':
      return replace(doc, path, valueOf(op));
    case 'move': {
      const from = pointer(op, 'from');
      if (isPrefix(from, path) && from.length < path.length) fail();
      const moved = get(doc, from);
      remove(doc, from);
      return add(doc, path, moved);
    }
    case 'copy':
      return add(doc, path, structuredClone(get(doc, pointer(op, 'from'))));
    case 'test':
      if (!deepEqual(lookup(doc, path), op.value ?? null)) fail();
      return doc;
    default:
      return fail();
  }
}

function fail(): never {
  throw new OperationFailed();
}

/** A missing value reads as null, as the json-patch library Kubernetes uses lets it. */
function valueOf(op: Record<string, unknown>): unknown {
  return 'value' in op ? structuredClone(op.value) : null;
}

/** Parses the RFC 6901 pointer held in `op[key]`. */
function pointer(op: Record<string, unknown>, key: string): string[] {
  const text = op[key];
  if (typeof text !== 'string') fail();
  return parsePointer(text);
}

function parsePointer(text: string): string[] {
  if (text === '') return [];
  if (!text.startsWith('/')) fail();
  return text
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isPrefix(prefix: string[], path: string[]): boolean {
  return prefix.every((t, i) => path[i] === t);
}

function parentOf(doc: unknown, path: string[]): Container {
  const parent = get(doc, path.slice(0, -1));
  if (parent === null || typeof parent !== 'object') fail();
  return parent as Container;
}

function get(doc: unknown, path: string[]): unknown {
  let node = doc;
  for (const token of path) {
    if (Array.isArray(node)) node = node[index(node, token, false)];
    else if (isObject(node) && Object.hasOwn(node, token)) node = node[token];
    else fail();
  }
  return node;
}

/** Like get, but a missing member reads as null, as the test operation of Kubernetes does. */
function lookup(doc: unknown, path: string[]): unknown {
  if (path.length === 0) return doc;
  const parent = parentOf(doc, path);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) return parent[index(parent, last, false)];
  return Object.hasOwn(parent, last) ? parent[last] : null;
}

/** An array index token; `-` (only when appending) is the end; negative counts from the end. */
function index(array: unknown[], token: string, appending: boolean): number {
  if (token === '-' && appending) return array.length;
  if (!/^-?(0|[1-9][0-9]*)$/.test(token)) fail();
  let i = Number(token);
  if (i < 0) {
    if (i < -array.length) fail();
    i += array.length;
  }
  const limit = appending ? array.length : array.length - 1;
  if (i > limit) fail();
  return i;
}

function add(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(index(parent, last, true), 0, value);
  else parent[last] = value;
  return doc;
}

function remove(doc: unknown, path: string[]): void {
  if (path.length === 0) fail();
  const parent = parentOf(doc, path);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(index(parent, last, false), 1);
  else if (Object.hasOwn(parent, last)) delete parent[last];
  else fail();
}

function replace(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent[index(parent, last, false)] = value;
  else if (Object.hasOwn(parent, last)) parent[last] = value;
  else fail();
  return doc;
}
