// Label and field selectors as the API accepts them in `labelSelector=` and `fieldSelector=`.
// Parsing follows k8s.io/apimachinery/pkg/labels and pkg/fields; errors are 400 BadRequest.

import { errors } from './errors.js';

export type LabelOperator = 'in' | 'notin' | 'exists' | '!' | '=' | '!=';

export interface LabelRequirement {
  key: string;
  op: LabelOperator;
  values: string[];
}

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  matches(labels: Record<string, string> | undefined): boolean;
  readonly empty: boolean;
}

const EVERYTHING: LabelSelector = { requirements: [], matches: () => true, empty: true };

function selectorOf(requirements: LabelRequirement[]): LabelSelector {
  if (requirements.length === 0) return EVERYTHING;
  return {
    requirements,
    empty: false,
    matches(labels) {
      for (const r of requirements) if (!requirementMatches(r, labels)) return false;
      return true;
    },
  };
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string> | undefined): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels![r.key]! : undefined;
  switch (r.op) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
    case 'in':
      return has && r.values.includes(value!);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value!);
  }
}

const keyPattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const valuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string): void {
  if (!keyPattern.test(key) || key.length > 316) {
    throw errors.badRequest(
      `unable to parse requirement: key: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    );
  }
}

function checkValue(value: string): void {
  if (value.length > 63 || !valuePattern.test(value)) {
    throw errors.badRequest(
      `unable to parse requirement: values[0][${value}]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    );
  }
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const setPattern = /^\s*([^\s!=()]+)\s+(in|notin)\s*\(([^()]*)\)\s*$/;
const equalityPattern = /^\s*([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=()]*)\s*$/;
const existsPattern = /^\s*(!?)\s*([^\s!=()]+)\s*$/;

export function parseLabelSelector(text: string | undefined | null): LabelSelector {
  if (!text || !text.trim()) return EVERYTHING;
  const requirements: LabelRequirement[] = [];
  for (const part of splitTopLevel(text)) {
    let m: RegExpExecArray | null;
    if ((m = setPattern.exec(part))) {
      const values = m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v, i, all) => v !== '' || all.length === 1);
      checkKey(m[1]!);
      values.forEach(checkValue);
      requirements.push({ key: m[1]!, op: m[2] as LabelOperator, values: [...new Set(values)].sort() });
    } else if ((m = equalityPattern.exec(part))) {
      checkKey(m[1]!);
      checkValue(m[3]!);
      requirements.push({ key: m[1]!, op: m[2] === '!=' ? '!=' : '=', values: [m[3]!] });
    } else if ((m = existsPattern.exec(part))) {
      checkKey(m[2]!);
      requirements.push({ key: m[2]!, op: m[1] ? '!' : 'exists', values: [] });
    } else {
      throw errors.badRequest(`unable to parse requirement: found '${part.trim()}', expected: identifier`);
    }
  }
  return selectorOf(requirements);
}

/** A metav1.LabelSelector (matchLabels + matchExpressions), as in workload specs. */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

const specOperators = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const;

export function labelSelectorFromSpec(spec: LabelSelectorSpec | undefined | null): LabelSelector {
  if (!spec) return { requirements: [], matches: () => false, empty: true };
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(spec.matchLabels ?? {})) requirements.push({ key, op: '=', values: [value] });
  for (const e of spec.matchExpressions ?? []) {
    const op = specOperators[e.operator];
    if (!op) throw errors.badRequest(`"${e.operator}" is not a valid label selector operator`);
    requirements.push({ key: e.key, op, values: [...(e.values ?? [])] });
  }
  return selectorOf(requirements);
}

/** `app=web,tier in (a,b)`: the text form of a selector spec, as kubectl and Scale.status.selector show it. */
export function formatLabelSelector(selector: LabelSelector): string {
  return selector.requirements
    .map((r) => {
      switch (r.op) {
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case '=':
          return `${r.key}=${r.values[0]}`;
        case '!=':
          return `${r.key}!=${r.values[0]}`;
        default:
          return `${r.key} ${r.op} (${r.values.join(',')})`;
      }
    })
    .join(',');
}

// ---- field selectors ---------------------------------------------------------------------------

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  matches(fields: Record<string, string>): boolean;
  /** The value required for `field` by an `=` term, when there is one. */
  requiredValue(field: string): string | undefined;
}

const NO_FIELDS: FieldSelector = { requirements: [], empty: true, matches: () => true, requiredValue: () => undefined };

function unescapeFieldValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(text: string | undefined | null): FieldSelector {
  if (!text || !text.trim()) return NO_FIELDS;
  const requirements: FieldRequirement[] = [];
  for (const raw of text.split(/(?<!\\),/)) {
    const part = raw.trim();
    if (!part) continue;
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw errors.badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    requirements.push({ field: m[1]!.trim(), op: m[2] === '!=' ? '!=' : '=', value: unescapeFieldValue(m[3]!) });
  }
  return {
    requirements,
    empty: requirements.length === 0,
    matches(fields) {
      for (const r of requirements) {
        const actual = fields[r.field] ?? '';
        if ((actual === r.value) !== (r.op === '=')) return false;
      }
      return true;
    },
    requiredValue(field) {
      return requirements.find((r) => r.field === field && r.op === '=')?.value;
    },
  };
}
