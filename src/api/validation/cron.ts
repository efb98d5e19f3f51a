// Standard five-field cron schedules and @descriptors, checked the way CronJob validation's parser
// checks them, with its error texts.

import { parseGoDuration } from '../duration.js';

export interface CronFields {
  minute: Set<number>;
  hour: Set<number>;
  dayOfMonth: Set<number>;
  month: Set<number>;
  dayOfWeek: Set<number>;
}

export type CronSchedule = { kind: 'fields'; fields: CronFields } | { kind: 'every'; seconds: number };

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const months: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const days: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const bounds: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: months },
  { min: 0, max: 6, names: days },
];

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export class CronError extends Error {
  override name = 'CronError';
}

/** Parses a schedule; throws CronError with the parser's message. */
export function parseCronSchedule(input: string): CronSchedule {
  let spec = input.trim();
  if (spec.length === 0) throw new CronError('empty spec string');
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    const zone = spec.slice(spec.indexOf('=') + 1, space < 0 ? undefined : space);
    if (!isKnownTimeZone(zone)) throw new CronError(`provided bad location ${zone}: unknown time zone ${zone}`);
    spec = space < 0 ? '' : spec.slice(space).trim();
  }
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      const text = spec.slice('@every '.length).trim();
      const ms = text === '0' ? undefined : parseGoDuration(text);
      const seconds = ms === undefined ? undefined : ms / 1000;
      if (seconds === undefined) throw new CronError(`failed to parse duration ${spec}`);
      return { kind: 'every', seconds };
    }
    const expanded = descriptors[spec];
    if (!expanded) throw new CronError(`unrecognized descriptor: ${spec}`);
    spec = expanded;
  }
  const fields = spec.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields.map((f, i) => parseField(f, bounds[i]!));
  return { kind: 'fields', fields: { minute: minute!, hour: hour!, dayOfMonth: dayOfMonth!, month: month!, dayOfWeek: dayOfWeek! } };
}

function parseField(text: string, b: Bounds): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', step, extra] = part.split('/');
    if (extra !== undefined) throw new CronError(`too many slashes: ${part}`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = b.min;
      hi = b.max;
    } else {
      const ends = range.split('-');
      if (ends.length > 2) throw new CronError(`too many hyphens: ${part}`);
      lo = parseValue(ends[0]!, b);
      hi = ends.length === 2 ? parseValue(ends[1]!, b) : lo;
      if (step !== undefined && ends.length === 1) hi = b.max;
    }
    let by = 1;
    if (step !== undefined) {
      by = parseInteger(step);
      if (by <= 0) throw new CronError(`step of range should be a positive number: ${part}`);
    }
    if (lo < b.min) throw new CronError(`beginning of range (${lo}) below minimum (${b.min}): ${part}`);
    if (hi > b.max) throw new CronError(`end of range (${hi}) above maximum (${b.max}): ${part}`);
    if (lo > hi) throw new CronError(`beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
    for (let v = lo; v <= hi; v += by) out.add(v);
  }
  return out;
}

function parseValue(text: string, b: Bounds): number {
  const named = b.names?.[text.toLowerCase()];
  return named !== undefined ? named : parseInteger(text);
}

function parseInteger(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new CronError(`failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  const n = Number(text);
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${text}`);
  return n;
}

export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
