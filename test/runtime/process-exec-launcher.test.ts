// The exec launcher (native/k8ts-launcher.c) as the process runtime's exec path uses it: exit codes,
// both output streams whole, the setup on fd 3, an environment and working directory of the
// request's alone, a session of its own, a kill that reaches the whole group, start failures, and
// the launcher gone once stopped.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Launcher, type LaunchRequest } from '../../src/runtime/process/launcher.js';

const BINARY = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'native', 'build', 'k8ts-launcher');
const missing = existsSync(BINARY) ? undefined : 'the launcher is not built (npm run build:shim)';

function sh(script: string, extra: Partial<LaunchRequest> = {}): LaunchRequest {
  return { file: '/bin/sh', args: ['-c', script], env: { PATH: '/usr/bin:/bin' }, cwd: '/', setup: Buffer.alloc(0), ...extra };
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

describe('exec launcher', { skip: missing }, () => {
  test('exit codes, stdout and stderr apart, the setup on fd 3, stdin at end of file', async (t) => {
    const launcher = new Launcher(BINARY);
    t.after(() => launcher.stop());
    const r = await launcher.launch(sh('echo out; echo err >&2; cat <&3; cat; exit 5', { setup: Buffer.from('from fd 3\n') })).result;
    assert.equal(r.exitCode, 5);
    assert.equal(r.stdout.toString(), 'out\nfrom fd 3\n');
    assert.equal(r.stderr.toString(), 'err\n');
    const killed = await launcher.launch(sh('kill -TERM $$')).result;
    assert.equal(killed.exitCode, 128 + 15);
  });

  test('output larger than a pipe arrives whole; concurrent commands keep theirs apart', async (t) => {
    const launcher = new Launcher(BINARY);
    t.after(() => launcher.stop());
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => launcher.launch(sh(`head -c ${300_000 + i} /dev/zero | tr '\\0' ${String.fromCharCode(97 + i)}; exit ${i}`)).result),
    );
    results.forEach((r, i) => {
      assert.equal(r.exitCode, i);
      assert.equal(r.stdout.length, 300_000 + i);
      assert.ok(r.stdout.every((b) => b === 97 + i), `command ${i} got another's output`);
    });
  });

  test('commands get default signal dispositions and an empty mask, as a spawn from Node gives them', async (t) => {
    const launcher = new Launcher(BINARY);
    t.after(() => launcher.stop());
    const r = await launcher.launch(sh('grep -E "^Sig(Ign|Blk):" /proc/self/status')).result;
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.stdout.toString().trim().split('\n').map((l) => l.split(/\s+/)), [['SigBlk:', '0000000000000000'], ['SigIgn:', '0000000000000000']]);
  });

  test('only the request environment, its working directory, a session of its own', async (t) => {
    const launcher = new Launcher(BINARY);
    t.after(() => launcher.stop());
    const r = await launcher.launch({
      file: 'env',
      args: [],
      env: { PATH: '/usr/bin:/bin', ONLY: 'this one' },
      cwd: '/tmp',
      setup: Buffer.alloc(0),
    }).result;
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.stdout.toString().trim().split('\n').sort(), ['ONLY=this one', 'PATH=/usr/bin:/bin']);
    const where = await launcher.launch(sh('pwd; echo $$; cut -d" " -f6 /proc/$$/stat', { cwd: '/tmp' })).result;
    const [cwd, pid, session] = where.stdout.toString().trim().split('\n');
    assert.equal(cwd, '/tmp');
    assert.equal(session, pid, 'the command leads a session of its own');
  });

  test('the end waits for whoever still holds the output; a kill reaches the whole group', async (t) => {
    const launcher = new Launcher(BINARY);
    t.after(() => launcher.stop());
    const late = await launcher.launch(sh('(sleep 0.2; echo late) & echo early')).result;
    assert.equal(late.stdout.toString(), 'early\nlate\n');

    const running = launcher.launch(sh('sleep 60 & echo $!; wait'));
    let background = 0;
    for (let i = 0; i < 100 && background === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      background = findSleep(launcher.pid!);
    }
    assert.ok(background > 0, 'the background sleep started');
    running.kill();
    const r = await running.result;
    assert.equal(r.exitCode, 128 + 9);
    assert.equal(alive(background), false, 'the background process was killed with its group');
    running.kill(); // after the end: nothing to kill, no error
  });

  test('a command that cannot start is an error; the launcher goes on', async (t) => {
    const launcher = new Launcher(BINARY);
    t.after(() => launcher.stop());
    await assert.rejects(launcher.launch({ file: '/nonexistent/k8ts-test', args: [], env: {}, cwd: '/', setup: Buffer.alloc(0) }).result, /exec \/nonexistent\/k8ts-test: No such file or directory/);
    await assert.rejects(launcher.launch(sh('true', { cwd: '/nonexistent-k8ts-dir' })).result, /chdir \/nonexistent-k8ts-dir: No such file or directory/);
    assert.equal((await launcher.launch(sh('exit 3')).result).exitCode, 3);
  });

  test('stopping ends the launcher, fails what was in flight and kills it', async () => {
    const launcher = new Launcher(BINARY);
    const running = launcher.launch(sh('sleep 60'));
    let sleeper = 0;
    for (let i = 0; i < 100 && sleeper === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      sleeper = findSleep(launcher.pid!);
    }
    assert.ok(sleeper > 0);
    const pid = launcher.pid!;
    launcher.stop();
    await assert.rejects(running.result, /stopped/);
    for (let i = 0; i < 100 && (alive(pid) || alive(sleeper)); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(pid), false, 'the launcher exited');
    assert.equal(alive(sleeper), false, 'its command was killed');
    assert.equal(launcher.pid, undefined);
    // A later command starts a new launcher.
    assert.equal((await launcher.launch(sh('exit 0')).result).exitCode, 0);
    launcher.stop();
  });
});

/** A `sleep 60` among the launcher's descendants, or 0. */
function findSleep(root: number): number {
  const procs = new Map<number, { ppid: number; cmd: string }>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number)) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      procs.set(entry, { ppid, cmd: readFileSync(`/proc/${entry}/cmdline`, 'utf8') });
    } catch {
      // gone
    }
  }
  const under = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 10; p = procs.get(p)?.ppid ?? 0, hops++) if (p === root) return true;
    return false;
  };
  for (const [pid, p] of procs) if (p.cmd === 'sleep\u000060\u0000' && under(pid)) return pid;
  return 0;
}

