// A containerd of our own under the data directory: config and CNI files written, the pod bridge
// created with its gateway address (so node-local services can bind to it before the first pod),
// the sandbox image imported, then containerd started and restarted if it dies. Stopping ends it;
// with `clean`, what it leaves on the host goes too: shims, mounts under its directories, the
// bridge, host-local allocations and its state.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gatewayOf, parseCidr } from '../../network/pod-network/cidr.js';
import { HOST_PATH, run } from '../../network/pod-network/host-command.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { CriClient } from './client.js';
import { PodCgroups } from './pod-cgroups.js';
import { ensureBridge, killShims, removeBridge, unmountUnder } from './host-objects.js';
import { cniConflist, containerdConfig, containerdLayout, criNames, plainHttpRegistry, type ContainerdLayout } from './containerd-config.js';
import { buildPauseImage, ociArchive, PAUSE_IMAGE } from '../../images/index.js';
import { safeRemove } from '../../util/safe-remove.js';

export { mountsUnder, removeContainerdLeftovers } from './host-objects.js';

/** The sandbox image's name in Kubernetes v1.33, built locally: no registry is needed. */
export const SANDBOX_IMAGE = PAUSE_IMAGE;
const BUSYBOX = '/bin/busybox';
const CNI_BIN_DIR = '/usr/lib/cni';

export interface ContainerdOptions {
  /** containerd's directory (config, root, state, socket, log). */
  dir: string;
  clusterId: string;
  podCIDR: string;
  /** Registries (host:port) reached over plain HTTP. */
  insecureRegistries?: string[];
  containerdBinary?: string;
  cniBinDir?: string;
  log?: Logger;
}

export interface ManagedContainerd {
  endpoint: string;
  layout: ContainerdLayout;
  bridge: string;
  gateway: string;
  cgroupRoot: string;
  sandboxImage: string;
  /** Times containerd was started so far (1 + restarts after it died). */
  readonly starts: number;
  /** The running containerd's process id. */
  readonly pid: number | undefined;
  /** Resolves once containerd answers again (after a restart). */
  ready(timeoutMs?: number): Promise<void>;
  /** Imports an OCI or docker archive into the CRI's image namespace. */
  importArchive(path: string): Promise<void>;
  /** Ends containerd; with `clean`, removes shims, mounts, bridge, CNI allocations and state. */
  stop(opts?: { clean?: boolean }): Promise<void>;
}

/** Where containerd is installed, or undefined. */
export function findContainerd(): string | undefined {
  return HOST_PATH.split(':').map((d) => join(d, 'containerd')).find((p) => existsSync(p));
}

