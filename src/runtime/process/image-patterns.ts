// Image profile names with globs: `busybox:*`, `*/nginx:*`, `registry.local/**`. A pattern is
// normalized the way a reference is, then matched against normalized references:
//   `*` any characters but `/`, `**` any characters, `?` one character but `/`.
// Among the patterns matching a reference the most specific wins: the most literal characters,
// then the fewest wildcards, then the first by name (so that the choice never depends on file order).

const GLOB = /[*?]/;

export function isImagePattern(name: string): boolean {
  return GLOB.test(name);
}

/**
 * As references are normalized (`docker.io/` for names without a registry host, `library/` for
 * single names, `:latest` without a tag), except that a pattern starting with `**` may match any
 * registry, and a last path component with a wildcard gets no default tag (`registry.local/**`).
 */
export function normalizeImagePattern(pattern: string): string {
  const name = pattern.trim();
  if (!name || /\s/.test(name)) throw new Error(`invalid image name ${JSON.stringify(pattern)}`);
  if (/\*\*\*/.test(name)) throw new Error(`invalid image pattern ${JSON.stringify(pattern)}: use * or **`);
  const firstSlash = name.indexOf('/');
  const first = firstSlash < 0 ? '' : name.slice(0, firstSlash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('**');
  let full = hasRegistry ? name : `docker.io/${firstSlash < 0 ? 'library/' : ''}${name}`;
  const lastPart = full.slice(full.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !full.includes('@') && !isImagePattern(lastPart)) full += ':latest';
  return full;
}

export interface ImagePattern {
  /** The normalized pattern. */
  name: string;
  matches(reference: string): boolean;
  /** Literal characters, wildcards: what makes one pattern more specific than another. */
  literals: number;
  wildcards: number;
}

export function compileImagePattern(normalized: string): ImagePattern {
  let source = '';
  let literals = 0;
  let wildcards = 0;
  for (let i = 0; i < normalized.length; i++) {
    const c = normalized[i]!;
    if (c === '*' && normalized[i + 1] === '*') {
      source += '.*';
      wildcards++;
      i++;
    } else if (c === '*') {
      source += '[^/]*';
      wildcards++;
    } else if (c === '?') {
      source += '[^/]';
      wildcards++;
    } else {
      source += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
      literals++;
    }
  }
  const re = new RegExp(`^${source}$`);
  return { name: normalized, matches: (reference) => re.test(reference), literals, wildcards };
}

/** The most specific of the patterns matching `reference` (see the rules above), or undefined. */
export function bestImagePattern<T extends ImagePattern>(patterns: Iterable<T>, reference: string): T | undefined {
  let best: T | undefined;
  for (const p of patterns) {
    if (!p.matches(reference)) continue;
    if (!best || moreSpecific(p, best)) best = p;
  }
  return best;
}

function moreSpecific(a: ImagePattern, b: ImagePattern): boolean {
  if (a.literals !== b.literals) return a.literals > b.literals;
  if (a.wildcards !== b.wildcards) return a.wildcards < b.wildcards;
  return a.name < b.name;
}
