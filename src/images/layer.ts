// A layer blob: the reproducible tar of its entries, gzip-compressed with a fixed header.

import { gzipSync } from 'node:zlib';
import { sha256Digest } from './digest.js';
import { withParents, type TarEntry } from './entries.js';
import { writeTar } from './tar.js';

export interface Layer {
  /** The gzip blob as stored and pushed. */
  blob: Buffer;
  /** sha256 of the blob. */
  digest: string;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids). */
  diffId: string;
  size: number;
}

/** gzip's header carries a time and the OS: both are fixed (0, and 255 "unknown") here. */
export function gzipReproducibly(data: Buffer): Buffer {
  const out = gzipSync(data, { level: 9 });
  out.writeUInt32LE(0, 4);
  out[9] = 255;
  return out;
}

export function buildLayer(entries: TarEntry[]): Layer {
  const tar = writeTar(withParents(entries));
  const blob = gzipReproducibly(tar);
  return { blob, digest: sha256Digest(blob), diffId: sha256Digest(tar), size: blob.length };
}
