// RFC 7386 JSON merge patch: objects merge member by member, null deletes, anything else replaces.

import { isObject } from './values.js';

export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const target: Record<string, unknown> = isObject(doc) ? { ...doc } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else target[key] = applyMergePatch(target[key], value);
  }
  return target;
}
