// IntOrString values that are counts or percentages (maxSurge, maxUnavailable, minAvailable).

import { field } from '../errors.js';
import { goQuote, invalidRendered, type Errs } from './field.js';
import { NON_NEGATIVE_MSG, regexError } from './strings.js';

/** Go's `%#v` of an intstr.IntOrString. */
export function renderIntOrString(v: unknown): string {
  return typeof v === 'string'
    ? `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`
    : `intstr.IntOrString{Type:0, IntVal:${typeof v === 'number' ? v : 0}, StrVal:""}`;
}

const percentPattern = /^[0-9]+%$/;
const PERCENT_MSG = regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%');

export function validatePositiveIntOrPercent(v: unknown, path: string): Errs {
  if (typeof v === 'string') return percentPattern.test(v) ? [] : [invalidRendered(path, renderIntOrString(v), PERCENT_MSG)];
  if (typeof v === 'number' && v < 0) return [field.invalid(path, v, NON_NEGATIVE_MSG)];
  return [];
}

/** The number a count-or-percent stands for before scaling (`25%` → 25); 0 when unparsable. */
export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && percentPattern.test(v)) return Number(v.slice(0, -1));
  return 0;
}

export function notMoreThan100Percent(v: unknown, path: string): Errs {
  if (typeof v !== 'string' || !percentPattern.test(v)) return [];
  return intOrPercentValue(v) > 100 ? [invalidRendered(path, renderIntOrString(v), 'must not be greater than 100%')] : [];
}
