// Recursive removal that stays inside the tree it was given.
//
// Removing a directory recursively removes whatever is mounted beneath it too: a bind mount of a
// host directory (or of the host's /dev) left under a pod's, a container's or a test's directory
// has the host's own files deleted through it. Before removing, safeRemove reads this mount
// namespace's mount table: what is mounted at or beneath the path is unmounted when the caller owns
// those mounts (`unmount: true`, deepest first, lazily when busy), and if anything is still mounted
// there the removal is refused before a single file goes. While removing it never descends into a
// directory on another filesystem (as `rm --one-file-system`), which also covers another filesystem
// mounted meanwhile (a bind mount from the same filesystem shows only in the mount table read
// first), and never follows a symbolic link. Every recursive removal of runtime, kubelet and test
// directories goes through here.

import { execFile, execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, realpathSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import { lstat, readdir, readFile, realpath, rmdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MOUNTINFO = '/proc/self/mountinfo';

export class UnsafeRemovalError extends Error {
  constructor(
    readonly path: string,
    /** What is mounted at or beneath the path, or lies on another filesystem inside it. */
    readonly mounts: string[],
    reason: string,
  ) {
    super(`refusing to remove ${path}: ${reason}: ${mounts.join(', ')}`);
    this.name = 'UnsafeRemovalError';
  }
}

export interface SafeRemoveOptions {
  /**
   * Unmount what is mounted at or beneath the path before removing it (mounts the caller made
   * there). Without it, any such mount refuses the removal.
   */
  unmount?: boolean;
  /** The mount table to consult (tests); default this process's /proc/self/mountinfo. */
  mountinfo?: () => string;
}

/** Mount points at or beneath `dir` in a mountinfo text, deepest first. */
export function mountPointsUnder(dir: string, mountinfo: string): string[] {
  const base = dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
  const points = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const point = field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point === base || base === '/' || point.startsWith(`${base}/`)) points.add(point);
  }
  return [...points].sort((a, b) => b.length - a.length);
}

/** The paths a removal of `path` must check: as given (absolute) and with symlinks resolved. */
function candidates(path: string, real: string | undefined): string[] {
  return [...new Set([resolve(path), ...(real ? [real] : [])])];
}

function mountedBeneath(paths: string[], mountinfo: string): string[] {
  return [...new Set(paths.flatMap((p) => mountPointsUnder(p, mountinfo)))].sort((a, b) => b.length - a.length);
}

function refuseRoot(path: string, real: string | undefined): void {
  if (resolve(path) === '/' || real === '/') throw new UnsafeRemovalError(path, ['/'], 'it is the root directory');
}

function readMountinfoSync(): string {
  try {
    return readFileSync(MOUNTINFO, 'utf8');
  } catch {
    return '';
  }
}

async function readMountinfo(): Promise<string> {
  return readFile(MOUNTINFO, 'utf8').catch(() => '');
}

function umountAsync(args: string[]): Promise<boolean> {
  return new Promise((done) => execFile('umount', args, { env: { PATH: HOST_PATH, LC_ALL: 'C' } }, (err) => done(!err)));
}

