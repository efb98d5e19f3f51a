// Helpers shared by every validator: paths as Kubernetes prints them, and field errors whose value
// is shown the way Go prints a struct (`v1.LabelSelector{...}`), which JSON cannot reproduce.

import { FieldError, field, type FieldErrorType } from '../errors.js';
import { FIELD_IMMUTABLE_MSG, NON_NEGATIVE_MSG } from './strings.js';

export type Errs = FieldError[];

export const child = (path: string, name: string) => (path ? `${path}.${name}` : name);
export const index = (path: string, i: number) => `${path}[${i}]`;
export const key = (path: string, k: string) => `${path}[${k}]`;

/** A field error whose value text is already rendered (Go `%#v` of a struct, or similar); '' omits the value. */
export class RenderedValueError extends FieldError {
  constructor(
    type: FieldErrorType,
    fieldPath: string,
    readonly renderedValue: string,
    detail: string,
  ) {
    super(type, fieldPath, renderedValue, detail);
  }

  override body(): string {
    const parts = [renderedTypeWords[this.type] ?? 'Invalid value', this.renderedValue, this.detail].filter((p) => p !== '');
    return parts.join(': ');
  }
}

const renderedTypeWords: Partial<Record<FieldErrorType, string>> = {
  FieldValueInvalid: 'Invalid value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotSupported: 'Unsupported value',
};

export function notSupportedRendered(path: string, rendered: string, supported: string[]): FieldError {
  return new RenderedValueError('FieldValueNotSupported', path, rendered, `supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}`);
}

export function invalidRendered(path: string, rendered: string, detail: string): FieldError {
  return new RenderedValueError('FieldValueInvalid', path, rendered, detail);
}

export function duplicateRendered(path: string, rendered: string, detail = ''): FieldError {
  return new RenderedValueError('FieldValueDuplicate', path, rendered, detail);
}

export function nonNegative(value: unknown, path: string): Errs {
  return typeof value === 'number' && value < 0 ? [field.invalid(path, value, NON_NEGATIVE_MSG)] : [];
}

export function immutable(newVal: unknown, oldVal: unknown, path: string, rendered?: string): Errs {
  if (deepEqual(newVal, oldVal)) return [];
  return [rendered !== undefined ? invalidRendered(path, rendered, FIELD_IMMUTABLE_MSG) : field.invalid(path, newVal, FIELD_IMMUTABLE_MSG)];
}

/**
 * Semantic equality of decoded JSON, as apimachinery's: absent, null, an empty list and an empty
 * object are the same value, since Go clients send empty structs and lists that JSON clients omit.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isAbsent(a) || isAbsent(b)) return isAbsent(a) && isAbsent(b);
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k in ao) if (!deepEqual(ao[k], bo[k])) return false;
  for (const k in bo) if (!(k in ao) && !isAbsent(bo[k])) return false;
  return true;
}

/** Unset in the Go sense: absent, null, or an empty list or struct. */
export function isAbsent(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v !== 'object') return false;
  for (const k in v as Record<string, unknown>) if (!isAbsent((v as Record<string, unknown>)[k])) return false;
  return true;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export type Rec = Record<string, unknown>;

/** The value as an object, or an empty one: reading fields of malformed input never throws. */
export const rec = (v: unknown): Rec => (isObject(v) ? v : {});

/** Calls `fn` for each object entry of a list, with its index; anything else is skipped. */
export function eachObject<T>(list: T[] | undefined | null, fn: (item: T, i: number) => void): void {
  if (!Array.isArray(list)) return;
  for (let i = 0; i < list.length; i++) if (isObject(list[i])) fn(list[i]!, i);
}

/** The object entries of a list (for loops that do not report indices). */
export function objects<T>(list: T[] | undefined | null): T[] {
  return Array.isArray(list) ? list.filter(isObject) : [];
}

/** The list itself, or empty when the value is not a list. */
export function arr<T>(list: T[] | undefined | null): T[] {
  return Array.isArray(list) ? list : [];
}

/** Go's `%q` of a string inside a struct rendering. */
export const goQuote = (s: unknown) => JSON.stringify(typeof s === 'string' ? s : '');

export function goStringMap(m: Record<string, string> | undefined): string {
  if (!m) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  // Keys sort as Go sorts map keys when printing: bytewise.
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(m[k])}`).join(', ')}}`;
}

export function goStringSlice(list: string[] | undefined): string {
  if (!list) return '[]string(nil)';
  return `[]string{${list.map((v) => goQuote(v)).join(', ')}}`;
}
