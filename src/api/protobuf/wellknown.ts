// The apimachinery types whose JSON form is not their message: metav1.Time and MicroTime (RFC3339
// strings; the zero time is an empty message and is left out), resource.Quantity (a string),
// intstr.IntOrString (a number or a string) and metav1.FieldsV1 (raw JSON).

export class ProtobufError extends Error {}

type Raw = Record<string, unknown>;

export interface WellKnown {
  /** From the decoded message to its JSON value; undefined leaves the field out. */
  fromProto(raw: Raw, keep: boolean): unknown;
  /** From the JSON value to the fields of its message. */
  toProto(value: unknown): Raw;
}

const int = (v: unknown): number => (typeof v === 'number' ? v : 0);

function rfc3339(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
}

/** Seconds since the epoch and the nanoseconds of an RFC3339 timestamp, fraction digits kept exactly. */
function parseTime(value: unknown): Raw {
  if (typeof value !== 'string') throw new ProtobufError(`a time must be an RFC3339 string, not ${JSON.stringify(value)}`);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ProtobufError(`invalid RFC3339 time ${JSON.stringify(value)}`);
  const dot = value.indexOf('.', 19);
  let nanos = 0;
  if (dot >= 0) {
    let end = dot + 1;
    while (end < value.length && value.charCodeAt(end) >= 48 && value.charCodeAt(end) <= 57) end++;
    nanos = Number(value.slice(dot + 1, end).padEnd(9, '0').slice(0, 9));
  }
  return { seconds: Math.floor(ms / 1000), nanos };
}

const time: WellKnown = {
  fromProto(raw) {
    const seconds = int(raw.seconds);
    if (seconds === 0 && int(raw.nanos) === 0) return undefined;
    return rfc3339(seconds);
  },
  toProto: parseTime,
};

const microTime: WellKnown = {
  fromProto(raw) {
    const seconds = int(raw.seconds);
    const nanos = int(raw.nanos);
    if (seconds === 0 && nanos === 0) return undefined;
    const micros = String(Math.floor(nanos / 1000)).padStart(6, '0');
    return `${rfc3339(seconds).slice(0, 19)}.${micros}Z`;
  },
  toProto: parseTime,
};

const quantity: WellKnown = {
  fromProto: (raw) => (typeof raw.string === 'string' ? raw.string : '0'),
  toProto(value) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new ProtobufError(`a quantity must be a string or a number, not ${JSON.stringify(value)}`);
    }
    return { string: String(value) };
  },
};

const INT = 0;
const STRING = 1;

const intOrString: WellKnown = {
  fromProto(raw, keep) {
    const value = int(raw.type) === STRING ? (typeof raw.strVal === 'string' ? raw.strVal : '') : int(raw.intVal);
    if (!keep && (value === 0 || value === '')) return undefined;
    return value;
  },
  toProto(value) {
    if (typeof value === 'number') return { type: INT, intVal: value };
    if (typeof value === 'string') return { type: STRING, strVal: value };
    throw new ProtobufError(`an int-or-string must be a number or a string, not ${JSON.stringify(value)}`);
  },
};

const fieldsV1: WellKnown = {
  fromProto(raw) {
    if (typeof raw.Raw !== 'string') return {};
    try {
      return JSON.parse(Buffer.from(raw.Raw, 'base64').toString('utf8'));
    } catch {
      throw new ProtobufError('FieldsV1 does not hold JSON');
    }
  },
  toProto: (value) => ({ Raw: Buffer.from(JSON.stringify(value)).toString('base64') }),
};

export const wellKnown: ReadonlyMap<string, WellKnown> = new Map([
  ['Time', time],
  ['MicroTime', microTime],
  ['Quantity', quantity],
  ['IntOrString', intOrString],
  ['FieldsV1', fieldsV1],
]);
