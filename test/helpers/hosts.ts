// "Hosts" for multi-host tests on one machine: each host is a network namespace of its own,
// wired to a bridge in the root namespace by a veth pair, so that processes in different hosts
// talk over a real (virtual) link, each with its own address, routes and iptables.
//
//   const net = await createHosts(t, ['cp', 'node-a', 'node-b']);
//   net.gateway                 // the root namespace's address on the bridge (e.g. a control plane)
//   const a = net.host('node-a');
//   a.address                   // the host's address on the test subnet
//   await a.exec('ip', ['route'])                // → { code, stdout, stderr }
//   const p = a.spawn(process.execPath, [...])   // a ChildProcess running inside the host
//   await a.disconnect(); await a.reconnect();  // cut and restore the host's link (partitions)
//
// Layout: a bridge `kh<run>` in the root namespace holds `<prefix>.1/24` (the gateway); host i is
// the namespace `k8ts-h<run>-<i>` with `eth0` at `<prefix>.<10+i>/24`, loopback up and a default
// route via the gateway. Commands run through `ip netns exec` (so /sys/class/net is the host's), with
// the root namespace's mounts below /sys (cgroups) mounted again. `<run>` is random per call, and the /24 is picked from 100.64.0.0/10 so
// that it overlaps no route of the machine. Only the test's own namespaces and bridge are touched.
//
// Cleanup is registered with t.after before anything is created: processes started with spawn()
// get SIGTERM and, after a grace period (default 20 s, for agents that tear their pods down), SIGKILL;
// then the namespaces (with everything inside them: links, routes, iptables rules) and the bridge
// are deleted, also when the test failed half-way.

import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';