export function containerdMissingReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the cri runtime starts containerd, which needs root';
  if (!findContainerd()) return 'containerd is not installed (apt-get install containerd runc containernetworking-plugins)';
  if (!existsSync(join(CNI_BIN_DIR, 'bridge'))) return `the CNI plugins are not installed in ${CNI_BIN_DIR} (apt-get install containernetworking-plugins)`;
  if (!existsSync(BUSYBOX)) return 'busybox-static is not installed (it makes the sandbox image)';
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startContainerd(opts: ContainerdOptions): Promise<ManagedContainerd> {
  const reason = containerdMissingReason();
  if (reason) throw new Error(reason);
  const log = opts.log ?? silentLogger;
  const layout = containerdLayout(opts.dir);
  const names = criNames(opts.clusterId);
  const subnet = parseCidr(opts.podCIDR);
  const gateway = gatewayOf(subnet);
  const binary = opts.containerdBinary ?? findContainerd()!;
  const cniBinDir = opts.cniBinDir ?? CNI_BIN_DIR;

  for (const d of [layout.base, layout.root, layout.state, layout.cniConfDir, layout.cniIpamDir, layout.registryConfigDir, layout.optDir]) {
    await mkdir(d, { recursive: true, mode: 0o700 });
  }
  for (const host of opts.insecureRegistries ?? []) {
    await mkdir(join(layout.registryConfigDir, host), { recursive: true });
    await writeFile(join(layout.registryConfigDir, host, 'hosts.toml'), plainHttpRegistry(host));
  }
  await writeFile(
    join(layout.cniConfDir, '10-k8ts.conflist'),
    cniConflist({ network: names.network, bridge: names.bridge, podCIDR: `${opts.podCIDR}`, gateway, ipamDir: layout.cniIpamDir }),
  );
  await ensureBridge(names.bridge, gateway, subnet.prefixLength);
  await run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']).catch(() => undefined);

  let current: Running | undefined;
  let stopping = false;
  let starts = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  const backoff = () => Math.min(30_000, 1000 * 2 ** Math.min(starts, 5));

  /** Tries again after `delay`, and keeps trying (with back-off) until a containerd runs and answers. */
  const restartAfter = (delay: number) => {
    if (stopping) return;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      const before = current;
      launch()
        .then(() => (stopping ? undefined : waitReady(layout.socket, 30_000)))
        .catch((err: Error) => {
          if (stopping) return;
          log.error('containerd did not restart', { error: err.message, log: layout.log });
          const launched = current !== before ? current : undefined;
          // Not even spawned: try again. Spawned but silent: kill it, and its exit brings the next try.
          if (!launched) restartAfter(backoff());
          else if (launched === current) launched.signal('SIGKILL');
        });
    }, delay);
  };

  /** Restarts containerd whenever the one we run or adopted ends while we are not stopping. */
  const supervise = (running: Running) => {
    current = running;
    const started = Date.now();
    void running.exited.then(() => {
      if (stopping || current !== running) return;
      const delay = Date.now() - started > 30_000 ? 1000 : backoff();
      log.warn('containerd exited; restarting', { restartInMs: delay, log: layout.log });
      restartAfter(delay);
    });
  };

  const launch = async () => {
    // A fresh stream server port each start: the previous may have been taken meanwhile.
    const streamPort = await freePort();
    await writeFile(layout.config, containerdConfig({ layout, sandboxImage: SANDBOX_IMAGE, streamPort, cniBinDir }));
    if (stopping) return;
    const out = openSync(layout.log, 'a');
    let child: ChildProcess;
    try {
      // Detached: a k8ts killed outright leaves containerd (and the pods) running, to be adopted.
      child = spawn(binary, ['--config', layout.config, '--log-level', 'warn'], {
        stdio: ['ignore', out, out],
        env: { PATH: HOST_PATH, HOME: layout.base },
        detached: true,
      });
    } finally {
      closeSync(out);
    }
    starts++;
    supervise(childProcess(child));
  };

  const stopProcess = async () => {
    stopping = true;
    if (restartTimer) clearTimeout(restartTimer);
    const running = current;
    if (!running || !running.alive()) return;
    running.signal('SIGTERM');
    const timer = setTimeout(() => running.signal('SIGKILL'), 10_000);
    await running.exited;
    clearTimeout(timer);
  };

  try {
    const orphan = await runningContainerd(layout);
    if (orphan !== undefined) {
      log.info('adopting the containerd a previous run left running', { pid: orphan });
      starts++;
      supervise(adoptedProcess(orphan));
    } else {
      await launch();
    }
    await waitReady(layout.socket, 30_000, () => (current?.alive() ? undefined : tail(layout.log)));
    await ensureSandboxImage(layout, binary);
  } catch (err) {
    await stopProcess();
    await removeBridge(names.bridge);
    throw err;
  }
  log.info('containerd started', { socket: layout.socket, log: layout.log });

  return {
    endpoint: `unix://${layout.socket}`,
    layout,
    bridge: names.bridge,
    gateway,
    cgroupRoot: names.cgroupRoot,
    sandboxImage: SANDBOX_IMAGE,
    get starts() {
      return starts;
    },
    get pid() {
      return current?.alive() ? current.pid : undefined;
    },
    ready: (timeoutMs = 30_000) => waitReady(layout.socket, timeoutMs),
    importArchive: (path) => importArchive(layout, binary, path),
    async stop({ clean = false } = {}) {
      await stopProcess();
      if (!clean) return;
      await killShims(layout);
      const cgroups = new PodCgroups(names.cgroupRoot);
      if (await cgroups.killAll()) await new Promise((r) => setTimeout(r, 100));
      await cgroups.removeAll();
      await unmountUnder(layout.base);
      await removeBridge(names.bridge);
      await safeRemove(layout.cniIpamDir, { unmount: true });
      await safeRemove(layout.state, { unmount: true });
      await rm(`${layout.socket}.ttrpc`, { force: true });
      await rm(layout.socket, { force: true });
    },
  };
}

