// Cell formatting shared by the printers, as Kubernetes' printers render values.

import { humanDuration } from '../duration.js';

export const NONE = '<none>';

/** Milliseconds since the epoch, or undefined for an absent or zero timestamp. */
export function timestamp(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The AGE cell: `<unknown>` for a missing timestamp. */
export function since(value: unknown, now: number): string {
  const ms = timestamp(value);
  return ms === undefined ? '<unknown>' : humanDuration(now - ms);
}

export function intOrZero(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function sizeOf(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  if (value && typeof value === 'object') return Object.keys(value).length;
  return 0;
}

/** labels.FormatLabels: `a=1,b=2` in key order, `<none>` when empty. */
export function formatLabels(labels: unknown): string {
  if (!labels || typeof labels !== 'object') return NONE;
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return NONE;
  const map = labels as Record<string, unknown>;
  return keys.map((k) => `${k}=${String(map[k])}`).join(',');
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key, `in`/`notin` values
 * sorted. A missing or empty selector renders as "". Undefined when an operator is unknown.
 */
export function selectorString(selector: unknown): string | undefined {
  if (!selector || typeof selector !== 'object') return '';
  const { matchLabels = {}, matchExpressions = [] } = selector as LabelSelector;
  const requirements: [string, string][] = Object.entries(matchLabels).map(([k, v]) => [k, `${k}=${v}`]);
  for (const { key, operator, values = [] } of matchExpressions) {
    const sorted = [...values].sort().join(',');
    switch (operator) {
      case 'In':
        requirements.push([key, `${key} in (${sorted})`]);
        break;
      case 'NotIn':
        requirements.push([key, `${key} notin (${sorted})`]);
        break;
      case 'Exists':
        requirements.push([key, key]);
        break;
      case 'DoesNotExist':
        requirements.push([key, `!${key}`]);
        break;
      default:
        return undefined;
    }
  }
  return requirements
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, r]) => r)
    .join(',');
}

/** metav1.FormatLabelSelector: `<none>` when it selects by nothing, `<error>` when invalid. */
export function formatLabelSelector(selector: unknown): string {
  const s = selectorString(selector);
  if (s === undefined) return '<error>';
  return s === '' ? NONE : s;
}

interface NamedImage {
  name?: string;
  image?: string;
}

/** The wide CONTAINERS and IMAGES cells: names and images, comma separated. */
export function containerCells(containers: unknown): [string, string] {
  const list = Array.isArray(containers) ? (containers as NamedImage[]) : [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** `a,b,c + 2 more...` after `max` entries; `<unset>` when there are none. */
export function listWithMore(list: string[], total: number, max: number): string {
  const shown = list.join(',');
  if (total > max) return `${shown} + ${total - max} more...`;
  return shown === '' ? '<unset>' : shown;
}

/** `True`, `False`, or `<unset>` for an absent optional boolean. */
export function boolPointer(value: unknown): string {
  if (typeof value !== 'boolean') return '<unset>';
  return value ? 'True' : 'False';
}

export function intOrString(value: unknown): string {
  return typeof value === 'number' ? String(value) : text(value);
}
