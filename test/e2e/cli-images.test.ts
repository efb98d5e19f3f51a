// `k8ts images`: adding, listing and removing entries of the process runtime's image catalogue.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from '../helpers/cluster.js';

const k8ts = (args: string[]) => run(process.execPath, ['bin/k8ts.js', 'images', ...args]);

test('images add, ls and rm', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-images-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let r = await k8ts(['add', 'nginx', '--entrypoint', 'sh', '--cmd=-c', '--cmd', 'httpd -f -p 80', '--env', 'A=1', '--data-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'image docker.io/library/nginx:latest added\n');
  r = await k8ts(['ls', '--data-dir', dir]);
  assert.match(r.stdout, /^docker\.io\/library\/nginx:latest\s+\["sh","-c","httpd -f -p 80"\]$/m);
  r = await k8ts(['add', 'bad', '--env', 'NOEQUALS', '--data-dir', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^k8ts: --env NOEQUALS: use NAME=VALUE\n/);
  r = await k8ts(['rm', 'nginx', '--data-dir', dir]);
  assert.equal(r.stdout, 'image nginx removed\n');
  r = await k8ts(['rm', 'nginx', '--data-dir', dir]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'k8ts: image nginx is not in the catalogue\n');
});
