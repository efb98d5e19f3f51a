// A reproducible tar writer (POSIX ustar): entries sorted by path, every header with the same
// mtime, uid, gid and no user or group names, so that the same files always give the same bytes.

import { TarEntry } from './entries.js';

const BLOCK = 512;
/** Every entry's modification time: the epoch, as reproducible-build tools use. */
export const FIXED_MTIME = 0;

export function writeTar(entries: TarEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].path === sorted[i - 1].path) throw new Error(`tar: duplicate entry ${sorted[i].path}`);
  }
  const parts: Buffer[] = [];
  for (const entry of sorted) {
    const data = entry.type === 'file' ? entry.content : Buffer.alloc(0);
    parts.push(header(entry, data.length));
    if (data.length > 0) {
      parts.push(data);
      const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function header(entry: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const name = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const [prefix, base] = splitName(name);
  writeString(h, 0, 100, base);
  writeOctal(h, 100, 8, entry.mode ?? defaultMode(entry));
  writeOctal(h, 108, 8, entry.uid ?? 0);
  writeOctal(h, 116, 8, entry.gid ?? 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, FIXED_MTIME);
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h[156] = entry.type === 'file' ? 0x30 : entry.type === 'dir' ? 0x35 : 0x32;
  if (entry.type === 'symlink') {
    if (Buffer.byteLength(entry.target) > 100) throw new Error(`tar: symlink target too long: ${entry.target}`);
    writeString(h, 157, 100, entry.target);
  }
  writeString(h, 257, 6, 'ustar');
  writeString(h, 263, 2, '00');
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

function defaultMode(entry: TarEntry): number {
  return entry.type === 'dir' ? 0o755 : entry.type === 'symlink' ? 0o777 : 0o644;
}

/** ustar keeps long names as prefix (155 bytes) + '/' + name (100 bytes). */
function splitName(path: string): [string, string] {
  if (Buffer.byteLength(path) <= 100) return ['', path];
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  for (let i = trimmed.lastIndexOf('/'); i > 0; i = trimmed.lastIndexOf('/', i - 1)) {
    const prefix = trimmed.slice(0, i);
    const base = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100) return [prefix, base];
  }
  throw new Error(`tar: path too long for ustar: ${path}`);
}

function writeString(h: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value);
  if (bytes.length > length) throw new Error(`tar: field too long: ${value}`);
  bytes.copy(h, offset);
}

function writeOctal(h: Buffer, offset: number, length: number, value: number): void {
  writeString(h, offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
}

/**
 * The size field of a tar header: octal digits (space or NUL padded), or GNU's base-256 form for
 * entries of 8 GiB and more (a docker-archive layer can be). Undefined when it is neither: a walk
 * that took it for a number would read garbage or step backwards forever.
 */
export function headerSize(h: Buffer): number | undefined {
  const field = h.subarray(124, 136);
  if (field[0]! & 0x80) {
    if (field[0] !== 0x80) return undefined; // negative, or too large to be a real entry
    let size = 0;
    for (const b of field.subarray(1)) size = size * 256 + b;
    return Number.isSafeInteger(size) ? size : undefined;
  }
  const text = readString(h, 124, 12).trim();
  if (!/^[0-7]*$/.test(text)) return undefined;
  return text === '' ? 0 : parseInt(text, 8);
}

/** Reads a tar written by any ustar/GNU writer into entries (for tests and archive import). */
export function readTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const h = tar.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    const size = headerSize(h);
    if (size === undefined || offset + BLOCK + size > tar.length) throw new Error(`tar: invalid size field in the header at offset ${offset}`);
    const typeflag = String.fromCharCode(h[156] || 0x30);
    const prefix = readString(h, 345, 155);
    let path = longName ?? (prefix ? `${prefix}/${readString(h, 0, 100)}` : readString(h, 0, 100));
    const data = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'L') {
      longName = readString(data, 0, data.length);
      continue;
    }
    longName = undefined;
    const mode = parseInt(readString(h, 100, 8).trim() || '0', 8);
    const uid = parseInt(readString(h, 108, 8).trim() || '0', 8);
    const gid = parseInt(readString(h, 116, 8).trim() || '0', 8);
    if (typeflag === '5') {
      path = path.replace(/\/$/, '');
      entries.push({ type: 'dir', path, mode, uid, gid });
    } else if (typeflag === '2') entries.push({ type: 'symlink', path, target: readString(h, 157, 100), mode, uid, gid });
    else if (typeflag === '0' || typeflag === '\0' || typeflag === '7') entries.push({ type: 'file', path, content: Buffer.from(data), mode, uid, gid });
    // other types (hard links, devices, pax headers) are not used by images built here
  }
  return entries;
}

function readString(b: Buffer, offset: number, length: number): string {
  const field = b.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString();
}
