// Object metadata, labels, annotations and label selectors (apimachinery api/validation and
// apis/meta/v1/validation).

import { field } from '../errors.js';
import type { ObjectMeta, OwnerReference } from '../types.js';
import { arr, child, deepEqual, eachObject, goQuote, goStringMap, goStringSlice, immutable, index, invalidRendered, isObject, nonNegative, objects, type Errs } from './field.js';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './strings.js';

/** Checks a name; `prefix` is true for generateName, where a trailing dash is allowed. */
export type NameCheck = (name: string, prefix: boolean) => string[];

const maskTrailingDash = (name: string) => (name.length > 1 && name.endsWith('-') ? name.slice(0, -2) + 'a' : name);

export const nameIsDNSSubdomain: NameCheck = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameCheck = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameCheck = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** Path segment names: what `metadata.name` of Events and Leases may not be. */
export const nameIsPathSegment: NameCheck = (name, prefix) => {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  return ['/', '%'].filter((bad) => name.includes(bad)).map((bad) => `may not contain '${bad}'`);
};

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export interface MetaOptions {
  namespaced: boolean;
  name: NameCheck;
}

export function validateObjectMeta(meta: ObjectMeta | undefined, opts: MetaOptions, path = 'metadata'): Errs {
  const m = meta ?? {};
  const errs: Errs = [];
  if (m.generateName) {
    for (const msg of opts.name(m.generateName, true)) errs.push(field.invalid(child(path, 'generateName'), m.generateName, msg));
  }
  if (!m.name) errs.push(field.required(child(path, 'name'), 'name or generateName is required'));
  else for (const msg of opts.name(m.name, false)) errs.push(field.invalid(child(path, 'name'), m.name, msg));
  if (opts.namespaced) {
    if (!m.namespace) errs.push(field.required(child(path, 'namespace'), ''));
    else for (const msg of isDNS1123Label(m.namespace)) errs.push(field.invalid(child(path, 'namespace'), m.namespace, msg));
  } else if (m.namespace) {
    errs.push(field.forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...nonNegative(m.generation, child(path, 'generation')));
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, child(path, 'finalizers')));
  return errs;
}

export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, path = 'metadata'): Errs {
  const m = meta ?? {};
  const o = old ?? {};
  const errs: Errs = [];
  if (o.deletionTimestamp) {
    const before = new Set(arr(o.finalizers));
    for (const f of objects(m.finalizers)) {
      if (!before.has(f)) {
        errs.push(field.forbidden(child(path, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice([f])}`));
        break;
      }
    }
  }
  if (!m.resourceVersion) errs.push(field.invalid(child(path, 'resourceVersion'), m.resourceVersion ?? '', 'must be specified for an update'));
  if ((m.generation ?? 0) < (o.generation ?? 0)) errs.push(field.invalid(child(path, 'generation'), m.generation ?? 0, 'must not be decremented'));
  errs.push(...immutable(m.name ?? '', o.name ?? '', child(path, 'name')));
  errs.push(...immutable(m.namespace ?? '', o.namespace ?? '', child(path, 'namespace')));
  errs.push(...immutable(m.uid ?? '', o.uid ?? '', child(path, 'uid')));
  errs.push(...immutable(m.creationTimestamp ?? null, o.creationTimestamp ?? null, child(path, 'creationTimestamp')));
  errs.push(...immutable(m.deletionTimestamp ?? null, o.deletionTimestamp ?? null, child(path, 'deletionTimestamp')));
  errs.push(...immutable(m.deletionGracePeriodSeconds ?? null, o.deletionGracePeriodSeconds ?? null, child(path, 'deletionGracePeriodSeconds')));
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, child(path, 'finalizers')));
  return errs;
}

export function validateLabelName(name: string, path: string): Errs {
  const text = typeof name === 'string' ? name : '';
  return isQualifiedName(text).map((msg) => field.invalid(path, name, msg));
}

export function validateLabels(labels: Record<string, string> | undefined, path: string): Errs {
  const errs: Errs = [];
  if (!labels) return errs;
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, path));
    for (const msg of isValidLabelValue(String(v))) errs.push(field.invalid(path, v, msg));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): Errs {
  const errs: Errs = [];
  if (!annotations) return errs;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(field.invalid(path, k, msg));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(field.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateOwnerReferences(refs: OwnerReference[] | undefined, path: string): Errs {
  const errs: Errs = [];
  let controller: string | undefined;
  for (const ref of objects(refs)) {
    const version = (ref.apiVersion ?? '').split('/').pop() ?? '';
    if (!version) errs.push(field.invalid(child(path, 'apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(field.invalid(child(path, 'kind'), ref.kind ?? '', 'must not be empty'));
    if (!ref.name) errs.push(field.invalid(child(path, 'name'), ref.name ?? '', 'must not be empty'));
    if (!ref.uid) errs.push(field.invalid(child(path, 'uid'), ref.uid ?? '', 'must not be empty'));
    if (ref.apiVersion === 'v1' && ref.kind === 'Event') errs.push(field.invalid(path, ref, '/v1, Kind=Event is disallowed from being an owner'));
    if (ref.controller) {
      const name = `${ref.kind}/${ref.name}`;
      if (controller !== undefined) {
        errs.push(
          field.invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${name}`),
        );
      } else controller = name;
    }
  }
  return errs;
}

