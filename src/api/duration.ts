// Durations as Kubernetes prints them. `humanDuration` and `shortHumanDuration` follow
// apimachinery's util/duration (AGE columns, "3 (4s ago)", describe ages); `goDuration` is Go's
// time.Duration.String() ("1m20s", "300ms"), which kubelet messages and events quote.
// Inputs are milliseconds; Go truncates towards zero at every step, and so do we.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

/** About two significant figures: `5s`, `2m3s`, `10m`, `3h4m`, `2d3h`, `3y45d`. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  // A clock skew of up to two seconds reads as "now".
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;

  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) return withRest(minutes, 'm', seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;

  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) return withRest(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;

  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return withRest(days, 'd', hours % 24, 'h');
  if (hours < 24 * 365 * 2) return `${days}d`;

  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) return withRest(years, 'y', days % 365, 'd');
  return `${years}y`;
}

/** One unit only: `59s`, `59m`, `23h`, `364d`, `2y`. */
export function shortHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(ms / YEAR)}y`;
}

function withRest(value: number, unit: string, rest: number, restUnit: string): string {
  return rest === 0 ? `${value}${unit}` : `${value}${unit}${rest}${restUnit}`;
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** Go's time.Duration.String(): `0s`, `300ms`, `1.5µs`, `10s`, `1m20s`, `5m0s`, `1h0m0s`. */
export function goDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`duration is not finite: ${ms}`);
  const ns = nanoseconds(ms);
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;

  if (u < NS_PER_S) {
    if (u < 1000n) return `${sign}${u}ns`;
    if (u < NS_PER_MS) return `${sign}${decimal(u, 3)}µs`;
    return `${sign}${decimal(u, 6)}ms`;
  }

  const totalSeconds = u / NS_PER_S;
  let text = `${totalSeconds % 60n}${fraction(u % NS_PER_S, 9)}s`;
  const totalMinutes = totalSeconds / 60n;
  if (totalMinutes > 0n) {
    text = `${totalMinutes % 60n}m${text}`;
    const hours = totalMinutes / 60n;
    if (hours > 0n) text = `${hours}h${text}`;
  }
  return sign + text;
}

/** Whole milliseconds exactly, sub-millisecond digits rounded to the nanosecond. */
function nanoseconds(ms: number): bigint {
  const whole = Math.trunc(ms);
  return BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
}

/** `value / 10^digits` written with the fraction's trailing zeros (and a bare dot) dropped. */
function decimal(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  return `${value / scale}${fraction(value % scale, digits)}`;
}

function fraction(rest: bigint, digits: number): string {
  if (rest === 0n) return '';
  return '.' + rest.toString().padStart(digits, '0').replace(/0+$/, '');
}

const GO_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: SECOND, m: MINUTE, h: HOUR };

/** Go's time.ParseDuration for non-negative durations (`90s`, `1h30m`, `1.5s`, `0`), in milliseconds; undefined when malformed. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (!/^(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * GO_UNITS_MS[m[2]!]!;
  return total;
}
