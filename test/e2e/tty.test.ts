// Terminals end to end on the process runtime: the real kubectl run inside a pseudo-terminal
// (node-pty) for `exec -it` (WebSocket v5, and SPDY with kubectl 1.29), `attach -it` to a container
// with `tty: true`, and `run -it --rm --restart=Never`; then client-node's Exec with a tty.
// Resizing kubectl's own terminal must reach `stty size` in the pod; `exit N` is kubectl's exit code.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { spawn as spawnPty, type IPty } from 'node-pty';
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import { testCluster, eventually, kubectlBinary, type TestCluster } from '../helpers/cluster.js';
import { randomPodCIDR } from './scenario-support.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

const unsupported = process.getuid?.() !== 0 ? 'the process runtime needs root' : undefined;

// The kubectl.1.NN binaries live beside the dispatcher.
process.env.PATH = `${dirname(realpathSync(execFileSync('sh', ['-c', 'command -v kubectl']).toString().trim()))}:${process.env.PATH}`;

/** kubectl in a terminal of its own: what it prints, keys to type, its exit. */
interface Session {
  pty: IPty;
  screen(): string;
  type(text: string): void;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number>;
}

describe('terminals through kubectl and client-node', { skip: unsupported }, () => {
  let k: TestCluster;
  let scratch: string;
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    k = await testCluster({ after: (fn) => cleanups.push(fn) }, { node: { runtime: 'process', podCIDR: randomPodCIDR() } });
    scratch = mkdtempSync(join(tmpdir(), 'k8ts-tty-'));
    cleanups.push(() => safeRemoveSync(scratch, { unmount: true }));
    writeFileSync(join(scratch, 'kubeconfig'), k.kubeconfig, { mode: 0o600 });
    await createPod('shell', { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] });
    await eventually(async () => (await podPhase('shell')) === 'Running', 60_000);
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  async function createPod(name: string, spec: Record<string, unknown>): Promise<void> {
    await k.client.request('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, ...spec } } });
  }

  async function podPhase(name: string): Promise<string | undefined> {
    const pod = await k.client.request<{ status?: { phase?: string } }>('GET', `/api/v1/namespaces/default/pods/${name}`).catch(() => undefined);
    return pod?.status?.phase;
  }

  function kubectlInTerminal(args: string[], opts: { version?: string; cols: number; rows: number }): Session {
    const pty = spawnPty(kubectlBinary(opts.version), ['--kubeconfig', join(scratch, 'kubeconfig'), '--cache-dir', join(scratch, `cache-${opts.version ?? 'default'}`), ...args], {
      cols: opts.cols,
      rows: opts.rows,
      env: { PATH: process.env.PATH ?? '', HOME: scratch, TERM: 'xterm' },
      cwd: scratch,
    });
    let text = '';
    const waiters = new Set<() => void>();
    pty.onData((d) => {
      text += d;
      for (const w of waiters) w();
    });
    const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
    cleanups.push(() => {
      try {
        pty.kill('SIGKILL');
      } catch {
        // already gone
      }
    });
    return {
      pty,
      exited,
      screen: () => text,
      type: (keys) => pty.write(keys),
      waitFor(pattern, timeoutMs = 30_000) {
        return new Promise((resolve, reject) => {
          const check = () => {
            if (!pattern.test(text)) return;
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`timed out waiting for ${pattern} in:\n${text}`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      },
    };
  }

  /** Types `stty size` until the expected size shows (a resize travels asynchronously to the pod). */
  async function expectSize(s: Session, rows: number, cols: number): Promise<void> {
    const marker = `${rows} ${cols}`;
    await eventually(async () => {
      s.type('stty size\r');
      await s.waitFor(new RegExp(`\\r\\n${marker}\\r\\n`), 1000).catch(() => undefined);
      return s.screen().includes(`\r\n${marker}\r\n`);
    }, 30_000, 10);
  }

  for (const { version, label } of [
    { version: undefined, label: 'the default kubectl (WebSocket v5)' },
    { version: '1.29', label: 'kubectl 1.29 (SPDY)' },
  ]) {
    test(`${label}: exec -it gets a terminal of kubectl's size, follows its resizes and exits with the shell's code`, async () => {
      const s = kubectlInTerminal(['exec', '-it', 'shell', '--', 'sh'], { ...(version ? { version } : {}), cols: 100, rows: 30 });
      await expectSize(s, 30, 100);
      s.pty.resize(132, 43);
      await expectSize(s, 43, 132);
      s.type('echo "err-$((40 + 2))" >&2\r');
      await s.waitFor(/err-42/);
      s.type('exit 3\r');
      assert.equal(await s.exited, 3);
    });
  }

  test('attach -it reaches a tty container; its output is in kubectl logs', async () => {
    await createPod('attached', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh'], stdin: true, stdinOnce: true, tty: true }] });
    await eventually(async () => (await podPhase('attached')) === 'Running', 60_000);
    const s = kubectlInTerminal(['attach', '-it', 'attached'], { cols: 90, rows: 25 });
    await expectSize(s, 25, 90);
    s.type('echo "attached-$((6 * 7))"; exit 0\r');
    await s.waitFor(/attached-42/);
    assert.equal(await s.exited, 0);
    await eventually(async () => (await podPhase('attached')) === 'Succeeded', 60_000);
    const logs = await k.kubectl(['logs', 'attached']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /attached-42/);
  });

  test('run -it --rm --restart=Never: a shell in a new pod, removed after it exits', async () => {
    const s = kubectlInTerminal(['run', 'oneoff', '-it', '--rm', '--restart=Never', '--image=busybox', '--', 'sh'], { cols: 80, rows: 24 });
    await expectSize(s, 24, 80);
    s.type('echo "ran-$((2 + 3))"; exit 0\r');
    await s.waitFor(/ran-5/);
    assert.equal(await s.exited, 0);
    assert.match(s.screen(), /pod "oneoff" deleted/);
    await eventually(async () => (await podPhase('oneoff')) === undefined, 60_000);
  });

  test('client-node Exec with tty: one output stream and the exit code in the status', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(k.kubeconfig);
    let out = '';
    let err = '';
    const stdout = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
    const stderr = new Writable({ write: (c: Buffer, _e, cb) => ((err += c.toString()), cb()) });
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc)
        .exec('default', 'shell', 'main', ['sh', '-c', 'echo out; echo err >&2; [ -t 1 ] && echo on-a-tty; exit 4'], stdout, stderr, new PassThrough(), true, resolve)
        .catch(reject);
    });
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details?.causes, [{ reason: 'ExitCode', message: '4' }]);
    assert.match(out, /out\r\nerr\r\non-a-tty\r\n/);
    assert.equal(err, '', 'with a tty there is no stderr stream');
  });
});
