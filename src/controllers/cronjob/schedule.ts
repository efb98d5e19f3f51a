// When a CronJob's schedule fires: the next activation strictly after an instant, in the CronJob's
// time zone (robfig/cron semantics as Kubernetes uses them: whole minutes, day-of-month and
// day-of-week OR-ed unless one of them is `*`), and the scheduling window of the controller
// (mostRecentScheduleTime, with its "100 missed schedules" approximation).

import { parseCronSchedule, type CronSchedule } from '../../api/validation/cron.js';

export interface Schedule {
  next(afterMs: number): number | undefined;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Search at most this far ahead (robfig gives up after five years). */
const HORIZON_MS = 5 * 366 * DAY;

/** Parses the schedule for the zone (undefined: UTC, as the controller's time.LoadLocation("")). */
export function compileSchedule(text: string, timeZone?: string): Schedule {
  const parsed = parseCronSchedule(text);
  const zone = embeddedZone(text) ?? timeZone ?? 'UTC';
  return { next: (after) => nextActivation(parsed, after, zone) };
}

function embeddedZone(text: string): string | undefined {
  const m = /^\s*(?:CRON_)?TZ=(\S+)/.exec(text);
  return m?.[1];
}

function nextActivation(s: CronSchedule, after: number, zone: string): number | undefined {
  if (s.kind === 'every') {
    const delay = Math.max(1, Math.round(s.seconds)) * 1000;
    return Math.floor(after / 1000) * 1000 + delay;
  }
  const f = s.fields;
  const domStar = f.dayOfMonth.size === 31;
  const dowStar = f.dayOfWeek.size === 7;
  const dayMatches = (d: Date) => {
    const dom = f.dayOfMonth.has(d.getUTCDate());
    const dow = f.dayOfWeek.has(d.getUTCDay());
    return domStar || dowStar ? dom && dow : dom || dow;
  };
  // Work on the wall clock of the zone, represented as a UTC date with the wall's fields.
  let wall = toWall(Math.floor(after / MINUTE) * MINUTE + MINUTE, zone);
  const limit = wall + HORIZON_MS;
  while (wall < limit) {
    const d = new Date(wall);
    if (!f.month.has(d.getUTCMonth() + 1)) {
      wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      continue;
    }
    if (!dayMatches(d)) {
      wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!f.hour.has(d.getUTCHours())) {
      wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (!f.minute.has(d.getUTCMinutes())) {
      wall += MINUTE;
      continue;
    }
    const instant = fromWall(wall, zone);
    if (instant !== undefined && instant > after) return instant;
    wall += MINUTE;
  }
  return undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock time of the zone at `ms`, as a UTC timestamp with the same fields. */
export function toWall(ms: number, zone: string): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return ms;
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) + (ms % 1000 + 1000) % 1000;
}

/** The instant whose wall clock in the zone is `wall`; undefined inside a daylight-saving gap. */
function fromWall(wall: number, zone: string): number | undefined {
  let guess = wall - (toWall(wall, zone) - wall);
  for (let i = 0; i < 2; i++) {
    if (toWall(guess, zone) === wall) return guess;
    guess = wall - (toWall(guess, zone) - guess);
  }
  return toWall(guess, zone) === wall ? guess : undefined;
}

/** RFC 3339 in the zone, as Go's time.Format(time.RFC3339) prints it ("Z" at offset zero). */
export function formatInZone(ms: number, zone: string | undefined): string {
  const z = zone ?? 'UTC';
  const wall = toWall(ms, z);
  const offsetMin = Math.round((wall - ms) / MINUTE);
  const base = new Date(Math.floor(wall / 1000) * 1000).toISOString().slice(0, 19);
  if (offsetMin === 0) return `${base}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${base}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export interface ScheduleWindow {
  /** The latest activation not after now and not before the earliest time, if any. */
  mostRecent?: number;
  /** Roughly how many activations were missed (the controller's approximation). */
  missed: number;
}

/** mostRecentScheduleTime: the activation to run now, from `earliest` (last schedule or creation). */
export function mostRecentScheduleTime(schedule: Schedule, earliest: number, now: number): ScheduleWindow {
  const t1 = schedule.next(earliest);
  if (t1 === undefined || now < t1) return { missed: 0 };
  const t2 = schedule.next(t1);
  if (t2 === undefined || now < t2) return { mostRecent: t1, missed: 0 };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) return { missed: 0 };
  const elapsed = Math.floor((now - t1) / 1000);
  const missed = Math.floor(elapsed / between) + 1;
  let mostRecent: number | undefined;
  const potentialEarliest = t1 + (missed - 2) * between * 1000;
  for (let t = schedule.next(potentialEarliest); t !== undefined && t <= now; t = schedule.next(t)) mostRecent = t;
  return { ...(mostRecent !== undefined ? { mostRecent } : {}), missed };
}
