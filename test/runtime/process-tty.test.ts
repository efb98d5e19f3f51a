// Terminals on the process runtime: exec with a pty (stderr merged, sizes applied, exit codes), and
// containers with `tty: true` whose terminal is their stdio, reached by attach and logged as stdout.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { createProcessRuntime, type ProcessRuntime } from '../../src/runtime/process/index.js';
import type { ContainerConfig, TerminalSize } from '../../src/runtime/types.js';
import { containerConfig, sandboxConfig } from '../helpers/runtime-configs.js';
import { eventually } from '../helpers/cluster.js';
import { safeRemove } from '../../src/util/safe-remove.js';

const unsupported = process.getuid?.() !== 0 ? 'the process runtime needs root (namespaces, mounts)' : undefined;

/** Sizes the test hands out one at a time, as a client's resize stream would. */
class SizeQueue implements AsyncIterable<TerminalSize> {
  private readonly queued: TerminalSize[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  push(size: TerminalSize): void {
    this.queued.push(size);
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<TerminalSize> {
    for (;;) {
      const next = this.queued.shift();
      if (next) yield next;
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/** Collects what is written, and waits for a pattern in it. */
class Screen extends Writable {
  text = '';
  private readonly waiters = new Set<() => void>();
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    for (const w of this.waiters) w();
    cb();
  }
  waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pattern.test(this.text)) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${pattern} in ${JSON.stringify(this.text)}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

if (unsupported) {
  test('process runtime terminals', (t) => t.skip(unsupported));
} else {
  describe('process runtime terminals', () => {
    let seq = 0;
    async function openPod(t: { after(fn: () => unknown): unknown }) {
      const rootDir = await mkdtemp(join(tmpdir(), 'k8ts-process-tty-'));
      let opened: ProcessRuntime | undefined;
      t.after(async () => {
        await opened?.removeAll();
        await opened?.close();
        await safeRemove(rootDir, { unmount: true });
      });
      const runtime: ProcessRuntime = (opened = await createProcessRuntime({ rootDir, network: null }));
      const sandbox = sandboxConfig(`tty-${++seq}`, join(rootDir, 'logs'), { podUid: `tty-${process.pid}-${seq}`, hostNetwork: true });
      const sandboxId = await runtime.runPodSandbox(sandbox);
      const start = async (name: string, command: string[], overrides: Partial<ContainerConfig> = {}) => {
        const config = containerConfig(name, command, overrides);
        const id = await runtime.createContainer(sandboxId, config, sandbox);
        await runtime.startContainer(id);
        return id;
      };
      return { runtime, start };
    }

    test('exec -t: a terminal as stdin, stdout and stderr, the exit code of the command', async (t) => {
      const { runtime, start } = await openPod(t);
      const id = await start('main', ['sleep', '3600']);
      const screen = new Screen();
      const code = await runtime.exec(id, ['sh', '-c', 'echo to-stderr >&2; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-on-a-tty; exit 3'], { stdout: screen, tty: true });
      assert.equal(code, 3);
      assert.match(screen.text, /to-stderr\r\n/, 'stderr goes to the terminal (with its CRLF line ends)');
      assert.match(screen.text, /all-on-a-tty/);
    });

    test('exec -it: sizes from the client reach the terminal, input reaches the shell', async (t) => {
      const { runtime, start } = await openPod(t);
      const id = await start('main', ['sleep', '3600']);
      const screen = new Screen();
      const stdin = new PassThrough();
      const sizes = new SizeQueue();
      sizes.push({ width: 101, height: 31 });
      const exit = runtime.exec(id, ['sh'], { stdin, stdout: screen, tty: true, resize: sizes });
      stdin.write('stty size; echo "first-$?"\n');
      await screen.waitFor(/31 101\r\nfirst-0/);
      sizes.push({ width: 132, height: 43 });
      await settle();
      stdin.write('stty size; exit 7\n');
      assert.equal(await exit, 7);
      assert.match(screen.text, /43 132\r\n/);
      sizes.end();
    });

    test('exec -it: the client going away hangs the terminal up', async (t) => {
      const { runtime, start } = await openPod(t);
      const id = await start('main', ['sleep', '3600']);
      const screen = new Screen();
      const stdin = new PassThrough();
      const exit = runtime.exec(id, ['sh', '-c', 'echo ready; exec sleep 3600'], { stdin, stdout: screen, tty: true });
      await screen.waitFor(/ready/);
      stdin.end();
      assert.equal(await exit, 129, 'SIGHUP ends the command');
    });

    test('a tty container: attach reaches its shell, its output is logged as stdout, its exit code is kept', async (t) => {
      const { runtime, start } = await openPod(t);
      const id = await start('shell', ['sh'], { tty: true, stdin: true, stdinOnce: true });
      const screen = new Screen();
      const stdin = new PassThrough();
      const sizes = new SizeQueue();
      sizes.push({ width: 90, height: 20 });
      const attached = runtime.attach(id, { stdin, stdout: screen, tty: true, resize: sizes });
      stdin.write('stty size; echo "$((6 * 7))" >&2; exit 5\n');
      await attached;
      sizes.end();
      const status = await runtime.containerStatus(id);
      assert.equal(status.state, 'EXITED');
      assert.equal(status.exitCode, 5);
      assert.match(screen.text, /20 90\r\n/);
      assert.match(screen.text, /42\r\n/);
      const log = await readFile(status.logPath, 'utf8');
      assert.match(log, / stdout [FP] 42\r?\n/);
      assert.doesNotMatch(log, / stderr /, 'a terminal has one stream');
    });

    test('a tty container without attached clients still runs and logs', async (t) => {
      const { runtime, start } = await openPod(t);
      const id = await start('printer', ['sh', '-c', '[ -t 1 ] && echo on-a-terminal; exit 0'], { tty: true });
      const status = await eventually(async () => {
        const st = await runtime.containerStatus(id);
        return st.state === 'EXITED' ? st : undefined;
      }, 30_000, 50, 'the printer exited');
      assert.equal(status.exitCode, 0);
      assert.match(await readFile(status.logPath, 'utf8'), / stdout [FP] on-a-terminal/);
    });
  });
}
