// Test helpers that start the real program and always clean up: an in-process cluster on a
// temporary data directory and a free port, and the real kubectl pointed at it.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

import { startCluster, type Cluster, type ClusterOptions } from '../../src/cluster.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

export interface TestCluster extends Cluster {
  /** Runs kubectl (the dispatcher by default, or `kubectl.1.NN`) against the cluster. */
  kubectl(args: string[], options?: KubectlOptions): Promise<KubectlResult>;
}

export interface KubectlOptions {
  /** e.g. '1.27' to run kubectl.1.27 directly instead of the dispatcher. */
  version?: string;
  stdin?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectlBinary(version?: string): string {
  return version ? `kubectl.${version}` : 'kubectl';
}

export async function testCluster(t: { after(fn: () => unknown): unknown }, options: ClusterOptions = {}): Promise<TestCluster> {
  const cluster = await startCluster({ store: 'sqlite', ...options });
  const scratch = mkdtempSync(join(tmpdir(), 'k8ts-kubectl-'));
  t.after(async () => {
    await cluster.stop();
    safeRemoveSync(scratch, { unmount: true });
  });
  const kubeconfig = join(scratch, 'kubeconfig');
  writeFileSync(kubeconfig, cluster.kubeconfig, { mode: 0o600 });
  return Object.assign(cluster, {
    kubectl(args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
      // A fresh discovery cache per binary keeps versions from sharing cached documents.
      const cacheDir = join(scratch, `cache-${opts.version ?? 'default'}`);
      return run(kubectlBinary(opts.version), ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], opts);
    },
  });
}

export function run(command: string, args: string[], opts: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as unknown as { code: number }).code) : 1) : 0;
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
    if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
    else child.stdin?.end();
  });
}

/** Starts a long-running command (e.g. `kubectl get -w`) and collects its output until stopped. */
export function spawnCollect(command: string, args: string[], t: { after(fn: () => unknown): unknown }): { output(): string; child: ChildProcess; waitFor(pattern: RegExp, timeoutMs?: number): Promise<void> } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  t.after(() => {
    child.kill('SIGKILL');
  });
  return {
    child,
    output: () => out,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern} in:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/**
 * Polls `fn` until it returns a truthy value (generous deadline: for real processes, not timing).
 * `what` names the condition in the timeout error.
 */
export async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, intervalMs = 100, what?: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what ? `${what}: ` : ''}condition not met in ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A port that was free on 127.0.0.1 a moment ago (the kernel's choice for port 0), for programs
 * that cannot listen on port 0 and report the port themselves (etcd, a registry).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
