// The four patch media types the API server accepts, and the decoding of a patch body with the
// 400s Kubernetes answers for bodies that do not parse.

import { parse as parseYaml } from 'yaml';
import { errors } from '../errors.js';
import { isObject } from './values.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const byMediaType: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** The accepted media types, in the order the API server's installer declares them. */
export const patchMediaTypes = Object.keys(byMediaType);

export function patchTypeFor(contentType: string): PatchType | undefined {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return byMediaType[mediaType];
}

/** Parses a patch body of the given type. */
export function decodePatch(type: PatchType, body: string): unknown {
  if (type === 'apply') return decodeApplyBody(body);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    if (type === 'merge') throw errors.badRequest('Invalid JSON Patch');
    throw errors.badRequest(goJsonSyntaxError(body, err));
  }
  if (type === 'merge' && !isObject(value) && !Array.isArray(value)) throw errors.badRequest('Invalid JSON Patch');
  return value;
}

function decodeApplyBody(body: string): unknown {
  let value: unknown;
  try {
    value = parseYaml(body, { version: '1.1', merge: true });
  } catch (err) {
    throw errors.badRequest(`error decoding YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObject(value)) {
    throw errors.badRequest('error decoding YAML: error unmarshaling JSON: json: cannot unmarshal non-object into Go value of type map[string]interface {}');
  }
  return value;
}

/** encoding/json's wording for a syntax error (the offending character, or the early end). */
function goJsonSyntaxError(body: string, err: unknown): string {
  const text = String((err as Error).message);
  const token = /Unexpected token '(.)'/.exec(text)?.[1];
  const position = /position (\d+)/.exec(text)?.[1];
  const ch = token ?? (position !== undefined ? body[Number(position)] : undefined);
  if (ch === undefined || /end of JSON/i.test(text)) return 'unexpected end of JSON input';
  return `invalid character '${ch === "'" ? "\\'" : ch}' looking for beginning of value`;
}
