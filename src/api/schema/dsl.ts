// A small typed language for the schemas of the served kinds. One description feeds unknown-field
// detection, the OpenAPI v3 and v2 documents and `kubectl explain`.

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export type ListType = 'atomic' | 'set' | 'map';

/** How a list merges: `x-kubernetes-list-type`/`-list-map-keys` and the strategic-merge-patch keys. */
export interface ListSemantics {
  readonly type?: ListType;
  readonly keys?: readonly string[];
  readonly mergeKey?: string;
  readonly strategy?: string;
}

export type Shape =
  | { readonly kind: 'string'; readonly format?: 'byte' | 'date-time'; readonly enum?: readonly string[] }
  | { readonly kind: 'integer'; readonly format: 'int32' | 'int64' }
  | { readonly kind: 'number'; readonly format: 'double' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'ref'; readonly to: TypeDef }
  | { readonly kind: 'array'; readonly items: Shape; readonly list: ListSemantics }
  | { readonly kind: 'map'; readonly values: Shape; readonly atomic?: boolean };

export interface Field {
  readonly shape: Shape;
  readonly description: string;
  readonly required?: boolean;
}

export interface Primitive {
  readonly type: 'string' | 'object';
  readonly format?: string;
  /** The JSON types a value may take, where more than one (OpenAPI v3 writes them as oneOf). */
  readonly oneOf?: readonly ('string' | 'integer' | 'number')[];
}

/** A named schema: a struct with fields, or a named primitive such as Time or Quantity. */
export interface TypeDef {
  /** Kubernetes' definition name: `io.k8s.api.core.v1.Pod`. */
  readonly name: string;
  readonly description: string;
  readonly fields?: Readonly<Record<string, Field>>;
  readonly required?: readonly string[];
  readonly gvk?: readonly GroupVersionKind[];
  /** Replaced as a whole by server-side apply (`x-kubernetes-map-type: atomic`). */
  readonly atomic?: boolean;
  /** For named primitives: how the value is written on the wire. */
  readonly primitive?: Primitive;
}

export type Item = TypeDef | Shape | 'string' | 'int32' | 'int64' | 'boolean' | 'byte';

function isTypeDef(x: Item): x is TypeDef {
  return typeof x === 'object' && 'name' in x;
}

export function shapeOf(item: Item): Shape {
  if (typeof item === 'string') {
    switch (item) {
      case 'string':
        return { kind: 'string' };
      case 'byte':
        return { kind: 'string', format: 'byte' };
      case 'boolean':
        return { kind: 'boolean' };
      default:
        return { kind: 'integer', format: item };
    }
  }
  return isTypeDef(item) ? { kind: 'ref', to: item } : item;
}

// ---- fields ------------------------------------------------------------------------------------

export const string = (description: string): Field => ({ shape: { kind: 'string' }, description });
export const enumOf = (values: readonly string[], description: string): Field => ({
  shape: { kind: 'string', enum: values },
  description,
});
export const bytes = (description: string): Field => ({ shape: { kind: 'string', format: 'byte' }, description });
export const int32 = (description: string): Field => ({ shape: { kind: 'integer', format: 'int32' }, description });
export const int64 = (description: string): Field => ({ shape: { kind: 'integer', format: 'int64' }, description });
export const double = (description: string): Field => ({ shape: { kind: 'number', format: 'double' }, description });
export const boolean = (description: string): Field => ({ shape: { kind: 'boolean' }, description });
export const ref = (to: TypeDef, description: string): Field => ({ shape: { kind: 'ref', to }, description });

export function list(items: Item, description: string, semantics: ListSemantics = atomic): Field {
  return { shape: { kind: 'array', items: shapeOf(items), list: semantics }, description };
}

export function map(values: Item, description: string): Field {
  return { shape: { kind: 'map', values: shapeOf(values) }, description };
}

/** A map replaced as a whole by server-side apply. */
export function atomicMap(values: Item, description: string): Field {
  return { shape: { kind: 'map', values: shapeOf(values), atomic: true }, description };
}

/** Marks a field as required in its struct. */
export function req(f: Field): Field {
  return { ...f, required: true };
}

// ---- list semantics ----------------------------------------------------------------------------

export const atomic: ListSemantics = { type: 'atomic' };
export const set: ListSemantics = { type: 'set' };
/** A list keyed by `keys`, merged by the first key in strategic merge patches. */
export function keyed(keys: string | readonly string[], strategy = 'merge'): ListSemantics {
  const all = typeof keys === 'string' ? [keys] : keys;
  return { type: 'map', keys: all, mergeKey: all[0], strategy };
}
/** Strategic-merge only (merge key without a declared list type). */
export function mergedBy(mergeKey: string, type: ListType = 'atomic'): ListSemantics {
  return { type, mergeKey, strategy: 'merge' };
}

// ---- types -------------------------------------------------------------------------------------

export function struct(
  name: string,
  description: string,
  fields: Record<string, Field>,
  gvk?: GroupVersionKind | readonly GroupVersionKind[],
): TypeDef {
  const required = Object.keys(fields).filter((k) => fields[k]!.required);
  return {
    name,
    description,
    fields,
    ...(required.length ? { required } : {}),
    ...(gvk ? { gvk: Array.isArray(gvk) ? gvk : [gvk as GroupVersionKind] } : {}),
  };
}

/** A struct replaced as a whole by server-side apply, such as a reference or a selector. */
export function atomicStruct(def: TypeDef): TypeDef {
  return { ...def, atomic: true };
}

export function primitive(name: string, description: string, form: Primitive): TypeDef {
  return { name, description, primitive: form };
}

/** Package prefix of Kubernetes definition names for a group version: `io.k8s.api.apps.v1`. */
export function apiPackage(group: string, version: string): string {
  const short = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '').replace(/\./g, '');
  return `io.k8s.api.${short}.${version}`;
}
