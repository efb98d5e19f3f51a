// Whether a k8ts runs on a data directory: a POSIX lock on its store as /proc/locks lists it, or a
// pid file naming a live process with the same start time; markRunning refuses a directory in use.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { lockHolder, markRunning, runningOn } from '../../src/cli/running.js';
import { tempDir } from '../helpers/cli.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

test('lockHolder: the pid of a POSIX lock on the file, matched by device and inode', (t) => {
  const dir = tempDir(t, 'k8ts-running-');
  const file = join(dir, 'store.db');
  writeFileSync(file, '');
  const st = statSync(file);
  const major = ((st.dev >> 8) & 0xfff).toString(16).padStart(2, '0');
  const minor = ((st.dev & 0xff) | ((st.dev >> 12) & 0xfff00)).toString(16).padStart(2, '0');
  const locks = [
    `1: FLOCK  ADVISORY  WRITE 111 ${major}:${minor}:${st.ino} 0 EOF`,
    `2: POSIX  ADVISORY  WRITE 222 ${major}:${minor}:${st.ino + 1} 0 EOF`,
    `3: POSIX  ADVISORY  WRITE 333 ${major}:${minor}:${st.ino} 1073741824 1073742335`,
    `3: -> POSIX  ADVISORY  WRITE 444 ${major}:${minor}:${st.ino} 1073741824 1073742335`,
  ].join('\n');
  assert.equal(lockHolder(file, locks), 333);
  assert.equal(lockHolder(file, locks.split('\n').slice(0, 2).join('\n')), undefined, 'a flock or another inode is not the lock');
  assert.equal(lockHolder(join(dir, 'missing.db'), locks), undefined);
});

test('a pid file counts while its process lives with the same start time', async (t) => {
  const dir = tempDir(t, 'k8ts-running-');
  assert.equal(runningOn(dir), undefined);
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((r) => child.once('spawn', r));
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  writeFileSync(join(dir, 'k8ts.pid'), `${child.pid} ${started}\n`);
  assert.equal(runningOn(dir), child.pid);
  assert.throws(() => markRunning(dir), { code: 'DataDirectoryInUse', message: `data directory ${dir} is in use by another process (pid ${child.pid}); only one k8ts may run on it at a time` });
  // The same pid with another start time is a reused pid.
  writeFileSync(join(dir, 'k8ts.pid'), `${child.pid} ${Number(started) + 1}\n`);
  assert.equal(runningOn(dir), undefined);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  writeFileSync(join(dir, 'k8ts.pid'), `${child.pid} ${started}\n`);
  assert.equal(runningOn(dir), undefined, 'a dead process does not hold it');
});

test('markRunning records this process and removes the record', (t) => {
  const dir = join(tempDir(t, 'k8ts-running-'), 'data');
  mkdirSync(dir);
  const remove = markRunning(dir);
  assert.equal(runningOn(dir), process.pid);
  assert.equal(markRunning(dir)(), undefined, 'this process may mark it again');
  assert.equal(existsSync(join(dir, 'k8ts.pid')), false);
  remove();
  assert.equal(runningOn(dir), undefined);
});

test('lockHolder finds the real lock of an open store: this process; none once it is closed', async (t) => {
  const dir = tempDir(t, 'k8ts-running-');
  const store = await openSqliteStore({ path: join(dir, 'store') });
  try {
    assert.equal(lockHolder(join(dir, 'store', 'store.db')), process.pid);
    assert.equal(runningOn(dir), process.pid);
  } finally {
    await store.close();
  }
  assert.equal(lockHolder(join(dir, 'store', 'store.db')), undefined);
});

test('markRunning replaces a stale record (its process gone) with its own', async (t) => {
  const dir = tempDir(t, 'k8ts-running-');
  const child = spawn('true', [], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  writeFileSync(join(dir, 'k8ts.pid'), `${child.pid} 1\n`);
  const remove = markRunning(dir);
  assert.match(readFileSync(join(dir, 'k8ts.pid'), 'utf8'), new RegExp(`^${process.pid} \\d+\\n$`));
  remove();
  assert.equal(existsSync(join(dir, 'k8ts.pid')), false);
});
