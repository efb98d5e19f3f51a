// Strict field validation: which fields of a body the schema does not know, reported as Kubernetes'
// strict decoder does (`unknown field "spec.containers[0].foo"`), and the errors built from them.
import { ApiError, errors, field } from '../errors.js';
import type { Shape, TypeDef } from './dsl.js';
import { schemaForKind } from './catalog.js';
import { fieldsOf } from './fields.js';

/** The decoder stops collecting after this many problems, like the upstream one. */
const MAX_PROBLEMS = 100;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Walker {
  readonly problems: string[] = [];
  private readonly seen = new Set<string>();
  private readonly path: string[] = [];

  report(key: string): void {
    if (this.problems.length >= MAX_PROBLEMS) return;
    const where = this.path.length ? `${this.path.join('')}.${key}` : key;
    const text = `unknown field "${where}"`;
    if (this.seen.has(text)) return;
    this.seen.add(text);
    this.problems.push(text);
  }

  private enterKey(key: string): void {
    this.path.push(this.path.length ? `.${key}` : key);
  }

  struct(def: TypeDef, value: unknown): void {
    if (!def.fields || !isPlainObject(value)) return;
    const table = fieldsOf(def);
    for (const key in value) {
      const shape = table.get(key);
      if (!shape) {
        this.report(key);
        continue;
      }
      const child = value[key];
      if (child === null || typeof child !== 'object') continue;
      this.enterKey(key);
      this.shape(shape, child);
      this.path.pop();
    }
  }

  shape(shape: Shape, value: unknown): void {
    switch (shape.kind) {
      case 'ref':
        this.struct(shape.to, value);
        return;
      case 'array':
        if (!Array.isArray(value) || !needsWalk(shape.items)) return;
        for (let i = 0; i < value.length; i++) {
          this.path.push(`[${i}]`);
          this.shape(shape.items, value[i]);
          this.path.pop();
        }
        return;
      case 'map':
        if (!isPlainObject(value) || !needsWalk(shape.values)) return;
        for (const key in value) {
          this.enterKey(key);
          this.shape(shape.values, value[key]);
          this.path.pop();
        }
        return;
      default:
        return;
    }
  }
}

function needsWalk(shape: Shape): boolean {
  switch (shape.kind) {
    case 'ref':
      return shape.to.fields !== undefined;
    case 'array':
      return needsWalk(shape.items);
    case 'map':
      return needsWalk(shape.values);
    default:
      return false;
  }
}

/**
 * The strict-decoding problems of `obj` as the kind `apiVersion`/`kind`, in document order, as
 * `unknown field "<path>"` texts. Empty when all fields are known or the kind has no schema. With
 * fieldValidation=Warn each text is one `Warning` header.
 */
export function findUnknownFields(apiVersion: string, kind: string, obj: unknown): string[] {
  const def = schemaForKind(apiVersion, kind);
  if (!def) return [];
  const walker = new Walker();
  walker.struct(def, obj);
  return walker.problems;
}

/** Only the paths, for callers that build their own messages: `spec.bogus`. */
export function unknownFieldPaths(problems: readonly string[]): string[] {
  return problems.map((p) => p.slice(p.indexOf('"') + 1, -1));
}

function decodingMessage(problems: readonly string[]): string {
  return `strict decoding error: ${problems.join(', ')}`;
}

/**
 * The 400 a create or update with fieldValidation=Strict gets:
 * `Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.bogus"`.
 */
export function strictDecodingError(apiVersion: string, kind: string, problems: readonly string[]): ApiError {
  const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
  return errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${decodingMessage(problems)}`);
}

/**
 * The 422 a patch with fieldValidation=Strict gets: ` "" is invalid: patch: Invalid value: "<patch as
 * Go prints a map>": strict decoding error: ...`.
 */
export function strictPatchError(patch: unknown, problems: readonly string[]): ApiError {
  return errors.invalid('', '', '', [field.invalid('patch', goValue(patch), decodingMessage(problems))]);
}

/** Go's `%+v` of a decoded JSON value: maps with sorted keys, `map[a:1 b:[x y]]`. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    return `map[${keys.map((k) => `${k}:${goValue(obj[k])}`).join(' ')}]`;
  }
  if (typeof v === 'number') return goFloat(v);
  return String(v);
}

/** Go's %v of a float64: the shortest digits, in exponent form below 1e-4 and from 1e6 up. */
function goFloat(n: number): string {
  if (n === 0 || !Number.isFinite(n)) return String(n);
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp >= -4 && exp < 6) return String(n);
  const digits = String(Math.abs(exp)).padStart(2, '0');
  return `${mantissa}e${exp < 0 ? '-' : '+'}${digits}`;
}
