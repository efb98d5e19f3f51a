// Duplicate keys are lost once JSON.parse has run, so strict validation finds them in the text:
// `duplicate field "metadata.name"`, with the path format of unknown fields.

const MAX_PROBLEMS = 100;

class Scanner {
  private i = 0;
  private readonly path: string[] = [];
  readonly problems: string[] = [];

  constructor(private readonly text: string) {}

  run(): void {
    try {
      this.value();
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

  private value(): void {
    this.ws();
    const c = this.text.charCodeAt(this.i);
    if (c === 123 /* { */) this.object();
    else if (c === 91 /* [ */) this.array();
    else if (c === 34 /* " */) this.string();
    else this.literal();
  }

  private object(): void {
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
      if (keys.has(key)) this.report(key);
      else keys.add(key);
      this.ws();
      if (this.text.charCodeAt(this.i++) !== 58 /* : */) this.fail();
      this.path.push(this.path.length ? `.${key}` : key);
      this.value();
      this.path.pop();
      this.ws();
      const next = this.text.charCodeAt(this.i++);
      if (next === 125) return;
      if (next !== 44 /* , */) this.fail();
    }
  }

  private array(): void {
    this.i++;
    this.ws();
    if (this.text.charCodeAt(this.i) === 93 /* ] */) {
      this.i++;
      return;
    }
    for (let index = 0; ; index++) {
      this.path.push(`[${index}]`);
      this.value();
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

  private report(key: string): void {
    if (this.problems.length >= MAX_PROBLEMS) return;
    const where = this.path.length ? `${this.path.join('')}.${key}` : key;
    const text = `duplicate field "${where}"`;
    if (!this.problems.includes(text)) this.problems.push(text);
  }
}

/** `duplicate field "<path>"` for every repeated key in a JSON text (up to a syntax error, if any). */
export function findDuplicateFields(json: string): string[] {
  const scanner = new Scanner(json);
  scanner.run();
  return scanner.problems;
}
