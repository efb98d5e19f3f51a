// Reads the message notation of meta.ts into field tables the codec walks.

export type ScalarType = 'string' | 'int32' | 'int64' | 'bool' | 'bytes' | 'double';

const SCALARS = new Set<string>(['string', 'int32', 'int64', 'bool', 'bytes', 'double']);

export interface FieldDef {
  /** Position in declaration order, which is the order of the object's JSON keys. */
  index: number;
  number: number;
  json: string;
  /** A scalar type or a message name; for maps, the value type. */
  type: string;
  scalar: boolean;
  repeated: boolean;
  map: boolean;
  keep: boolean;
  inline: boolean;
}

export interface MessageDef {
  name: string;
  fields: FieldDef[];
  byNumber: Map<number, FieldDef>;
}

const MAP = /^map<string,(\w+)>$/;

export function parseSchema(text: string, into: Map<string, MessageDef> = new Map()): Map<string, MessageDef> {
  let current: MessageDef | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trimEnd();
    if (line.trim() === '') continue;
    if (!line.startsWith(' ')) {
      if (into.has(line)) throw new Error(`protobuf schema: message ${line} defined twice`);
      current = { name: line, fields: [], byNumber: new Map() };
      into.set(line, current);
      continue;
    }
    if (!current) throw new Error(`protobuf schema line ${i + 1}: field outside a message`);
    current.fields.push(parseField(line.trim(), current, i + 1));
  }
  return into;
}

function parseField(line: string, message: MessageDef, lineNumber: number): FieldDef {
  const [num, json, rawType, ...flags] = line.split(/\s+/);
  const number = Number(num);
  if (!Number.isInteger(number) || number <= 0 || !json || !rawType) {
    throw new Error(`protobuf schema line ${lineNumber}: cannot read "${line}"`);
  }
  if (message.byNumber.has(number)) throw new Error(`protobuf schema: ${message.name} reuses field ${number}`);
  const mapMatch = MAP.exec(rawType);
  const repeated = rawType.startsWith('[]');
  const type = mapMatch ? mapMatch[1]! : repeated ? rawType.slice(2) : rawType;
  for (const flag of flags) {
    if (flag !== 'keep' && flag !== 'inline') throw new Error(`protobuf schema line ${lineNumber}: unknown flag ${flag}`);
  }
  const field: FieldDef = {
    index: message.fields.length,
    number,
    json,
    type,
    scalar: SCALARS.has(type),
    repeated,
    map: mapMatch !== null,
    keep: flags.includes('keep'),
    inline: flags.includes('inline'),
  };
  message.byNumber.set(number, field);
  return field;
}

/** Fails on a field whose message type is not defined. */
export function checkReferences(messages: Map<string, MessageDef>): void {
  for (const m of messages.values()) {
    for (const f of m.fields) {
      if (!f.scalar && !messages.has(f.type)) {
        throw new Error(`protobuf schema: ${m.name}.${f.json} refers to unknown ${f.type}`);
      }
    }
  }
}
