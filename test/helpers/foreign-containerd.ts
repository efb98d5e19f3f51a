// A containerd configured as a user might, nothing of it written by k8ts: its config, state and
// socket under a temporary directory, and a CNI conflist with a bridge and subnet unique to the run.
// Cleanup removes the sandboxes, containerd and its shims, mounts, state, the bridge, host-local's
// allocations and the bridge plugin's NAT rules, even when the test fails.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildPauseImage, ociArchive, type NamedImage } from '../../src/images/index.js';
import { CriClient } from '../../src/runtime/cri/client.js';
import { CriRuntime, findContainerd } from '../../src/runtime/cri/index.js';
import { killShims, unmountUnder } from '../../src/runtime/cri/host-objects.js';
import type { ContainerdLayout } from '../../src/runtime/cri/containerd-config.js';
import { run as hostCommand } from '../../src/network/pod-network/host-command.js';
import { proxyChains } from '../../src/network/proxy/index.js';
import { safeRemove } from '../../src/util/safe-remove.js';
import { deferCleanup } from './cli.js';
import { eventually, freePort } from './cluster.js';

const CNI_BIN_DIR = '/usr/lib/cni';
const SANDBOX_IMAGE = 'k8ts.test/foreign-pause:1';

export interface ForeignContainerd {
  socket: string;
  /** The addresses host-local has handed out and not yet released. */
  allocations(): string[];
  bridge: string;
  subnet: string;
  network: string;
  importImages(images: NamedImage[]): Promise<void>;
}

/** A containerd configured as a user might, nothing of it written by k8ts. */
export async function startForeignContainerd(t: { after(fn: () => unknown): unknown }): Promise<ForeignContainerd> {
  const run_ = randomBytes(3).toString('hex');
  const dir = mkdtempSync('/tmp/k8ts-foreign-cri-');
  const socket = join(dir, 'containerd.sock');
  const bridge = `kfc${run_}`;
  const network = `foreign-${run_}`;
  const subnet = `10.${251 + Math.floor(Math.random() * 4)}.${Math.floor(Math.random() * 256)}.0/24`;
  let child: ChildProcess | undefined;
  deferCleanup(t, async () => {
    const runtime = new CriRuntime({ endpoint: `unix://${socket}`, stateDir: join(dir, 'k8ts-runtime') });
    await runtime.removeAll().catch(() => undefined);
    await runtime.close();
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await killShims({ socket } as ContainerdLayout);
    await unmountUnder(dir);
    await removeCniNat(network);
    await hostCommand('ip', ['link', 'del', 'dev', bridge]).catch(() => undefined);
    await safeRemove(dir, { unmount: true });
  });
  for (const d of ['root', 'state', 'net.d', 'ipam', 'opt']) mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const q = JSON.stringify;
  writeFileSync(
    join(dir, 'config.toml'),
    [
      'version = 2',
      `root = ${q(join(dir, 'root'))}`,
      `state = ${q(join(dir, 'state'))}`,
      'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]',
      `[grpc]\n  address = ${q(socket)}`,
      `[ttrpc]\n  address = ${q(`${socket}.ttrpc`)}`,
      '[metrics]\n  address = ""',
      `[plugins."io.containerd.internal.v1.opt"]\n  path = ${q(join(dir, 'opt'))}`,
      `[${cri}]\n  sandbox_image = ${q(SANDBOX_IMAGE)}\n  restrict_oom_score_adj = true\n  stream_server_address = "127.0.0.1"\n  stream_server_port = ${q(String(await freePort()))}\n  enable_tls_streaming = false\n  disable_apparmor = true`,
      `[${cri}.containerd]\n  snapshotter = "overlayfs"\n  default_runtime_name = "runc"`,
      `[${cri}.containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"`,
      `[${cri}.containerd.runtimes.runc.options]\n  SystemdCgroup = false`,
      `[${cri}.cni]\n  bin_dir = ${q(CNI_BIN_DIR)}\n  conf_dir = ${q(join(dir, 'net.d'))}\n  max_conf_num = 1`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'net.d', '10-foreign.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: network,
      plugins: [{ type: 'bridge', bridge, isGateway: true, ipMasq: true, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'ipam') } }],
    }),
  );
  const log = openSync(join(dir, 'containerd.log'), 'a');
  try {
    child = spawn(findContainerd()!, ['--config', join(dir, 'config.toml'), '--log-level', 'warn'], { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  await eventually(async () => {
    if (child!.exitCode !== null) throw new Error(`containerd exited: ${readFileSync(join(dir, 'containerd.log'), 'utf8').slice(-2000)}`);
    const client = new CriClient(`unix://${socket}`);
    try {
      return await client.runtime('Version', { version: 'v1' }, { timeoutMs: 2000 }).then(() => true, () => false);
    } finally {
      client.close();
    }
  }, 30_000, 100, 'the test containerd answering');
  const importImages = async (images: NamedImage[]) => {
    const path = join(dir, `images-${randomBytes(3).toString('hex')}.tar`);
    writeFileSync(path, ociArchive(images));
    await hostCommand('ctr', ['--address', socket, '--namespace', 'k8s.io', 'images', 'import', '--no-unpack=false', path]);
  };
  await importImages([{ name: SANDBOX_IMAGE, image: buildPauseImage() }]);
  const allocations = () => (existsSync(join(dir, 'ipam', network)) ? readdirSync(join(dir, 'ipam', network)) : []).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  return { socket, bridge, subnet, network, importImages, allocations };
}

/** The bridge plugin's ipMasq rules and chains for this network (left when a sandbox was never torn down). */
export async function removeCniNat(network: string): Promise<void> {
  const text = await hostCommand('iptables-save', ['-t', 'nat']);
  const rules = text.split('\n').filter((l) => l.startsWith('-A POSTROUTING ') && l.includes(`name: \\"${network}\\"`));
  const chains = rules.map((l) => /-j (CNI-\S+)/.exec(l)?.[1]).filter((c): c is string => !!c);
  if (!rules.length) return;
  const restore = ['*nat', ...rules.map((r) => `-D ${r.slice(3)}`), ...chains.map((c) => `-F ${c}`), ...chains.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
  await hostCommand('iptables-restore', ['-w', '--noflush'], restore);
}

/** The service proxy's chains of a cluster that are on the host. */
export async function proxyChainsPresent(clusterId: string): Promise<string[]> {
  const c = proxyChains(clusterId);
  const text = await hostCommand('iptables-save', []);
  return text.split('\n').filter((l) => l.startsWith(':') && [c.services, c.fromPods, c.postrouting, c.rejectServices].includes(l.slice(1).split(' ')[0]!));
}
