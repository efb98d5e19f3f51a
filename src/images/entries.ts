// The files of an image layer: what the tar writer writes, built from host paths or given inline.

import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';

interface EntryBase {
  /** Relative path inside the layer, without a leading slash (`usr/bin/env`). */
  path: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

export type TarEntry =
  | (EntryBase & { type: 'file'; content: Buffer })
  | (EntryBase & { type: 'dir' })
  | (EntryBase & { type: 'symlink'; target: string });

/** Normalizes `/a/b/` to `a/b`; rejects paths that climb out of the layer. */
export function layerPath(path: string): string {
  const normal = posix.normalize(`/${path}`).slice(1).replace(/\/$/, '');
  if (normal === '' || path.split('/').includes('..')) throw new Error(`invalid layer path "${path}"`);
  return normal;
}

/** Adds the parent directories an entry list lacks (mode 0755), so that every file has its directory. */
export function withParents(entries: TarEntry[]): TarEntry[] {
  const byPath = new Map<string, TarEntry>();
  for (const e of entries) byPath.set(layerPath(e.path), { ...e, path: layerPath(e.path) });
  for (const path of [...byPath.keys()]) {
    for (let dir = posix.dirname(path); dir !== '.'; dir = posix.dirname(dir)) {
      if (!byPath.has(dir)) byPath.set(dir, { type: 'dir', path: dir });
    }
  }
  return [...byPath.values()];
}

/**
 * The files under a host directory as layer entries at `prefix` (default the layer's root), with
 * their permission bits, owned by root. Host ownership and times are dropped for reproducibility.
 */
export async function entriesFromDirectory(hostDir: string, prefix = ''): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  async function walk(rel: string): Promise<void> {
    for (const name of (await readdir(join(hostDir, rel))).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      const hostPath = join(hostDir, relPath);
      const st = await lstat(hostPath);
      const path = prefix ? `${prefix.replace(/^\/+|\/+$/g, '')}/${relPath}` : relPath;
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.push({ type: 'dir', path, mode });
        await walk(relPath);
      } else if (st.isSymbolicLink()) out.push({ type: 'symlink', path, target: await readlink(hostPath) });
      else if (st.isFile()) out.push({ type: 'file', path, mode, content: await readFile(hostPath) });
    }
  }
  await walk('');
  return out;
}
