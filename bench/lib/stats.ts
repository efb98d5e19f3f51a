// The few things every benchmark shares: samples to percentiles, numbers to text, rows to a
// markdown table, and the --quick switch. Benchmarks print; they never assert.

import { performance } from 'node:perf_hooks';

/** `--quick` runs every benchmark at small sizes (a smoke run, not a measurement). */
export const quick = process.argv.includes('--quick');

/** The full size, or the small one under --quick. */
export function size<T>(full: T, small: T): T {
  return quick ? small : full;
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of the samples (milliseconds, or whatever unit they are in). */
export function summarize(samples: number[]): Summary {
  if (samples.length === 0) return { n: 0, p50: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  let sum = 0;
  for (const s of sorted) sum += s;
  return { n: sorted.length, p50: rank(0.5), p99: rank(0.99), max: sorted[sorted.length - 1]!, mean: sum / sorted.length };
}

/** Milliseconds `fn` took. */
export async function time(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Calls `fn(i)` for i in [0, n) with at most `inFlight` calls outstanding. */
export async function pool(n: number, inFlight: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, worker));
}

/** Three significant digits, thousands separated: 0.412, 12.3, 4,210. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  if (Math.abs(n) >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

export const ms = (n: number) => `${num(n)} ms`;
export const perSec = (n: number) => `${num(n)}/s`;
export const mib = (bytes: number) => `${num(bytes / 1024 / 1024)} MiB`;
export const kib = (bytes: number) => `${num(bytes / 1024)} KiB`;

/** `value / baseline` as `3.2×`. */
export function ratio(value: number, baseline: number): string {
  const r = value / baseline;
  return Number.isFinite(r) ? `${r >= 10 ? Math.round(r).toLocaleString('en-US') : r.toFixed(r >= 1 ? 1 : 2)}×` : '–';
}

/** A formatted value followed by its ratio to a baseline: `4.10 ms (3.2×)`. */
export function vs(text: string, value: number, baseline: number): string {
  return `${text} (${ratio(value, baseline)})`;
}

/** Prints a markdown table: the first `labelColumns` columns left-aligned, the numbers right-aligned. */
export function table(title: string, header: string[], rows: string[][], notes: string[] = [], labelColumns = 1): void {
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((row) => (row[c] ?? '').length)));
  const left = (c: number) => c < labelColumns;
  const cell = (text: string, c: number) => (left(c) ? text.padEnd(widths[c]!) : text.padStart(widths[c]!));
  const line = (row: string[]) => `| ${header.map((_, c) => cell(row[c] ?? '', c)).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w, c) => `${'-'.repeat(w + 1)}${left(c) ? '-' : ':'}`).join('|')}|`);
  for (const row of rows) console.log(line(row));
  if (notes.length) console.log(`\n${notes.join('\n')}`);
}

/** Lets pending I/O and timers settle (between phases, so one phase's tail does not land in the next). */
export function settle(msToWait = 200): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msToWait));
}
