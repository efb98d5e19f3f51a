// Strict decoding of JSON text. Duplicate keys are lost once JSON.parse has run, so they are found in
// the text, in one pass with the unknown fields when a schema is given, in document order and with
// the paths the upstream decoder reports: `duplicate field "metadata.name"`, `unknown field "spec.x"`.
import type { Shape, TypeDef } from './dsl.js';
import { schemaForKind } from './catalog.js';
import { fieldsOf } from './fields.js';
import type { StrictProblem } from './unknown-fields.js';

const MAX_PROBLEMS = 100;

/** What is expected at a position: a shape, anything (no schema), or nothing to check (skipped). */
type Expect = Shape | 'any' | 'skip';

function objectMode(expect: Expect): { table?: Map<string, Shape>; child: (key: string) => Expect } | 'skip' {
  if (expect === 'any') return { child: () => 'any' };
  if (expect === 'skip') return 'skip';
  if (expect.kind === 'map') return { child: () => expect.values };
  if (expect.kind === 'ref' && expect.to.fields) {
    const table = fieldsOf(expect.to);
    return { table, child: (key) => table.get(key) ?? 'skip' };
  }
  return 'skip';
}

class Scanner {
  private i = 0;
  private readonly path: string[] = [];
  private readonly seen = new Set<string>();
  readonly problems: StrictProblem[] = [];

  constructor(private readonly text: string) {}

  run(root: Expect): void {
    try {
      this.value(root);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
    }
  }

  private ws(): void {
    const t = this.text;
    let c = t.charCodeAt(this.i);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = t.charCodeAt(++this.i);
  }

  private fail(): never {
    throw new SyntaxError(`unexpected input at ${this.i}`);
  }

  private value(expect: Expect): void {
    this.ws();
    const c = this.text.charCodeAt(this.i);
    if (c === 123 /* { */) this.object(expect);
    else if (c === 91 /* [ */) this.array(expect);
    else if (c === 34 /* " */) this.string();
    else this.literal();
  }

  private object(expect: Expect): void {
    const mode = objectMode(expect);
    this.i++;
    this.ws();
    if (this.text.charCodeAt(this.i) === 125 /* } */) {
      this.i++;
      return;
    }
    const keys = new Set<string>();
    for (;;) {
      this.ws();
      if (this.text.charCodeAt(this.i) !== 34) this.fail();
      const key = this.string();
      let child: Expect = 'skip';
      if (mode !== 'skip') {
        if (mode.table && !mode.table.has(key)) this.report('unknown', key);
        else if (keys.has(key)) this.report('duplicate', key);
        else keys.add(key);
        child = mode.child(key);
      }
      this.ws();
      if (this.text.charCodeAt(this.i++) !== 58 /* : */) this.fail();
      this.path.push(this.path.length ? `.${key}` : key);
      this.value(child);
      this.path.pop();
      this.ws();
      const next = this.text.charCodeAt(this.i++);
      if (next === 125) return;
      if (next !== 44 /* , */) this.fail();
    }
  }

  private array(expect: Expect): void {
    const items: Expect = expect === 'any' ? 'any' : expect !== 'skip' && expect.kind === 'array' ? expect.items : 'skip';
    this.i++;
    this.ws();
    if (this.text.charCodeAt(this.i) === 93 /* ] */) {
      this.i++;
      return;
    }
    for (let index = 0; ; index++) {
      this.path.push(`[${index}]`);
      this.value(items);
      this.path.pop();
      this.ws();
      const next = this.text.charCodeAt(this.i++);
      if (next === 93) return;
      if (next !== 44) this.fail();
    }
  }

  /** Reads a string token and returns its value. */
  private string(): string {
    const t = this.text;
    const start = ++this.i;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (Number.isNaN(c)) this.fail();
      if (c === 92 /* \ */) {
        escaped = true;
        this.i += 2;
        continue;
      }
      this.i++;
      if (c === 34) break;
    }
    const raw = t.slice(start, this.i - 1);
    return escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
  }

  private literal(): void {
    const t = this.text;
    const start = this.i;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (Number.isNaN(c) || c === 44 || c === 125 || c === 93 || c === 32 || c === 10 || c === 13 || c === 9) break;
      this.i++;
    }
    if (this.i === start) this.fail();
  }

  private report(type: StrictProblem['type'], key: string): void {
    if (this.problems.length >= MAX_PROBLEMS) return;
    const path = this.path.length ? `${this.path.join('')}.${key}` : key;
    const seenKey = `${type} ${path}`;
    if (this.seen.has(seenKey)) return;
    this.seen.add(seenKey);
    this.problems.push({ type, path });
  }
}

/** The paths of the repeated keys of a JSON text (up to a syntax error, if any): `metadata.name`. */
export function findDuplicateFields(json: string): string[] {
  const scanner = new Scanner(json);
  scanner.run('any');
  return scanner.problems.map((p) => p.path);
}

/**
 * Every strict-decoding problem of a JSON body as the kind `apiVersion`/`kind`, unknown and duplicate
 * fields together in document order, as the upstream decoder lists them. Without a schema for the
 * kind, only duplicates are found.
 */
export function findStrictProblems(apiVersion: string, kind: string, json: string): StrictProblem[] {
  const def: TypeDef | undefined = schemaForKind(apiVersion, kind);
  const scanner = new Scanner(json);
  scanner.run(def ? { kind: 'ref', to: def } : 'any');
  return scanner.problems;
}
