// The hashes workload controllers name things by: fnv over a canonical rendering, "safe-encoded" into
// the consonant-and-digit alphabet of k8s.io/apimachinery/pkg/util/rand (pod-template-hash, the
// suffix of ReplicaSet and ControllerRevision names).

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32 bits. */
export function fnv32a(bytes: Uint8Array, seed = FNV_OFFSET): number {
  let h = seed;
  for (const b of bytes) h = Math.imul(h ^ b, FNV_PRIME) >>> 0;
  return h >>> 0;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each byte mapped into an alphabet without vowels (no words) or 0/1/3. */
export function safeEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += ALPHANUMS[text.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** JSON as Go's encoding/json writes a map[string]interface{}: keys sorted, <, > and & escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = sortKeys(v);
  }
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/**
 * controller.ComputeHash: fnv32a over the pod template, then the collision count as eight
 * little-endian bytes when there is one. The template is rendered as canonical JSON (upstream
 * renders the Go struct with spew; the value differs, the properties — stable for equal templates,
 * changed by the collision count — are the same).
 */
export function computeTemplateHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(utf8(goJson(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncode(String(h));
}
