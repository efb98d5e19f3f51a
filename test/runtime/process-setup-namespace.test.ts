// A container's setup script mounts its filesystems and pivots only in a mount namespace of its own:
// started in the runtime's namespace (as if `unshare --mount` had been left out), it mounts nothing.
// The fstab here mounts a tmpfs on a temporary directory, and the new root does not exist, so that
// no run of the script can pivot (root only; skipped otherwise).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { firstLine, ownMountNamespace } from '../../src/runtime/process/launch.js';
import { SETUP_SCRIPT } from '../../src/runtime/process/scripts.js';
import { mountPointsUnder, safeRemoveSync } from '../../src/util/safe-remove.js';

const root = process.getuid?.() === 0 && existsSync('/proc/self/ns/mnt');

function setup(prefix: string[], dir: string): Promise<string | undefined> {
  const args = ['/bin/sh', '-c', SETUP_SCRIPT, 'k8ts-setup', join(dir, 'no-root'), join(dir, 'fstab'), '/', '', '/usr/bin:/bin', 'true', join(dir, 'exec'), ownMountNamespace()];
  const [file, ...rest] = [...prefix, ...args];
  const child = spawn(file!, rest, { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], cwd: dir });
  return firstLine(child.stdio[3] as Readable);
}

test('the setup script mounts nothing in the runtime\'s own mount namespace', { skip: !root && 'needs root' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-setup-ns-'));
  const target = join(dir, 'target');
  mkdirSync(target);
  t.after(() => safeRemoveSync(dir, { unmount: true }));
  writeFileSync(join(dir, 'fstab'), `k8ts-test ${target} tmpfs rw 0 0\n`);
  writeFileSync(join(dir, 'exec'), 'set -- /bin/true\n');
  const mounted = () => mountPointsUnder(target, readFileSync('/proc/self/mountinfo', 'utf8')).length > 0;

  const refused = await setup([], dir);
  assert.equal(mounted(), false, 'a tmpfs was mounted in the runtime\'s namespace');
  assert.match(refused ?? '', /^failed not in a mount namespace of its own/);

  // In a namespace of its own it goes on: it mounts there (not here) and stops at the missing root.
  const inOwn = await setup(['unshare', '--mount', '--propagation', 'private', '--'], dir);
  assert.match(inOwn ?? '', /^failed pivot_root .* failed$/);
  assert.equal(mounted(), false);
});
