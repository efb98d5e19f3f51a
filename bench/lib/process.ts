// Child processes for the benchmarks that must measure a whole program: free ports, the `k8ts`
// command, readiness over HTTPS with the admin credentials, and a clean stop.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository root (bench files run from dist/bench/...). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const K8TS_BIN = join(ROOT, 'bin', 'k8ts.js');

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface AdminCredentials {
  ca: string;
  cert: string;
  key: string;
}

/** The admin credentials of the kubeconfig `k8ts` writes into its data directory, once it is there. */
export function readKubeconfig(path: string): AdminCredentials | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const doc = parse(readFileSync(path, 'utf8')) as { clusters: { cluster: Record<string, string> }[]; users: { user: Record<string, string> }[] };
    const field = (s: string | undefined) => {
      if (!s) throw new Error('incomplete kubeconfig');
      return Buffer.from(s, 'base64').toString('utf8');
    };
    const cluster = doc.clusters[0]!.cluster;
    const user = doc.users[0]!.user;
    return { ca: field(cluster['certificate-authority-data']), cert: field(user['client-certificate-data']), key: field(user['client-key-data']) };
  } catch {
    return undefined;
  }
}

/** One authenticated GET of `path` with a fresh connection; resolves to the status code (0 when refused). */
export function probe(port: number, path: string, creds: AdminCredentials): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path, ca: creds.ca, cert: creds.cert, key: creds.key, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

/**
 * Polls every `intervalMs` until an authenticated GET /readyz answers 200, with the admin
 * credentials of the kubeconfig in the data directory (k8ts writes it atomically: read once).
 */
export async function waitReady(dataDir: string, port: number, child: ChildProcess, intervalMs = 5): Promise<void> {
  const kubeconfig = join(dataDir, 'kubeconfig');
  let creds: AdminCredentials | undefined;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`k8ts ended (${child.exitCode ?? child.signalCode}) before it was ready`);
    creds ??= readKubeconfig(kubeconfig);
    if (creds && (await probe(port, '/readyz', creds)) === 200) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `node bin/k8ts.js <args>` with its output collected (and shown only if it fails). */
export function spawnK8ts(args: string[]): ChildProcess & { output(): string } {
  const child = spawn(process.execPath, [K8TS_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
