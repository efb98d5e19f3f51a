// Kubernetes resource quantities (apimachinery pkg/api/resource): exact values kept as integer
// nano-units, the suffix family remembered for canonical printing (`128Mi`, `500m`, `1k`, `1e3`).

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

export class QuantityError extends Error {
  override name = 'QuantityError';
}

const NANO = 1_000_000_000n;
/** Exponents beyond this are refused rather than expanded into enormous integers. */
const MAX_DECIMAL_EXPONENT = 1000;

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const decimalSuffixByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binarySuffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

export class Quantity {
  /** Exact value × 10⁹ (precision below one nano-unit is rounded away from zero on parse). */
  readonly nanos: bigint;
  readonly format: QuantityFormat;
  private text: string | undefined;

  constructor(nanos: bigint, format: QuantityFormat = 'DecimalSI') {
    this.nanos = nanos;
    this.format = format;
  }

  static fromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(milli) * 1_000_000n, format);
  }

  static fromValue(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value) * NANO, format);
  }

  isZero(): boolean {
    return this.nanos === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }

  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** The sum, printed in this quantity's format (as Quantity.Add does). */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.isZero() ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.format);
  }

  /** Whole units, rounded up (Quantity.Value). */
  value(): number {
    return Number(ceilDiv(this.nanos, NANO));
  }

  /** Thousandths, rounded up (Quantity.MilliValue): millicores for cpu. */
  milliValue(): number {
    return Number(ceilDiv(this.nanos, 1_000_000n));
  }

  isInteger(): boolean {
    return this.nanos % NANO === 0n;
  }

  toString(): string {
    return (this.text ??= canonicalize(this.nanos, this.format));
  }

  toJSON(): string {
    return this.toString();
  }
}

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** Parses `128Mi`, `0.5`, `1e3`, `-2k`, or a JSON number. Throws QuantityError with Kubernetes' text. */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? numberText(input) : input;
  if (text.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(text);
  if (!m) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const [, signText, whole = '', fraction = '', suffix = ''] = m;
  if (whole.length === 0 && fraction.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  if (!/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const scale = interpretSuffix(suffix);
  if (!scale) throw new QuantityError(QUANTITY_SUFFIX_ERROR);

  // value = digits × 10^(−fraction.length) × multiplier, computed as nano-units.
  let numerator = BigInt(whole + fraction || '0');
  let denominator = 10n ** BigInt(fraction.length);
  if (scale.kind === 'binary') numerator *= 1024n ** BigInt(scale.power);
  else if (scale.exponent >= 0) numerator *= 10n ** BigInt(scale.exponent);
  else denominator *= 10n ** BigInt(-scale.exponent);
  numerator *= NANO;
  let nanos = numerator / denominator;
  if (numerator % denominator !== 0n) nanos += 1n;
  if (signText === '-') nanos = -nanos;
  return new Quantity(nanos, scale.format);
}

export function tryParseQuantity(input: unknown): Quantity | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

/** The canonical text Kubernetes stores and prints for a quantity (`1024Mi` → `1Gi`). */
export function canonicalQuantity(input: string | number): string {
  return parseQuantity(input).toString();
}

export function compareQuantities(a: string | number | Quantity, b: string | number | Quantity): -1 | 0 | 1 {
  const qa = a instanceof Quantity ? a : parseQuantity(a);
  const qb = b instanceof Quantity ? b : parseQuantity(b);
  return qa.cmp(qb);
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityError(QUANTITY_NUMERIC_ERROR);
  return String(n).replace('e+', 'e');
}

type Scale =
  | { kind: 'decimal'; exponent: number; format: 'DecimalSI' | 'DecimalExponent' }
  | { kind: 'binary'; power: number; format: 'BinarySI' };

function interpretSuffix(suffix: string): Scale | undefined {
  const decimal = decimalSuffixes[suffix];
  if (decimal !== undefined && Object.hasOwn(decimalSuffixes, suffix)) {
    return { kind: 'decimal', exponent: decimal, format: 'DecimalSI' };
  }
  const binary = binarySuffixes.indexOf(suffix);
  if (binary > 0) return { kind: 'binary', power: binary, format: 'BinarySI' };
  const exp = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
  if (exp) {
    const exponent = Number(exp[1]);
    if (Math.abs(exponent) > MAX_DECIMAL_EXPONENT) return undefined;
    return { kind: 'decimal', exponent, format: 'DecimalExponent' };
  }
  return undefined;
}

function canonicalize(nanos: bigint, format: QuantityFormat): string {
  if (nanos === 0n) return '0';
  const negative = nanos < 0n;
  const magnitude = negative ? -nanos : nanos;
  const sign = negative ? '-' : '';
  if (format === 'BinarySI' && magnitude >= 1024n * NANO && magnitude % NANO === 0n) {
    let units = magnitude / NANO;
    let power = 0;
    while (power < binarySuffixes.length - 1 && units % 1024n === 0n) {
      units /= 1024n;
      power++;
    }
    return `${sign}${units}${binarySuffixes[power]}`;
  }
  let mantissa = magnitude;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  const rem = exponent % 3;
  if (rem === 1 || rem === -2) {
    mantissa *= 10n;
    exponent -= 1;
  } else if (rem === 2 || rem === -1) {
    mantissa *= 100n;
    exponent -= 2;
  }
  if (format !== 'DecimalExponent') {
    const suffix = decimalSuffixByExponent.get(exponent);
    if (suffix !== undefined) return `${sign}${mantissa}${suffix}`;
  }
  return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
}