/** A containerd we started or adopted: its pid, whether it lives, its end. */
interface Running {
  pid: number | undefined;
  alive(): boolean;
  signal(signal: NodeJS.Signals): void;
  exited: Promise<void>;
}

function childProcess(child: ChildProcess): Running {
  // A spawn that fails (no binary, no permission) emits 'error' and never 'exit'.
  let failed = false;
  return {
    pid: child.pid,
    alive: () => !failed && child.exitCode === null && child.signalCode === null,
    signal: (signal) => void child.kill(signal),
    exited: new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => {
        failed = true;
        resolve();
      });
    }),
  };
}

/** A containerd that is not our child: its end is noticed by polling. */
function adoptedProcess(pid: number): Running {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
    } catch {
      return false;
    }
  };
  return {
    pid,
    alive,
    signal: (signal) => {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    },
    exited: new Promise((resolve) => {
      const timer = setInterval(() => {
        if (alive()) return;
        clearInterval(timer);
        resolve();
      }, 250);
      timer.unref();
    }),
  };
}

/** The pid of a containerd running with our config (left by a k8ts that was killed), if any. */
export async function runningContainerd(layout: ContainerdLayout): Promise<number | undefined> {
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (!argv[0]?.endsWith('containerd')) continue;
    if (argv[argv.indexOf('--config') + 1] === layout.config) return Number(entry);
  }
  return undefined;
}

async function waitReady(socket: string, timeoutMs: number, failure?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = failure?.();
    if (dead !== undefined) throw new Error(`containerd exited while starting: ${dead}`);
    if (existsSync(socket)) {
      const client = new CriClient(`unix://${socket}`);
      try {
        await client.runtime('Version', { version: 'v1' }, { timeoutMs: 2000 });
        return;
      } catch {
        // The CRI plugin registers a moment after the socket appears.
      } finally {
        client.close();
      }
    }
    if (Date.now() > deadline) throw new Error(`containerd did not answer on ${socket} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tail(path: string): string {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  return text.trim().split('\n').slice(-5).join('\n');
}

function ctr(layout: ContainerdLayout, binary: string, args: string[]): Promise<string> {
  const ctrBinary = join(binary, '..', 'ctr');
  return run(existsSync(ctrBinary) ? ctrBinary : 'ctr', ['--address', layout.socket, '--namespace', 'k8s.io', ...args]);
}

async function importArchive(layout: ContainerdLayout, binary: string, path: string): Promise<void> {
  await ctr(layout, binary, ['images', 'import', '--no-unpack=false', path]);
}

/** The sandbox image: a busybox shell waiting forever, built from the host's busybox-static. */
async function ensureSandboxImage(layout: ContainerdLayout, binary: string): Promise<void> {
  const client = new CriClient(`unix://${layout.socket}`);
  try {
    const present = await client.image('ImageStatus', { image: { image: SANDBOX_IMAGE } });
    if (present.image?.id) return;
  } finally {
    client.close();
  }
  const archive = ociArchive([{ name: SANDBOX_IMAGE, image: buildPauseImage(BUSYBOX) }]);
  const path = join(layout.base, 'pause.oci.tar');
  await writeFile(path, archive);
  try {
    await importArchive(layout, binary, path);
  } finally {
    await rm(path, { force: true });
  }
}