function validateFinalizers(finalizers: string[] | undefined, path: string): Errs {
  const errs: Errs = [];
  if (!finalizers) return errs;
  for (const f of finalizers) {
    errs.push(...isQualifiedName(f).map((msg) => field.invalid(path, f, msg)));
    if (!f.includes('/') && !standardFinalizers.has(f)) {
      errs.push(field.invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(field.invalid(path, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

// ---- label selectors -----------------------------------------------------------------------------

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export function validateLabelSelector(selector: LabelSelector | undefined, path: string): Errs {
  const errs: Errs = [];
  if (!selector) return errs;
  errs.push(...validateLabels(selector.matchLabels, child(path, 'matchLabels')));
  eachObject(selector.matchExpressions, (req, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    const values = arr(req.values);
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(field.required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(field.forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(field.invalid(child(p, 'operator'), req.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(req.key ?? '', child(p, 'key')));
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(typeof v === 'string' ? v : '')) errs.push(field.invalid(index(child(p, 'values'), j), v, msg));
    });
  });
  return errs;
}

export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length + arr(selector.matchExpressions).length === 0;
}

/** metav1.LabelSelectorAsSelector(...).Matches: a nil selector matches nothing, an empty one everything. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const req of objects(selector.matchExpressions)) {
    const has = Object.hasOwn(l, req.key);
    const values = arr(req.values);
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(l[req.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[req.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Go's `%#v` of a metav1.LabelSelector, as immutable-selector errors print it. */
export function renderLabelSelector(selector: LabelSelector | undefined): string {
  if (!selector) return 'null';
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : undefined;
  const renderedExprs = exprs
    ? `[]v1.LabelSelectorRequirement{${exprs
        .map((e) => (isObject(e) ? e : ({} as LabelSelectorRequirement)))
        .map((e) => `v1.LabelSelectorRequirement{Key:${goQuote(e.key)}, Operator:${goQuote(e.operator)}, Values:${goStringSlice(arr(e.values))}}`)
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  const labels = isObject(selector.matchLabels) ? (selector.matchLabels as Record<string, string>) : undefined;
  return `v1.LabelSelector{MatchLabels:${goStringMap(labels)}, MatchExpressions:${renderedExprs}}`;
}

export function selectorImmutable(next: unknown, old: unknown, path: string): Errs {
  if (deepEqual(next, old)) return [];
  return [invalidRendered(path, renderLabelSelector(isObject(next) ? (next as LabelSelector) : undefined), 'field is immutable')];
}
