// Our schema language as OpenAPI schema objects, in the two dialects Kubernetes serves: v3 wraps a
// described $ref in allOf, v2 puts $ref and description side by side.
import type { Field, Shape, TypeDef } from '../schema/dsl.js';

export type Dialect = 'v2' | 'v3';

export type JsonObject = { [key: string]: unknown };

export function refPath(name: string, dialect: Dialect): string {
  return dialect === 'v3' ? `#/components/schemas/${name}` : `#/definitions/${name}`;
}

export function refSchema(name: string, dialect: Dialect): JsonObject {
  return { $ref: refPath(name, dialect) };
}

function shapeSchema(shape: Shape, dialect: Dialect): JsonObject {
  switch (shape.kind) {
    case 'string':
      return {
        type: 'string',
        ...(shape.format ? { format: shape.format } : {}),
        ...(shape.enum ? { enum: [...shape.enum] } : {}),
      };
    case 'integer':
      return { type: 'integer', format: shape.format };
    case 'number':
      return { type: 'number', format: shape.format };
    case 'boolean':
      return { type: 'boolean' };
    case 'ref':
      return refSchema(shape.to.name, dialect);
    case 'array': {
      const { type, keys, mergeKey, strategy } = shape.list;
      return {
        type: 'array',
        items: shapeSchema(shape.items, dialect),
        ...(keys ? { 'x-kubernetes-list-map-keys': [...keys] } : {}),
        ...(type ? { 'x-kubernetes-list-type': type } : {}),
        ...(mergeKey ? { 'x-kubernetes-patch-merge-key': mergeKey } : {}),
        ...(strategy ? { 'x-kubernetes-patch-strategy': strategy } : {}),
      };
    }
    case 'map':
      return {
        type: 'object',
        additionalProperties: shapeSchema(shape.values, dialect),
        ...(shape.atomic ? { 'x-kubernetes-map-type': 'atomic' } : {}),
      };
  }
}

function propertySchema(f: Field, dialect: Dialect): JsonObject {
  if (f.shape.kind === 'ref') {
    const ref = refSchema(f.shape.to.name, dialect);
    return dialect === 'v3' ? { allOf: [ref], description: f.description } : { ...ref, description: f.description };
  }
  return { description: f.description, ...shapeSchema(f.shape, dialect) };
}

/** The entry of `components.schemas` (v3) or `definitions` (v2) for one named type. */
export function definitionSchema(def: TypeDef, dialect: Dialect): JsonObject {
  const form = def.primitive;
  if (form) {
    const format = form.format ? { format: form.format } : {};
    if (dialect === 'v3' && form.oneOf) {
      return { description: def.description, ...format, oneOf: form.oneOf.map((type) => ({ type })) };
    }
    return { description: def.description, type: form.type, ...format };
  }
  const properties: JsonObject = {};
  for (const [name, f] of Object.entries(def.fields ?? {})) properties[name] = propertySchema(f, dialect);
  return {
    description: def.description,
    type: 'object',
    ...(Object.keys(properties).length ? { properties } : {}),
    ...(def.required ? { required: [...def.required] } : {}),
    ...(def.atomic ? { 'x-kubernetes-map-type': 'atomic' } : {}),
    ...(def.gvk ? { 'x-kubernetes-group-version-kind': def.gvk.map((g) => ({ group: g.group, kind: g.kind, version: g.version })) } : {}),
  };
}