type After = { after(fn: () => unknown): unknown };

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestHost {
  readonly name: string;
  /** The network namespace (`ip netns` name). */
  readonly netns: string;
  /** The host's address on the test subnet. */
  readonly address: string;
  /** Runs a command inside the host (`ip netns exec`) and collects its output; never rejects on a non-zero exit. */
  exec(command: string, args: string[], options?: { stdin?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<ExecResult>;
  /**
   * Starts a command inside the host (stdout and stderr are pipes unless `options.stdio` says
   * otherwise: read them, or a chatty process blocks); it is stopped at cleanup if it still runs.
   */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Cuts the host's link (its veth goes down): nothing reaches it or leaves it. */
  disconnect(): Promise<void>;
  /** Restores the link cut by disconnect(). */
  reconnect(): Promise<void>;
}

export interface TestHosts {
  /** The root namespace's address on the bridge: each host's default gateway. */
  readonly gateway: string;
  /** The test subnet, e.g. `100.93.17.0/24`. */
  readonly subnet: string;
  readonly bridge: string;
  readonly hosts: TestHost[];
  /** The host of that name (throws for an unknown name). */
  host(name: string): TestHost;
}

export interface CreateHostsOptions {
  /** How long spawned processes get between SIGTERM and SIGKILL at cleanup (default 20 s). */
  stopGraceMs?: number;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function runCommand(command: string, args: string[], options: { stdin?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { env: { ...process.env, PATH: `${process.env.PATH ?? ''}:${PATH}`, ...options.env }, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    // A command that exits without reading its input must not fail the test with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin ?? '');
  });
}

async function must(command: string, args: string[], stdin?: string): Promise<string> {
  const r = await runCommand(command, args, stdin === undefined ? {} : { stdin });
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

/** Picks a /24 of 100.64.0.0/10 that no route or address of the machine overlaps. */
async function freeSubnet(): Promise<string> {
  const routes = await must('ip', ['-4', 'route', 'show', 'table', 'all']);
  const taken = routes
    .split('\n')
    .map((line) => /^(?:(?:local|broadcast|unicast|anycast|multicast)\s+)?(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ base: toNumber(m[1]!), prefix: m[2] ? Number(m[2]) : 32 }));
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = toNumber(`100.${64 + Math.floor(Math.random() * 64)}.${Math.floor(Math.random() * 256)}.0`);
    const clash = taken.some(({ base: b, prefix }) => {
      const p = Math.min(prefix, 24);
      const size = 2 ** (32 - p);
      return Math.floor(base / size) === Math.floor(b / size);
    });
    if (!clash) return `${fromNumber(base)}/24`;
  }
  throw new Error('no free /24 in 100.64.0.0/10 for test hosts');
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function fromNumber(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/**
 * `ip netns exec` mounts a fresh /sys for the namespace (so /sys/class/net shows its links), which
 * hides what was mounted below /sys (the cgroup hierarchies a node agent needs). This shell
 * prologue mounts them again, as the root namespace has them, before running the command.
 */
async function sysMountsPrologue(): Promise<string> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const lines: string[] = [];
  for (const line of info.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const mountPoint = before.split(' ')[4]!;
    if (!mountPoint.startsWith('/sys/')) continue;
    const [type, source, superOptions] = after.split(' ');
    const q = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;
    lines.push(`{ mkdir -p ${q(mountPoint)} 2>/dev/null; mount -t ${q(type!)} -o ${q(superOptions!)} ${q(source!)} ${q(mountPoint)} || echo "test host: cannot mount ${mountPoint}" >&2; }`);
  }
  return lines.join('\n');
}

function exitedOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Creates one host per name (at most 200), all on one new bridge; everything is removed on t.after. */
export async function createHosts(t: After, names: string[], options: CreateHostsOptions = {}): Promise<TestHosts> {
  if (names.length === 0 || names.length > 200 || new Set(names).size !== names.length) throw new Error('createHosts wants 1 to 200 distinct names');
  const run = randomBytes(4).toString('hex').slice(0, 7);
  const bridge = `kh${run}`;
  const namespaces: string[] = [];
  const veths: string[] = [];
  const children = new Set<ChildProcess>();
  let bridgeCreated = false;
  t.after(async () => {
    const running = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of running) c.kill('SIGTERM');
    await Promise.all(
      running.map(async (c) => {
        const timer = setTimeout(() => c.kill('SIGKILL'), options.stopGraceMs ?? 20_000);
        await exitedOf(c);
        clearTimeout(timer);
      }),
    );
    // Deleting the root end of a veth is synchronous (a namespace's links go away lazily).
    for (const veth of veths) await runCommand('ip', ['link', 'del', veth]);
    for (const ns of namespaces) await runCommand('ip', ['netns', 'del', ns]);
    if (bridgeCreated) await runCommand('ip', ['link', 'del', bridge]);
  });

  const subnet = await freeSubnet();
  const prefix = subnet.split('.').slice(0, 3).join('.');
  const gateway = `${prefix}.1`;
  bridgeCreated = true;
  await must('ip', ['-batch', '-'], [`link add name ${bridge} type bridge`, `addr add ${gateway}/24 dev ${bridge}`, `link set ${bridge} up`, ''].join('\n'));

  const prologue = await sysMountsPrologue();
  const hosts: TestHost[] = [];
  for (const [i, name] of names.entries()) {
    const netns = `k8ts-h${run}-${i}`;
    const veth = `${bridge}-${i}`;
    const address = `${prefix}.${10 + i}`;
    namespaces.push(netns);
    await must('ip', ['netns', 'add', netns]);
    veths.push(veth);
    await must('ip', ['-batch', '-'], [`link add ${veth} type veth peer name eth0 netns ${netns}`, `link set ${veth} master ${bridge}`, `link set ${veth} up`, ''].join('\n'));
    await must('ip', ['-n', netns, '-batch', '-'], ['link set lo up', `addr add ${address}/24 dev eth0`, 'link set eth0 up', `route add default via ${gateway} dev eth0`, ''].join('\n'));
    const inHost = (command: string, args: string[]) => ['netns', 'exec', netns, 'sh', '-c', `${prologue}\nexec "$@"`, 'test-host', command, ...args];
    hosts.push({
      name,
      netns,
      address,
      exec: (command, args, opts) => runCommand('ip', inHost(command, args), opts),
      spawn(command, args, opts = {}) {
        const child = spawn('ip', inHost(command, args), { stdio: ['ignore', 'pipe', 'pipe'], ...opts, env: { ...process.env, PATH: `${process.env.PATH ?? ''}:${PATH}`, ...opts.env } });
        children.add(child);
        child.once('exit', () => children.delete(child));
        return child;
      },
      disconnect: async () => void (await must('ip', ['link', 'set', veth, 'down'])),
      reconnect: async () => void (await must('ip', ['link', 'set', veth, 'up'])),
    });
  }
  return {
    gateway,
    subnet,
    bridge,
    hosts,
    host(name) {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`no test host ${name}`);
      return h;
    },
  };
}
