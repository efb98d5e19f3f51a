// A container's root filesystem is prepared in its own writable layer only: an image layer whose
// /dev is a symbolic link (to a stand-in for the host's /dev here) is refused before any device
// file or mount point is made through it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareRootfs } from '../../src/runtime/process/rootfs.js';

test('an image layer whose /dev is a symbolic link is refused; nothing is made where it points', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'k8ts-rootfs-layers-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const hostDev = join(base, 'host-dev');
  mkdirSync(hostDev);
  const layer = join(base, 'layer');
  mkdirSync(join(layer, 'bin'), { recursive: true });
  writeFileSync(join(layer, 'bin', 'app'), '');
  symlinkSync(hostDev, join(layer, 'dev'));
  const sandbox = join(base, 'sandbox');
  mkdirSync(sandbox);
  const files = { resolvConf: join(sandbox, 'resolv.conf'), hosts: join(sandbox, 'hosts'), hostname: join(sandbox, 'hostname'), shm: join(sandbox, 'shm') };
  for (const f of [files.resolvConf, files.hosts, files.hostname]) writeFileSync(f, '');
  mkdirSync(files.shm);
  await assert.rejects(
    prepareRootfs({ layerDir: join(sandbox, 'layers', 'c1'), newRoot: join(base, 'rootfs') }, files, [], false, [layer]),
    /the image's \/dev is not a directory/,
  );
  assert.deepEqual(readdirSync(hostDev), []);
});
