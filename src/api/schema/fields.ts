import type { Shape, TypeDef } from './dsl.js';

const tables = new WeakMap<TypeDef, Map<string, Shape>>();

/** The fields of a struct as a lookup table, built once per type. */
export function fieldsOf(def: TypeDef): Map<string, Shape> {
  let table = tables.get(def);
  if (!table) {
    table = new Map(Object.entries(def.fields ?? {}).map(([name, f]) => [name, f.shape]));
    tables.set(def, table);
  }
  return table;
}
