// Decodes a Kubernetes message into the JSON shape of the REST API. Wire types are checked against
// the schema; fields the schema does not know are skipped, as Kubernetes skips them. Scalars that
// Go's JSON would omit when zero are left out unless the field is marked `keep`.

import protobuf from 'protobufjs/minimal.js';
import { messages, type FieldDef, type MessageDef } from './schema/index.js';
import { ProtobufError, wellKnown } from './wellknown.js';

type Reader = protobuf.Reader;

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const MAX_DEPTH = 64;

function wireTypeOf(type: string): number {
  switch (type) {
    case 'int32':
    case 'int64':
    case 'bool':
      return VARINT;
    case 'double':
      return FIXED64;
    default:
      return LENGTH;
  }
}

function toNumber(value: number | protobuf.Long): number {
  return typeof value === 'number' ? value : protobuf.util.LongBits.from(value).toNumber();
}

/** The end offset of the length-delimited value at the reader's position. */
function delimited(reader: Reader): number {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) throw new ProtobufError('unexpected EOF');
  return end;
}

function readScalar(type: string, reader: Reader): unknown {
  switch (type) {
    case 'string':
      return Buffer.from(reader.bytes()).toString('utf8');
    case 'bytes':
      return Buffer.from(reader.bytes()).toString('base64');
    case 'int32':
      return reader.int32();
    case 'int64':
      return toNumber(reader.int64());
    case 'bool':
      return reader.bool();
    case 'double':
      return reader.double();
    default:
      throw new ProtobufError(`no scalar type ${type}`);
  }
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

function zeroOf(type: string): unknown {
  switch (type) {
    case 'string':
    case 'bytes':
      return '';
    case 'int32':
    case 'int64':
    case 'double':
      return 0;
    case 'bool':
      return false;
    case 'Quantity':
      return '0';
    default:
      return wellKnown.has(type) ? null : {};
  }
}

function readNested(type: string, keep: boolean, reader: Reader, depth: number): unknown {
  const end = delimited(reader);
  const raw = decodeMessage(messages.get(type)!, reader, end, depth + 1);
  const special = wellKnown.get(type);
  return special ? special.fromProto(raw, keep) : raw;
}

function readValue(field: FieldDef, reader: Reader, depth: number): unknown {
  return field.scalar ? readScalar(field.type, reader) : readNested(field.type, field.keep, reader, depth);
}

function readMapEntry(owner: MessageDef, field: FieldDef, reader: Reader, depth: number): [string, unknown] {
  const end = delimited(reader);
  let key = '';
  let value: unknown;
  while (reader.pos < end) {
    const tag = reader.uint32();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (number === 1 && wire === LENGTH) {
      key = Buffer.from(reader.bytes()).toString('utf8');
    } else if (number === 2 && wire === wireTypeOf(field.type)) {
      // A map value is written even when zero, so a zero value is kept.
      value = field.scalar ? readScalar(field.type, reader) : readNested(field.type, true, reader, depth);
    } else if (number === 1 || number === 2) {
      throw new ProtobufError(`${owner.name}.${field.json}: wrong wire type ${wire} in a map entry`);
    } else {
      reader.skipType(wire);
    }
  }
  return [key, value === undefined ? zeroOf(field.type) : value];
}

function readField(
  owner: MessageDef,
  field: FieldDef,
  wire: number,
  reader: Reader,
  slots: unknown[],
  depth: number,
): void {
  if (field.map) {
    if (wire !== LENGTH) throw new ProtobufError(`${owner.name}.${field.json}: wrong wire type ${wire}`);
    const [key, value] = readMapEntry(owner, field, reader, depth);
    ((slots[field.index] ??= {}) as Record<string, unknown>)[key] = value;
    return;
  }
  const expected = field.scalar ? wireTypeOf(field.type) : LENGTH;
  if (field.repeated && expected !== LENGTH && wire === LENGTH) {
    const end = delimited(reader);
    const list = (slots[field.index] ??= []) as unknown[];
    while (reader.pos < end) list.push(readScalar(field.type, reader));
    return;
  }
  if (wire !== expected) throw new ProtobufError(`${owner.name}.${field.json}: wrong wire type ${wire}`);
  const value = readValue(field, reader, depth);
  if (field.repeated) {
    ((slots[field.index] ??= []) as unknown[]).push(value ?? null);
  } else {
    slots[field.index] = field.scalar && !field.keep && isZero(value) ? undefined : value;
  }
}

export function decodeMessage(def: MessageDef, reader: Reader, end: number, depth = 0): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new ProtobufError('maximum nesting depth exceeded');
  const slots: unknown[] = new Array(def.fields.length);
  while (reader.pos < end) {
    const tag = reader.uint32();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (number === 0) throw new ProtobufError(`${def.name}: illegal tag 0 (wire type ${wire})`);
    const field = def.byNumber.get(number);
    if (field) readField(def, field, wire, reader, slots, depth);
    else reader.skipType(wire);
  }
  if (reader.pos !== end) throw new ProtobufError(`${def.name}: unexpected EOF`);

  const out: Record<string, unknown> = {};
  for (const field of def.fields) {
    const value = slots[field.index];
    if (value === undefined) continue;
    if (field.inline) Object.assign(out, value);
    else out[field.json] = value;
  }
  return out;
}

/** Decodes `bytes` as one `def` message. */
export function decode(def: MessageDef, bytes: Uint8Array): Record<string, unknown> {
  const reader = protobuf.Reader.create(bytes);
  return decodeMessage(def, reader, reader.len);
}
