// The process runtime's exec of a plain host process, with and without the launcher: the same exit
// code, output and timeout; and without the launcher, a spawn that fails for want of file
// descriptors rejects that exec instead of ending the agent.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXEC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'runtime', 'process', 'exec.js');

/** Runs `body` in a fresh Node process (the launcher choice is made once per process) and returns what it printed. */
function inChild(body: string, env: Record<string, string>, prefix = ''): { status: number | null; stdout: string; stderr: string } {
  const script = `
import { execSync } from ${JSON.stringify(EXEC)};
const target = { plain: true, mainPid: process.pid, pidNamespace: 'host', cgroupDirs: [],
  spec: { argv: [], env: [['PATH', '/usr/bin:/bin'], ['WHO', 'world']], workingDir: '/tmp', stopSignal: 'SIGTERM' } };
${body}`;
  const r = spawnSync('/bin/sh', ['-c', `${prefix}exec "$0" --input-type=module -e "$1"`, process.execPath, script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const launcher of ['default', 'none']) {
  describe(`exec of a plain process (launcher: ${launcher})`, () => {
    const env: Record<string, string> = launcher === 'none' ? { K8TS_LAUNCHER: 'none' } : {};

    test('exit code, stdout and stderr, environment and working directory; a timeout kills the group', () => {
      const r = inChild(
        `
const a = await execSync(target, ['sh', '-c', 'echo "hello $WHO from $(pwd)"; echo oops >&2; exit 7'], 10);
const b = await execSync(target, ['sh', '-c', 'sleep 30 & sleep 30'], 1);
console.log(JSON.stringify({ a: { code: a.exitCode, out: a.stdout.toString(), err: a.stderr.toString(), timedOut: a.timedOut }, b: { code: b.exitCode, timedOut: b.timedOut } }));`,
        env,
      );
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { a: Record<string, unknown>; b: Record<string, unknown> };
      assert.deepEqual(got.a, { code: 7, out: 'hello world from /tmp\n', err: 'oops\n', timedOut: false });
      assert.deepEqual(got.b, { code: 137, timedOut: true });
    });

    test('out of file descriptors: the exec fails, the process goes on', { skip: launcher === 'default' && 'the launcher needs no descriptor per exec' }, () => {
      // Fill the descriptor table, then exec: the spawn's pipes cannot be made.
      const r = inChild(
        `
import { openSync } from 'node:fs';
const held = [];
try { for (;;) held.push(openSync('/dev/null', 'r')); } catch {}
let outcome;
try { await execSync(target, ['true'], 5); outcome = 'ran'; } catch (err) { outcome = 'rejected: ' + err.code; }
console.log(outcome);`,
        env,
        'ulimit -n 64; ',
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout.trim(), /^rejected: E(MFILE|NFILE)$/);
    });
  });
}
