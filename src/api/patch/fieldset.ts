// Sets of field paths, as structured-merge-diff keeps them for managedFields. A path is a list of
// path elements written as in the FieldsV1 format: `f:<field>`, `k:<json of the key fields>` for
// items of a list map, `v:<json value>` for items of a set. A set is a tree: `members` are paths
// ending at this node, `children` are subtrees (a node can be both, written `".": {}`).

export type PathElement = string;
export type Path = readonly PathElement[];

export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  static fromPaths(paths: Iterable<Path>): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) node = node.child(path[i]!);
    node.members.add(path[path.length - 1]!);
  }

  has(path: Path): boolean {
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(path[i]!);
    return !!node && path.length > 0 && node.members.has(path[path.length - 1]!);
  }

  child(pe: PathElement): FieldSet {
    let c = this.children.get(pe);
    if (!c) {
      c = new FieldSet();
      this.children.set(pe, c);
    }
    return c;
  }

  get empty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.empty) return false;
    return true;
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    out.addAll(other);
    return out;
  }

  private addAll(other: FieldSet): void {
    for (const m of other.members) this.members.add(m);
    for (const [pe, c] of other.children) this.child(pe).addAll(c);
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.addAll(this);
    return out;
  }

  /** Paths of this set that `other` does not hold (a member of `other` removes only itself). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      const d = o ? c.difference(o) : c.clone();
      if (!d.empty) out.children.set(pe, d);
    }
    return out;
  }

  /** Whether some member path is in both sets (whether difference would take anything away). */
  overlaps(other: FieldSet): boolean {
    for (const m of this.members) if (other.members.has(m)) return true;
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (o && c.overlaps(o)) return true;
    }
    return false;
  }

  /** Like difference, but a member of `other` also removes everything under it. */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      if (other.members.has(pe)) continue;
      const o = other.children.get(pe);
      const d = o ? c.recursiveDifference(o) : c.clone();
      if (!d.empty) out.children.set(pe, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (!o) continue;
      const i = c.intersection(o);
      if (!i.empty) out.children.set(pe, i);
    }
    return out;
  }

  /** Every member path, members of a node before its children's, each level in FieldsV1 order. */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    for (const m of sortElements([...this.members])) out.push([...prefix, m]);
    for (const pe of sortElements([...this.children.keys()])) out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    return out;
  }

  /** The FieldsV1 JSON object. */
  toFieldsV1(): Record<string, unknown> {
    return this.encode(false) ?? {};
  }

  /** This node's FieldsV1 (`"."` first when it is also a member), undefined when nothing is under it. */
  private encode(member: boolean): Record<string, unknown> | undefined {
    const keys: PathElement[] = [...this.members];
    for (const pe of this.children.keys()) if (!this.members.has(pe)) keys.push(pe);
    if (keys.length === 0) return undefined;
    const out: Record<string, unknown> = member ? { '.': {} } : {};
    let any = false;
    for (const pe of sortElements(keys)) {
      const isMember = this.members.has(pe);
      const sub = this.children.get(pe)?.encode(isMember);
      if (sub) out[pe] = sub;
      else if (isMember) out[pe] = {};
      else continue;
      any = true;
    }
    return any ? out : undefined;
  }

  static fromFieldsV1(json: unknown): FieldSet {
    const set = new FieldSet();
    set.readFieldsV1(json);
    return set;
  }

  private readFieldsV1(json: unknown): void {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('FieldsV1 must be an object');
    for (const [pe, sub] of Object.entries(json as Record<string, unknown>)) {
      if (pe === '.') continue;
      if (!/^[fkvi]:/.test(pe)) throw new Error(`unknown path element ${JSON.stringify(pe)}`);
      const entries = sub !== null && typeof sub === 'object' ? Object.keys(sub) : [];
      if (entries.length === 0 || entries.includes('.')) this.members.add(pe);
      if (entries.some((k) => k !== '.')) this.child(pe).readFieldsV1(sub);
    }
  }
}

/** `.spec.containers[name="nginx"].image`, as Kubernetes prints a path in conflicts. */
export function pathString(path: Path): string {
  return path.map(elementString).join('');
}

function elementString(pe: PathElement): string {
  const body = pe.slice(2);
  switch (pe[0]) {
    case 'f':
      return `.${body}`;
    case 'k': {
      const key = JSON.parse(body) as Record<string, unknown>;
      return `[${Object.entries(key)
        .map(([k, v]) => `${k}=${valueString(v)}`)
        .join(',')}]`;
    }
    case 'v':
      return `[=${valueString(JSON.parse(body))}]`;
    default:
      return `[${body}]`;
  }
}

function valueString(v: unknown): string {
  if (typeof v === 'string' || v === null || typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const kindOrder: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** structured-merge-diff's path element order: fields by name, then keys, then values. */
export function compareElements(a: PathElement, b: PathElement): number {
  return compareDecoded(decode(a), decode(b));
}

interface Decoded {
  kind: number;
  text: string;
  value?: unknown;
}

function decode(pe: PathElement): Decoded {
  const kind = kindOrder[pe[0]!] ?? 4;
  const text = pe.slice(2);
  if (pe[0] === 'f') return { kind, text };
  if (pe[0] === 'i') return { kind, text, value: Number(text) };
  return { kind, text, value: JSON.parse(text) as unknown };
}

function compareDecoded(a: Decoded, b: Decoded): number {
  if (a.kind !== b.kind) return a.kind - b.kind;
  if (a.kind === 0) return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  if (a.kind === 1) return compareKeys(a.value as Record<string, unknown>, b.value as Record<string, unknown>);
  return compareValues(a.value, b.value);
}

function compareKeys(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  for (let i = 0; i < Math.min(ak.length, bk.length); i++) {
    if (ak[i] !== bk[i]) return ak[i]! < bk[i]! ? -1 : 1;
    const c = compareValues(a[ak[i]!], b[bk[i]!]);
    if (c !== 0) return c;
  }
  return ak.length - bk.length;
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const rank = (v: unknown) => (v === null ? 0 : typeof v === 'boolean' ? 1 : typeof v === 'number' ? 2 : typeof v === 'string' ? 3 : 4);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  const as = JSON.stringify(a);
  const bs = JSON.stringify(b);
  return as < bs ? -1 : as > bs ? 1 : 0;
}

/** Sorts in place, decoding each element once. */
export function sortElements(elements: PathElement[]): PathElement[] {
  if (elements.length < 2) return elements;
  if (elements.every((e) => e[0] === 'f')) return elements.sort();
  const decoded = elements.map((e) => ({ e, d: decode(e) }));
  decoded.sort((x, y) => compareDecoded(x.d, y.d));
  decoded.forEach((x, i) => (elements[i] = x.e));
  return elements;
}