function umountSync(args: string[]): boolean {
  try {
    execFileSync('umount', args, { env: { PATH: HOST_PATH, LC_ALL: 'C' }, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const isCode = (err: unknown, ...codes: string[]) => codes.includes((err as NodeJS.ErrnoException)?.code ?? '');

/**
 * Removes `path` and everything beneath it, like `rm -rf`, but never what is mounted beneath it:
 * throws UnsafeRemovalError (and removes nothing) when something is mounted at or beneath the path
 * (after unmounting it, with `unmount`), and leaves alone, then reports, what lies on another
 * filesystem. A missing path is no error; a symbolic link is removed, not followed.
 */
export async function safeRemove(path: string, opts: SafeRemoveOptions = {}): Promise<void> {
  const top = await lstat(path).catch((err) => {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  });
  if (!top) return;
  const real = top.isDirectory() ? await realpath(path).catch(() => undefined) : undefined;
  refuseRoot(path, real);
  if (top.isDirectory()) {
    const table = opts.mountinfo ? async () => opts.mountinfo!() : readMountinfo;
    const paths = candidates(path, real);
    let mounted = mountedBeneath(paths, await table());
    // Stacked mounts show one at a time: a few passes, each deepest first.
    for (let pass = 0; opts.unmount && mounted.length > 0 && pass < 8; pass++) {
      for (const point of mounted) if (!(await umountAsync([point]))) await umountAsync(['-l', point]);
      mounted = mountedBeneath(paths, await table());
    }
    if (mounted.length > 0) throw new UnsafeRemovalError(path, mounted, 'mounted at or beneath it');
  }
  const crossed: string[] = [];
  await removeTree(path, top, top.dev, crossed);
  if (crossed.length > 0) throw new UnsafeRemovalError(path, crossed, 'left on other filesystems (mount points)');
}

async function removeTree(path: string, st: Stats, dev: number, crossed: string[]): Promise<void> {
  if (!st.isDirectory()) {
    await unlink(path).catch((err) => {
      if (isCode(err, 'ENOENT')) return;
      // A file with something mounted on it.
      if (isCode(err, 'EBUSY')) return void crossed.push(path);
      throw err;
    });
    return;
  }
  if (st.dev !== dev) return void crossed.push(path);
  const names = await readdir(path).catch((err) => {
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  });
  if (!names) return;
  const before = crossed.length;
  for (const name of names) {
    const child = join(path, name);
    const cst = await lstat(child).catch((err) => {
      if (isCode(err, 'ENOENT')) return undefined;
      throw err;
    });
    if (cst) await removeTree(child, cst, dev, crossed);
  }
  if (crossed.length > before) return; // not empty: what it holds was left alone
  await rmdir(path).catch((err) => {
    if (isCode(err, 'ENOENT')) return;
    if (isCode(err, 'EBUSY')) return void crossed.push(path);
    throw err;
  });
}

/** safeRemove, synchronously (for exit handlers and test cleanups). */
export function safeRemoveSync(path: string, opts: SafeRemoveOptions = {}): void {
  let top: Stats;
  try {
    top = lstatSync(path);
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return;
    throw err;
  }
  let real: string | undefined;
  if (top.isDirectory()) {
    try {
      real = realpathSync(path);
    } catch {
      real = undefined;
    }
  }
  refuseRoot(path, real);
  if (top.isDirectory()) {
    const table = opts.mountinfo ?? readMountinfoSync;
    const paths = candidates(path, real);
    let mounted = mountedBeneath(paths, table());
    for (let pass = 0; opts.unmount && mounted.length > 0 && pass < 8; pass++) {
      for (const point of mounted) if (!umountSync([point])) umountSync(['-l', point]);
      mounted = mountedBeneath(paths, table());
    }
    if (mounted.length > 0) throw new UnsafeRemovalError(path, mounted, 'mounted at or beneath it');
  }
  const crossed: string[] = [];
  removeTreeSync(path, top, top.dev, crossed);
  if (crossed.length > 0) throw new UnsafeRemovalError(path, crossed, 'left on other filesystems (mount points)');
}

function removeTreeSync(path: string, st: Stats, dev: number, crossed: string[]): void {
  if (!st.isDirectory()) {
    try {
      unlinkSync(path);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return;
      if (isCode(err, 'EBUSY')) return void crossed.push(path);
      throw err;
    }
    return;
  }
  if (st.dev !== dev) return void crossed.push(path);
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return;
    throw err;
  }
  const before = crossed.length;
  for (const name of names) {
    const child = join(path, name);
    let cst: Stats;
    try {
      cst = lstatSync(child);
    } catch (err) {
      if (isCode(err, 'ENOENT')) continue;
      throw err;
    }
    removeTreeSync(child, cst, dev, crossed);
  }
  if (crossed.length > before) return;
  try {
    rmdirSync(path);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return;
    if (isCode(err, 'EBUSY')) return void crossed.push(path);
    throw err;
  }
}
