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
  /** Also delete each unknown field, as decoding into the typed object does. */
  constructor(private readonly prune = false) {}
  private readonly seen = new Set<string>();
  private readonly path: string[] = [];

  report(key: string): void {
    if (this.problems.length >= MAX_PROBLEMS) return;
    const where = this.path.length ? `${this.path.join('')}.${key}` : key;
    if (this.seen.has(where)) return;
    this.seen.add(where);
    this.problems.push(where);
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
        if (this.prune) delete value[key];
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
 * The paths of the fields of `obj` that the schema of `apiVersion`/`kind` does not know, in document
 * order, as the strict decoder names them: `spec.bogus`, `spec.containers[0].foo`. Empty when all are
 * known or the kind has no schema.
 */
export function findUnknownFields(apiVersion: string, kind: string, obj: unknown): string[] {
  const def = schemaForKind(apiVersion, kind);
  if (!def) return [];
  const walker = new Walker();
  walker.struct(def, obj);
  return walker.problems;
}

/**
 * Like findUnknownFields, and deletes those fields from `obj`: what Kubernetes' decoder leaves of a
 * body under `fieldValidation=Warn` or `Ignore`, where unknown fields are dropped, never stored.
 */
export function pruneUnknownFields(apiVersion: string, kind: string, obj: unknown): string[] {
  const def = schemaForKind(apiVersion, kind);
  if (!def) return [];
  const walker = new Walker(true);
  walker.struct(def, obj);
  return walker.problems;
}

/** A strict-decoding problem of a JSON body. */
export interface StrictProblem {
  readonly type: 'unknown' | 'duplicate';
  readonly path: string;
}

/**
 * The text of one problem, as in the error message and in the `Warning` header of
 * fieldValidation=Warn: `unknown field "spec.bogus"`. A plain string is an unknown field's path.
 */
export function strictProblemText(problem: StrictProblem | string): string {
  return typeof problem === 'string' ? `unknown field "${problem}"` : `${problem.type} field "${problem.path}"`;
}

function decodingMessage(problems: readonly (StrictProblem | string)[]): string {
  return `strict decoding error: ${problems.map(strictProblemText).join(', ')}`;
}

/**
 * The 400 a create or update with fieldValidation=Strict gets, from the paths of findUnknownFields
 * or the problems of findStrictProblems:
 * `Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.bogus"`.
 */
export function strictDecodingError(
  apiVersion: string,
  kind: string,
  problems: readonly (StrictProblem | string)[],
): ApiError {
  const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
  return errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${decodingMessage(problems)}`);
}

/**
 * The 422 a patch with fieldValidation=Strict gets: ` "" is invalid: patch: Invalid value: "<value>":
 * strict decoding error: ...`. The value is what the upstream handler shows: for a strategic merge
 * patch the patch as Go prints a map (`goValue(patch)`), for JSON and merge patches the JSON text of
 * the patched object.
 */
export function strictPatchError(value: string, problems: readonly (StrictProblem | string)[]): ApiError {
  return errors.invalid('', '', '', [field.invalid('patch', value, decodingMessage(problems))]);
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
