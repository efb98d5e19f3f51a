// Recursive removal never deletes through a mount: a bind mount of a directory outside the tree
// (the way a host's /dev was once emptied through a directory that held a bind of it) is refused or
// unmounted, never descended into; nor is another filesystem, nor a symbolic link.
// The mounts are made on this test's own temporary directories only (root only; skipped otherwise).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountPointsUnder, safeRemove, safeRemoveSync, UnsafeRemovalError } from '../../src/util/safe-remove.js';
import { VolumeManager } from '../../src/kubelet/volumes/manager.js';
import { RecordStore } from '../../src/runtime/process/records.js';

const canMount = process.getuid?.() === 0 && existsSync('/proc/self/mountinfo') && (() => {
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const mountTest = canMount ? test : test.skip;

type After = { after(fn: () => unknown): unknown };

function scratch(t: After): string {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-safe-remove-'));
  t.after(() => safeRemoveSync(dir, { unmount: true }));
  return dir;
}

/** A directory standing in for the host's /dev: files that must survive. */
function victim(base: string): string {
  const dir = join(base, 'host-dev');
  mkdirSync(join(dir, 'pts'), { recursive: true });
  for (const name of ['null', 'zero', 'tty']) writeFileSync(join(dir, name), name);
  writeFileSync(join(dir, 'pts', '0'), 'pty');
  symlinkSync('/proc/self/fd', join(dir, 'fd'));
  return dir;
}

function victimIntact(dir: string): void {
  assert.deepEqual(readdirSync(dir).sort(), ['fd', 'null', 'pts', 'tty', 'zero']);
  assert.equal(readFileSync(join(dir, 'null'), 'utf8'), 'null');
  assert.equal(readFileSync(join(dir, 'pts', '0'), 'utf8'), 'pty');
}

function mount(t: After, args: string[], target: string): void {
  execFileSync('mount', [...args, target]);
  // Lazily, and on every path: a test that failed half-way leaves nothing mounted.
  t.after(() => {
    try {
      execFileSync('umount', ['-l', target], { stdio: 'ignore' });
    } catch {
      // already unmounted
    }
  });
}

function mounted(path: string): boolean {
  return mountPointsUnder(path, readFileSync('/proc/self/mountinfo', 'utf8')).includes(path);
}

test('removes files, directories and symbolic links, never following a link; a missing path is no error', async (t) => {
  const base = scratch(t);
  const outside = join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'keep'), 'x');
  const tree = join(base, 'tree');
  mkdirSync(join(tree, 'a', 'b'), { recursive: true });
  writeFileSync(join(tree, 'a', 'b', 'f'), 'f');
  symlinkSync(outside, join(tree, 'a', 'link'));
  symlinkSync('/dev', join(tree, 'dev'));
  await safeRemove(tree);
  assert.equal(existsSync(tree), false);
  assert.equal(readFileSync(join(outside, 'keep'), 'utf8'), 'x');
  await safeRemove(tree);
  await safeRemove(join(base, 'missing', 'deeper'));

  mkdirSync(join(tree, 'c'), { recursive: true });
  safeRemoveSync(tree);
  assert.equal(existsSync(tree), false);
  // A symbolic link given as the path is removed itself.
  symlinkSync(outside, join(base, 'link'));
  await safeRemove(join(base, 'link'));
  assert.equal(existsSync(join(base, 'link')), false);
  assert.equal(readFileSync(join(outside, 'keep'), 'utf8'), 'x');
});

test('the root directory is refused', async () => {
  await assert.rejects(safeRemove('/'), UnsafeRemovalError);
  assert.throws(() => safeRemoveSync('/'), UnsafeRemovalError);
  await assert.rejects(safeRemove('/tmp/..'), UnsafeRemovalError);
});

test('mount points under a directory, from mountinfo text (escapes decoded, deepest first, prefixes are not parents)', () => {
  const info = [
    '24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw',
    '54 27 0:6 / /tmp/x/dev rw,relatime - devtmpfs devtmpfs rw',
    '55 54 0:7 / /tmp/x/dev/pts rw,relatime - devpts devpts rw',
    '56 27 0:8 / /tmp/x\\040y rw - tmpfs tmpfs rw',
    '57 27 0:9 / /tmp/xy rw - tmpfs tmpfs rw',
  ].join('\n');
  assert.deepEqual(mountPointsUnder('/tmp/x', info), ['/tmp/x/dev/pts', '/tmp/x/dev']);
  assert.deepEqual(mountPointsUnder('/tmp/x/', info), ['/tmp/x/dev/pts', '/tmp/x/dev']);
  assert.deepEqual(mountPointsUnder('/tmp/x y', info), ['/tmp/x y']);
});

