// Encodes the JSON shape of an object as its Kubernetes message, fields in number order. Only the
// fields present in the JSON are written (Kubernetes also writes its empty non-pointer fields; a
// decoder reads both alike).

import protobuf from 'protobufjs/minimal.js';
import { messages, type FieldDef, type MessageDef } from './schema/index.js';
import { ProtobufError, wellKnown } from './wellknown.js';

type Writer = protobuf.Writer;

const wireOrder = new Map<MessageDef, FieldDef[]>();

function fieldsByNumber(def: MessageDef): FieldDef[] {
  let order = wireOrder.get(def);
  if (!order) {
    order = [...def.fields].sort((a, b) => a.number - b.number);
    wireOrder.set(def, order);
  }
  return order;
}

function tag(number: number, wire: number): number {
  return ((number << 3) | wire) >>> 0;
}

function mismatch(def: MessageDef, field: FieldDef, value: unknown): ProtobufError {
  return new ProtobufError(`${def.name}.${field.json}: cannot encode ${JSON.stringify(value)} as ${field.type}`);
}

function writeScalar(def: MessageDef, field: FieldDef, value: unknown, writer: Writer): void {
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') throw mismatch(def, field, value);
      writer.uint32(tag(field.number, 2)).string(value);
      return;
    case 'bytes':
      if (typeof value !== 'string') throw mismatch(def, field, value);
      writer.uint32(tag(field.number, 2)).bytes(Buffer.from(value, 'base64'));
      return;
    case 'int32':
    case 'int64':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw mismatch(def, field, value);
      writer.uint32(tag(field.number, 0));
      if (field.type === 'int32') writer.int32(value);
      else writer.int64(value);
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw mismatch(def, field, value);
      writer.uint32(tag(field.number, 0)).bool(value);
      return;
    case 'double':
      if (typeof value !== 'number') throw mismatch(def, field, value);
      writer.uint32(tag(field.number, 1)).double(value);
      return;
  }
}

function writeNested(field: FieldDef, value: unknown, writer: Writer): void {
  const special = wellKnown.get(field.type);
  const body = special ? special.toProto(value) : value;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProtobufError(`${field.json}: expected an object for ${field.type}, not ${JSON.stringify(value)}`);
  }
  writer.uint32(tag(field.number, 2)).fork();
  encodeMessage(messages.get(field.type)!, body as Record<string, unknown>, writer);
  writer.ldelim();
}

function writeValue(def: MessageDef, field: FieldDef, value: unknown, writer: Writer): void {
  if (field.scalar) writeScalar(def, field, value, writer);
  else writeNested(field, value, writer);
}

function writeMapEntry(def: MessageDef, field: FieldDef, key: string, value: unknown, writer: Writer): void {
  writer.uint32(tag(field.number, 2)).fork();
  writer.uint32(tag(1, 2)).string(key);
  writeValue(def, { ...field, number: 2, map: false }, value, writer);
  writer.ldelim();
}

/** Whether any field of the inlined message appears in the parent's JSON. */
function hasInlined(def: MessageDef, json: Record<string, unknown>): boolean {
  return def.fields.some((f) => (f.inline ? hasInlined(messages.get(f.type)!, json) : json[f.json] !== undefined));
}

export function encodeMessage(def: MessageDef, json: Record<string, unknown>, writer: Writer): void {
  for (const field of fieldsByNumber(def)) {
    if (field.inline) {
      const inner = messages.get(field.type)!;
      if (hasInlined(inner, json)) {
        writer.uint32(tag(field.number, 2)).fork();
        encodeMessage(inner, json, writer);
        writer.ldelim();
      }
      continue;
    }
    const value = json[field.json];
    if (value === undefined || value === null) continue;
    if (field.map) {
      if (typeof value !== 'object' || Array.isArray(value)) throw mismatch(def, field, value);
      for (const [k, v] of Object.entries(value)) writeMapEntry(def, field, k, v, writer);
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw mismatch(def, field, value);
      for (const item of value) writeValue(def, field, item, writer);
    } else {
      writeValue(def, field, value, writer);
    }
  }
}

export function encode(def: MessageDef, json: Record<string, unknown>): Uint8Array {
  const writer = protobuf.Writer.create();
  encodeMessage(def, json, writer);
  return writer.finish();
}
