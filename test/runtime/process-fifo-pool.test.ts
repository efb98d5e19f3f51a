import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { FifoPool, stdioPaths } from '../../src/runtime/process/output.js';

test('the FIFO pool makes FIFOs in batches and moves them into containers\' directories', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'k8ts-fifo-pool-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const poolDir = join(root, 'pool');
  const pool = new FifoPool(poolDir, 4);
  const made: string[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = join(root, `c${i}`);
    execFileSync('mkdir', [dir]);
    await pool.create(stdioPaths(dir), i === 2);
    made.push(dir);
  }
  for (const [i, dir] of made.entries()) {
    for (const name of i === 2 ? ['stdout', 'stderr', 'stdin'] : ['stdout', 'stderr']) {
      const info = await stat(join(dir, name));
      assert.ok(info.isFIFO(), `${dir}/${name} is a FIFO`);
      assert.equal(info.mode & 0o777, 0o600);
    }
  }
  // 7 handed out from two batches of 4: one spare left, removed on close.
  assert.equal((await readdir(poolDir)).length, 1);
  await pool.close();
  assert.deepEqual(await readdir(poolDir), []);
});

test('the FIFO pool removes the spares of agents no longer running, not those of live ones', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'k8ts-fifo-pool-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  execFileSync('mkfifo', [join(root, `${2 ** 22 + 5}-dead-1`), join(root, `${process.pid}-live-1`)]);
  await new FifoPool(root).removeStale();
  assert.deepEqual(await readdir(root), [`${process.pid}-live-1`]);
});
