// What an image archive holds, read from its tar headers without unpacking it: its format (OCI
// layout or docker-archive) and the names of its images.

import { open } from 'node:fs/promises';
import { normalizeImageName } from './reference.js';
import { ContainerdImageNameAnnotation, OciRefNameAnnotation } from './media-types.js';
import { headerSize } from './tar.js';

export type ArchiveFormat = 'oci-archive' | 'docker-archive';

export interface ArchiveContents {
  format: ArchiveFormat;
  /** Normalized names (`docker.io/library/busybox:1.28`); empty when the archive names none. */
  names: string[];
}

export class ArchiveFormatError extends Error {}

const BLOCK = 512;
const MAX_INDEX_BYTES = 16 * 1024 * 1024;

/** Reads the index.json or manifest.json of an archive file; throws ArchiveFormatError for anything else. */
export async function readArchiveContents(path: string): Promise<ArchiveContents> {
  const files = await readSmallFiles(path, new Set(['index.json', 'manifest.json', 'oci-layout']));
  const index = files.get('index.json');
  if (index && files.has('oci-layout')) {
    const parsed = parseJson(index, path, 'index.json') as { manifests?: { annotations?: Record<string, string> }[] };
    if (!Array.isArray(parsed.manifests)) throw new ArchiveFormatError(`${path}: index.json has no manifests`);
    const names = parsed.manifests.flatMap((m) => {
      // A bare tag in the OCI annotation names no repository; only a full reference counts.
      const refName = m.annotations?.[OciRefNameAnnotation];
      const full = m.annotations?.[ContainerdImageNameAnnotation] ?? (refName && /[/:]/.test(refName) ? refName : undefined);
      return full && isReference(full) ? [normalizeImageName(full)] : [];
    });
    return { format: 'oci-archive', names };
  }
  const manifest = files.get('manifest.json');
  if (manifest) {
    const parsed = parseJson(manifest, path, 'manifest.json');
    if (!Array.isArray(parsed)) throw new ArchiveFormatError(`${path}: manifest.json is not a docker-archive manifest list`);
    const names = (parsed as { RepoTags?: string[] }[]).flatMap((m) => (m.RepoTags ?? []).filter(isReference).map(normalizeImageName));
    return { format: 'docker-archive', names };
  }
  throw new ArchiveFormatError(`${path} is neither an OCI archive (oci-layout, index.json) nor a docker-archive (manifest.json)`);
}

function isReference(name: string): boolean {
  try {
    normalizeImageName(name);
    return true;
  } catch {
    return false;
  }
}

function parseJson(content: Buffer, path: string, file: string): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch (err) {
    throw new ArchiveFormatError(`${path}: ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The content of the named top-level files, walking only the tar headers. */
async function readSmallFiles(path: string, wanted: Set<string>): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const header = Buffer.alloc(BLOCK);
    let offset = 0;
    while (offset + BLOCK <= size) {
      await fh.read(header, 0, BLOCK, offset);
      if (header.every((b) => b === 0)) break;
      if (!validChecksum(header)) throw new ArchiveFormatError(`${path} is not a tar archive`);
      const name = cString(header, 0, 100).replace(/^\.\//, '');
      const prefix = cString(header, 345, 155);
      const full = prefix ? `${prefix}/${name}` : name;
      const length = headerSize(header);
      if (length === undefined || offset + BLOCK + length > size) throw new ArchiveFormatError(`${path} is not a tar archive: the entry ${JSON.stringify(full)} has an invalid size`);
      if (wanted.has(full) && length <= MAX_INDEX_BYTES) {
        const content = Buffer.alloc(length);
        await fh.read(content, 0, length, offset + BLOCK);
        found.set(full, content);
      }
      offset += BLOCK + Math.ceil(length / BLOCK) * BLOCK;
    }
    if (offset === 0) throw new ArchiveFormatError(`${path} is not a tar archive`);
  } finally {
    await fh.close();
  }
  return found;
}

function validChecksum(h: Buffer): boolean {
  const stored = parseInt(cString(h, 148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return stored === sum;
}

function cString(b: Buffer, offset: number, length: number): string {
  const field = b.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}