mountTest('a bind mount beneath the directory refuses the removal: nothing is deleted through it', async (t) => {
  const base = scratch(t);
  const host = victim(base);
  const tree = join(base, 'tree');
  mkdirSync(join(tree, 'rootfs', 'dev'), { recursive: true });
  writeFileSync(join(tree, 'fstab'), '');
  mount(t, ['--bind', host], join(tree, 'rootfs', 'dev'));
  const err = await safeRemove(tree).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof UnsafeRemovalError, String(err));
  assert.deepEqual(err.mounts, [join(tree, 'rootfs', 'dev')]);
  assert.throws(() => safeRemoveSync(tree), UnsafeRemovalError);
  victimIntact(host);
  // Refused before a single file went.
  assert.ok(existsSync(join(tree, 'fstab')));
});

mountTest('with unmount, what is mounted beneath goes first (recursive binds too), then the directory; the mounted files stay', async (t) => {
  const base = scratch(t);
  const host = victim(base);
  const ptsSource = join(base, 'pts-source');
  mkdirSync(ptsSource);
  writeFileSync(join(ptsSource, 'ptmx'), 'ptmx');
  const tree = join(base, 'tree');
  mkdirSync(join(tree, 'dev'), { recursive: true });
  mount(t, ['--bind', ptsSource], join(host, 'pts'));
  mount(t, ['--rbind', host], join(tree, 'dev'));
  await safeRemove(tree, { unmount: true });
  assert.equal(existsSync(tree), false);
  assert.equal(mounted(join(tree, 'dev')), false);
  execFileSync('umount', [join(host, 'pts')]);
  victimIntact(host);
  assert.equal(readFileSync(join(ptsSource, 'ptmx'), 'utf8'), 'ptmx');

  mkdirSync(join(tree, 'dev'), { recursive: true });
  mount(t, ['--bind', host], join(tree, 'dev'));
  safeRemoveSync(tree, { unmount: true });
  assert.equal(existsSync(tree), false);
  victimIntact(host);
});

mountTest('a mount the mount table does not show (made meanwhile) is never descended into: another filesystem is left alone and reported', async (t) => {
  const base = scratch(t);
  const tree = join(base, 'tree');
  mkdirSync(join(tree, 'layers'), { recursive: true });
  writeFileSync(join(tree, 'record.json'), '{}');
  mount(t, ['-t', 'tmpfs', 'k8ts-test'], join(tree, 'layers'));
  writeFileSync(join(tree, 'layers', 'keep'), 'kept');
  const err = await safeRemove(tree, { mountinfo: () => '' }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof UnsafeRemovalError, String(err));
  assert.deepEqual(err.mounts, [join(tree, 'layers')]);
  assert.equal(readFileSync(join(tree, 'layers', 'keep'), 'utf8'), 'kept');
  assert.equal(existsSync(join(tree, 'record.json')), false);
  assert.throws(() => safeRemoveSync(tree, { mountinfo: () => '' }), UnsafeRemovalError);
  assert.equal(readFileSync(join(tree, 'layers', 'keep'), 'utf8'), 'kept');
});

mountTest('the kubelet never removes a pod directory through a mount beneath it', async (t) => {
  const base = scratch(t);
  const host = victim(base);
  const volumes = new VolumeManager({
    rootDir: join(base, 'kubelet'),
    config: { getConfigMap: async () => undefined, getSecret: async () => undefined, listServices: async () => [] },
  });
  const podDir = volumes.podDir('pod-1');
  const leaked = join(podDir, 'volumes', 'kubernetes.io~empty-dir', 'data');
  mkdirSync(leaked, { recursive: true });
  mount(t, ['--bind', host], leaked);
  const tearDown = await volumes.tearDown('pod-1').then(() => undefined, (e: unknown) => e);
  victimIntact(host);
  assert.ok(tearDown instanceof UnsafeRemovalError, String(tearDown));
  await assert.rejects(volumes.removePodDir('pod-1'), UnsafeRemovalError);
  victimIntact(host);
  // A UID naming no pod directory of its own removes nothing.
  writeFileSync(join(base, 'kubelet', 'pods', 'other'), 'x');
  for (const uid of ['', '.', '..', '../..']) await volumes.removePodDir(uid);
  assert.ok(existsSync(join(base, 'kubelet', 'pods', 'other')));
  execFileSync('umount', [leaked]);
  await volumes.removePodDir('pod-1');
  assert.equal(existsSync(podDir), false);
});

mountTest('the process runtime unmounts what is left mounted under a sandbox or container directory before removing it', async (t) => {
  const base = scratch(t);
  const host = victim(base);
  const store = new RecordStore<{ id: string }>(join(base, 'sandboxes'), 'sandbox.json');
  await store.save({ id: 'sb' });
  const layers = join(store.dirOf('sb'), 'layers');
  mkdirSync(join(layers, 'c1', 'upper', 'dev'), { recursive: true });
  mount(t, ['-t', 'tmpfs', 'k8ts-layers'], layers);
  mkdirSync(join(layers, 'c1', 'rootfs', 'dev'), { recursive: true });
  mount(t, ['--rbind', host], join(layers, 'c1', 'rootfs', 'dev'));
  const err = await store.remove('sb').then(() => undefined, (e: unknown) => e);
  victimIntact(host);
  assert.equal(err, undefined);
  assert.equal(existsSync(store.dirOf('sb')), false);
});
