// Starts the real `k8ts` program (bin/k8ts.js) as a child process, waits on what it prints, and
// always cleans up: the process is killed and its temporary directories removed even when a test
// fails half-way.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

import { ApiClient } from '../../src/client/client.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

/** bin/k8ts.js of this checkout (dist/test/helpers → the repository root). */
export const K8TS_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'k8ts.js');

type After = { after(fn: () => unknown): unknown };

const cleanupStacks = new WeakMap<object, (() => unknown)[]>();

/**
 * Runs `fn` at the end of the test, before whatever was registered through here earlier (last in,
 * first out, unlike t.after): a process started on a directory from tempDir stops before the
 * directory is removed. Every cleanup runs even when one fails; the first failure is rethrown.
 */
export function deferCleanup(t: After, fn: () => unknown): void {
  let stack = cleanupStacks.get(t);
  if (!stack) {
    const fns: (() => unknown)[] = [];
    cleanupStacks.set(t, fns);
    t.after(async () => {
      let failure: unknown;
      while (fns.length) {
        try {
          await fns.pop()!();
        } catch (err) {
          failure ??= err;
        }
      }
      if (failure !== undefined) throw failure;
    });
    stack = fns;
  }
  stack.push(fn);
}

export interface K8tsProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the match once `pattern` appears on stdout or stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node bin/k8ts.js ...args`. The process is SIGKILLed at the end of the test if still running. */
export function startK8ts(t: After, args: string[], env: Record<string, string> = {}): K8tsProcess {
  const child = spawn(process.execPath, [K8TS_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    notify();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    notify();
  });
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      ended = true;
      // Let the pipes drain so that the last lines are in stdout()/stderr().
      setImmediate(() => {
        resolve({ code, signal });
        notify();
      });
    });
  });
  deferCleanup(t, async () => {
    if (!ended) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern) ?? err.match(pattern);
          if (m) {
            done();
            resolve(m);
          } else if (ended) {
            done();
            reject(new Error(`k8ts exited before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        const done = () => {
          listeners.delete(check);
          clearTimeout(timer);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (!ended) child.kill(signal);
      return exited;
    },
  };
}

/** A running `k8ts server` and the address it printed. */
export interface K8tsServer extends K8tsProcess {
  server: string;
  port: number;
}

/** Starts `k8ts server --port 0 ...args` and waits until it prints where it runs. */
export async function startK8tsServer(t: After, args: string[], env: Record<string, string> = {}): Promise<K8tsServer> {
  const p = startK8ts(t, ['server', '--port', '0', ...args], env);
  const m = await p.waitFor(/^k8ts is running at (https:\/\/[^\s]+:(\d+))$/m);
  return Object.assign(p, { server: m[1]!, port: Number(m[2]) });
}

/** A temporary directory removed at the end of the test, after the processes started on it (deferCleanup). */
export function tempDir(t: After, prefix = 'k8ts-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  deferCleanup(t, () => safeRemoveSync(dir, { unmount: true }));
  return dir;
}

/** An admin client built from a kubeconfig that k8ts wrote (its `k8ts` context). */
export function clientFromKubeconfig(path: string, userAgent = 'k8ts-test'): ApiClient {
  const doc = parse(readFileSync(path, 'utf8')) as {
    clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const cluster = doc.clusters.find((c) => c.name === 'k8ts')!.cluster;
  const user = doc.users.find((u) => u.name === 'k8ts')!.user;
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  return new ApiClient({
    server: cluster.server,
    ca: b64(cluster['certificate-authority-data']),
    cert: b64(user['client-certificate-data']),
    key: b64(user['client-key-data']),
    userAgent,
  });
}

/**
 * An environment whose PATH also holds the directory of the real `kubectl` (the dispatcher), where
 * the side-by-side `kubectl.1.NN` binaries are installed, for shells that only link the dispatcher.
 */
export function kubectlVersionsEnv(): Record<string, string> {
  const path = process.env.PATH ?? '';
  for (const dir of path.split(':')) {
    const candidate = join(dir, 'kubectl');
    if (!existsSync(candidate)) continue;
    const real = dirname(realpathSync(candidate));
    return { PATH: path.split(':').includes(real) ? path : `${path}:${real}` };
  }
  return { PATH: path };
}
