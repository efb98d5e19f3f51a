// Writes a set of files into a volume directory so that readers never see a half-updated set:
// the files go into a fresh timestamped directory, `..data` is switched to it with one rename, and
// the visible names are symlinks through `..data` (the layout Kubernetes' AtomicWriter uses).

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, readlink, rename, rm, symlink, writeFile, chmod, lstat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, join } from 'node:path';

export interface VolumeFile {
  content: Buffer;
  mode: number;
}

const DATA_LINK = '..data';

/**
 * What was last written to each volume directory (a digest of its files, not their contents: a few
 * bytes per volume of each pod) and the stat of each of its files and directories then, so that an
 * unchanged set costs a readlink and a few lstats instead of reading every file; a change on disk (a
 * file written, added or removed) changes a stat, and the files are compared.
 */
export type WrittenVolumes = Map<string, { version: string; digest: string; stamps: Map<string, string> }>;

export async function writeAtomically(dir: string, files: ReadonlyMap<string, VolumeFile>, written?: WrittenVolumes): Promise<boolean> {
  const last = written?.get(dir);
  const digest = digestOf(files);
  if (last && last.digest === digest && (await stillWritten(dir, last.version, last.stamps))) return false;
  written?.delete(dir);
  // A directory that did not exist holds nothing to compare, replace or clean up.
  const fresh = (await mkdir(dir, { recursive: true })) !== undefined;
  if (fresh) {
    const versionDir = newVersionDir();
    const stamps = await writeVersion(join(dir, versionDir), files);
    await symlink(versionDir, join(dir, DATA_LINK));
    for (const name of topLevelNames(files)) await symlink(join(DATA_LINK, name), join(dir, name));
    if (written) written.set(dir, { version: versionDir, digest, stamps });
    return true;
  }
  const current = await unchanged(dir, files);
  if (current !== undefined) {
    if (written) written.set(dir, { version: current, digest, stamps: await stampsOf(join(dir, current), files) });
    return false;
  }

  const versionDir = newVersionDir();
  const stamps = await writeVersion(join(dir, versionDir), files);
  const previous = await readlink(join(dir, DATA_LINK)).catch(() => undefined);
  const tmpLink = join(dir, `${DATA_LINK}_tmp`);
  await rm(tmpLink, { force: true });
  await symlink(versionDir, tmpLink);
  await rename(tmpLink, join(dir, DATA_LINK));

  const topLevel = topLevelNames(files);
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
  if (written) written.set(dir, { version: versionDir, digest, stamps });
  return true;
}

function newVersionDir(): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '_').replace(/\..*$/, '');
  return `..${stamp}.${randomBytes(4).toString('hex')}`;
}

function topLevelNames(files: ReadonlyMap<string, VolumeFile>): Set<string> {
  return new Set([...files.keys()].map((p) => p.split('/')[0]!));
}

/**
 * Writes the files into a new version directory and returns the stamps of its files and
 * directories. A file is created with its mode; only when the umask took bits away is it
 * changed again. Directories are stamped after every file is in place (each file changes its
 * directory's times).
 */
async function writeVersion(versionRoot: string, files: ReadonlyMap<string, VolumeFile>): Promise<Map<string, string>> {
  const dirs = new Set<string>(['']);
  for (const path of files.keys()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  await mkdir(versionRoot, { recursive: true });
  const made = new Set<string>([versionRoot]);
  const stamps = new Map<string, string>();
  for (const [path, file] of files) {
    const target = join(versionRoot, path);
    const parent = dirname(target);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true });
      made.add(parent);
    }
    await writeFile(target, file.content, { mode: file.mode });
    let s = await lstat(target);
    if ((s.mode & 0o7777) !== file.mode) {
      await chmod(target, file.mode);
      s = await lstat(target);
    }
    stamps.set(path, stampOf(s));
  }
  for (const path of dirs) stamps.set(path, stampOf(await lstat(join(versionRoot, path))));
  return stamps;
}

/** Stats of a version directory, its subdirectories and its files, by path ('' for the directory). */
async function stampsOf(versionDir: string, files: ReadonlyMap<string, VolumeFile>): Promise<Map<string, string>> {
  const paths = new Set<string>(['']);
  for (const path of files.keys()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) paths.add(parts.slice(0, i).join('/'));
    paths.add(path);
  }
  const stamps = new Map<string, string>();
  for (const path of paths) stamps.set(path, stampOf(await lstat(join(versionDir, path))));
  return stamps;
}

function stampOf(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.mode}`;
}

async function stillWritten(dir: string, version: string, stamps: Map<string, string>): Promise<boolean> {
  if ((await readlink(join(dir, DATA_LINK)).catch(() => undefined)) !== version) return false;
  for (const [path, stamp] of stamps) {
    const s = await lstat(join(dir, version, path)).catch(() => undefined);
    if (!s || stampOf(s) !== stamp) return false;
  }
  return true;
}

/** Forgets what was written under `prefix` (its directories are being removed). */
export function forgetWritten(written: WrittenVolumes, prefix: string): void {
  for (const dir of written.keys()) if (dir === prefix || dir.startsWith(`${prefix}/`)) written.delete(dir);
}

/** The same for the same paths, modes and contents, whatever their order. */
function digestOf(files: ReadonlyMap<string, VolumeFile>): string {
  const hash = createHash('sha256');
  for (const path of [...files.keys()].sort()) {
    const file = files.get(path)!;
    hash.update(`${path}\0${file.mode}\0${file.content.length}\0`);
    hash.update(file.content);
  }
  return hash.digest('base64');
}

/** The current version directory when it holds exactly these files, else undefined. */
async function unchanged(dir: string, files: ReadonlyMap<string, VolumeFile>): Promise<string | undefined> {
  const current = await readlink(join(dir, DATA_LINK)).catch(() => undefined);
  if (!current) return undefined;
  const existing = await listFiles(join(dir, current));
  if (existing.length !== files.size) return undefined;
  for (const [path, file] of files) {
    const content = await readFile(join(dir, current, path)).catch(() => undefined);
    if (!content || !content.equals(file.content)) return undefined;
    const stat = await lstat(join(dir, current, path));
    if ((stat.mode & 0o7777) !== file.mode) return undefined;
  }
  return current;
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
