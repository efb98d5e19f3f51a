// Real etcd clusters for tests: Debian's `etcd` binary, one or three members on free loopback
// ports, each with its own data directory under one temporary directory.
//
//   const etcd = await startEtcd(t, { members: 3, tls: true });
//   etcd.endpoints            // client URLs of every member ('http://127.0.0.1:PORT' or https)
//   etcd.tls                  // with tls: { caFile, certFile, keyFile } of a client certificate
//   etcd.members[i].kill()    // SIGKILL one member and wait until it is gone
//   etcd.members[i].restart() // start it again on its data directory and wait for its health
//   await etcd.leader()       // the member that is the Raft leader now
//   etcd.stop()               // kill every member and remove the directory (also done by t.after)
//
// `startEtcd` resolves once every member answers /health (the member has a leader). Members log to
// `<dir>/<name>.log`; a member that does not come up fails the call with the end of its log.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { freePort } from './cluster.js';
import { deferCleanup } from './cli.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCertificate } from '../../src/apiserver/pki.js';

type After = { after(fn: () => unknown): unknown };

export interface EtcdTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  /** SIGKILLs the member and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts the member again on its data directory and waits until it is healthy. */
  restart(): Promise<void>;
}

export interface EtcdCluster {
  endpoints: string[];
  members: EtcdMember[];
  /** The client certificate files, for a cluster started with `tls: true`. */
  tls?: EtcdTlsFiles;
  dir: string;
  /** The member that is the Raft leader now (asked of the running members). */
  leader(): Promise<EtcdMember>;
  stop(): Promise<void>;
}

export interface StartEtcdOptions {
  members?: 1 | 3;
  tls?: boolean;
  /** More etcd flags for every member. */
  args?: string[];
}

/** Room for a value of MAX_VALUE_BYTES plus its key and the request around it. */
const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024 + 64 * 1024;

let runCounter = 0;

/** Members still running, killed when the test process exits without its cleanup having run. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export { freePort };

export async function startEtcd(t: After | null, options: StartEtcdOptions = {}): Promise<EtcdCluster> {
  const count = options.members ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-etcd-'));
  const run = `${process.pid}-${++runCounter}`;
  const scheme = options.tls ? 'https' : 'http';
  const processes = new Map<string, ChildProcess>();
  let stopped = false;

  const stop = async () => {
    stopped = true;
    await Promise.all([...processes.values()].map((p) => killProcess(p)));
    processes.clear();
    rmSync(dir, { recursive: true, force: true });
  };
  // Through deferCleanup: the k8ts servers started on this etcd afterwards stop before it does.
  if (t) deferCleanup(t, stop);

  try {
    let serverTls: { certFile: string; keyFile: string; caFile: string } | undefined;
    let clientTls: EtcdTlsFiles | undefined;
    if (options.tls) {
      const ca = await createCa('k8ts-test-etcd-ca');
      const server = await issueCertificate(ca, { commonName: 'etcd', hosts: ['127.0.0.1', 'localhost'], usage: 'server' });
      const client = await issueCertificate(ca, { commonName: 'k8ts-apiserver', usage: 'client' });
      const write = (name: string, text: string) => {
        const path = join(dir, name);
        writeFileSync(path, text, { mode: 0o600 });
        return path;
      };
      const caFile = write('ca.crt', ca.certPem);
      serverTls = { caFile, certFile: write('server.crt', server.certPem), keyFile: write('server.key', server.keyPem) };
      clientTls = { caFile, certFile: write('client.crt', client.certPem), keyFile: write('client.key', client.keyPem) };
    }

    const specs = [];
    for (let i = 0; i < count; i++) {
      specs.push({ name: `m${i}-${run}`, clientPort: await freePort(), peerPort: await freePort() });
    }
    const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');

    const members: EtcdMember[] = specs.map((spec) => {
      const clientUrl = `${scheme}://127.0.0.1:${spec.clientPort}`;
      const logFile = join(dir, `${spec.name}.log`);
      const args = [
        `--name=${spec.name}`,
        `--data-dir=${join(dir, spec.name)}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${spec.peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${spec.peerPort}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-token=k8ts-test-${run}`,
        '--initial-cluster-state=new',
        `--max-request-bytes=${MAX_REQUEST_BYTES}`,
        '--logger=zap',
        '--log-level=warn',
        ...(serverTls
          ? [`--cert-file=${serverTls.certFile}`, `--key-file=${serverTls.keyFile}`, `--trusted-ca-file=${serverTls.caFile}`, '--client-cert-auth']
          : []),
        ...(options.args ?? []),
      ];
      const launch = () => {
        const fd = openSync(logFile, 'a');
        try {
          const child = spawn('etcd', args, { stdio: ['ignore', fd, fd] });
          processes.set(spec.name, child);
          running.add(child);
          child.once('exit', () => running.delete(child));
          return child;
        } finally {
          closeSync(fd);
        }
      };
      const member: EtcdMember & { launch: () => ChildProcess; logFile: string } = {
        name: spec.name,
        clientUrl,
        logFile,
        launch,
        kill: async () => {
          const child = processes.get(spec.name);
          processes.delete(spec.name);
          if (child) await killProcess(child);
        },
        restart: async () => {
          if (stopped) throw new Error('the etcd cluster was stopped');
          await member.kill();
          const child = launch();
          await waitHealthy(clientUrl, child, logFile, clientTls);
        },
      };
      return member;
    });

    const launched = members.map((m) => (m as EtcdMember & { launch: () => ChildProcess }).launch());
    await Promise.all(
      members.map((m, i) => waitHealthy(m.clientUrl, launched[i]!, (m as EtcdMember & { logFile: string }).logFile, clientTls)),
    );
    const leader = async (): Promise<EtcdMember> => {
      for (const m of members) {
        if (!processes.has(m.name)) continue;
        try {
          const status = JSON.parse(await get(`${m.clientUrl}/v3/maintenance/status`, clientTls, '{}')) as { header: { member_id: string }; leader: string };
          if (status.leader && status.leader === status.header.member_id) return m;
        } catch {
          // not answering: ask the next one
        }
      }
      throw new Error('no etcd member says it is the leader');
    };
    return { endpoints: members.map((m) => m.clientUrl), members, ...(clientTls ? { tls: clientTls } : {}), dir, leader, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await gone;
}

async function waitHealthy(url: string, child: ChildProcess, logFile: string, tls: EtcdTlsFiles | undefined, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`etcd at ${url} exited (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`);
    }
    try {
      const body = await get(`${url}/health`, tls);
      if (/"health":\s*"true"/.test(body)) return;
      last = body;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${url} not healthy after ${timeoutMs} ms (${last}):\n${tail(logFile)}`);
}

/** GET `url`, or POST `body` to it. */
function get(url: string, tls: EtcdTlsFiles | undefined, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const method = body === undefined ? 'GET' : 'POST';
    const options = tls
      ? { method, ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), servername: '', timeout: 2000 }
      : { method, timeout: 2000 };
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
