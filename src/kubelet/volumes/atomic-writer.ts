// Writes a set of files into a volume directory so that readers never see a half-updated set:
// the files go into a fresh timestamped directory, `..data` is switched to it with one rename, and
// the visible names are symlinks through `..data` (the layout Kubernetes' AtomicWriter uses).

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, readlink, rename, rm, symlink, writeFile, chmod, lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface VolumeFile {
  content: Buffer;
  mode: number;
}

const DATA_LINK = '..data';

export async function writeAtomically(dir: string, files: ReadonlyMap<string, VolumeFile>): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  if (await unchanged(dir, files)) return false;

  const stamp = new Date().toISOString().replace(/[-:T]/g, '_').replace(/\..*$/, '');
  const versionDir = `..${stamp}.${randomBytes(4).toString('hex')}`;
  for (const [path, file] of files) {
    const target = join(dir, versionDir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    await chmod(target, file.mode);
  }
  const previous = await readlink(join(dir, DATA_LINK)).catch(() => undefined);
  const tmpLink = join(dir, `${DATA_LINK}_tmp`);
  await rm(tmpLink, { force: true });
  await symlink(versionDir, tmpLink);
  await rename(tmpLink, join(dir, DATA_LINK));

  const topLevel = new Set([...files.keys()].map((p) => p.split('/')[0]!));
  for (const name of topLevel) {
    const link = join(dir, name);
    const existing = await lstat(link).catch(() => undefined);
    if (existing?.isSymbolicLink()) continue;
    if (existing) await rm(link, { recursive: true, force: true });
    await symlink(join(DATA_LINK, name), link);
  }
  for (const name of await readdir(dir)) {
    if (name.startsWith('..') || topLevel.has(name)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
  }
  if (previous && previous !== versionDir) await rm(join(dir, previous), { recursive: true, force: true });
  return true;
}

async function unchanged(dir: string, files: ReadonlyMap<string, VolumeFile>): Promise<boolean> {
  const current = await readlink(join(dir, DATA_LINK)).catch(() => undefined);
  if (!current) return false;
  const existing = await listFiles(join(dir, current));
  if (existing.length !== files.size) return false;
  for (const [path, file] of files) {
    const content = await readFile(join(dir, current, path)).catch(() => undefined);
    if (!content || !content.equals(file.content)) return false;
    const stat = await lstat(join(dir, current, path));
    if ((stat.mode & 0o7777) !== file.mode) return false;
  }
  return true;
}

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true }).catch(() => [])) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(root, rel)));
    else out.push(rel);
  }
  return out;
}
