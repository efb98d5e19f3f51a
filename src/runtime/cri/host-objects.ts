// The host objects a containerd of ours creates or leaves behind, and their removal: the pod
// bridge, shims (which outlive containerd by design), mounts under its directories, and the
// processes of pods whose shim is gone.

import { readdir, readFile } from 'node:fs/promises';
import { run } from '../../network/pod-network/host-command.js';
import { containerdLayout, criNames, type ContainerdLayout } from './containerd-config.js';
import { PodCgroups } from './pod-cgroups.js';
import { safeRemove } from '../../util/safe-remove.js';

export async function ensureBridge(bridge: string, gateway: string, prefixLength: number): Promise<void> {
  const exists = await run('ip', ['link', 'show', 'dev', bridge]).then(() => true, () => false);
  if (!exists) await run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  const addrs = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge]);
  if (!addrs.includes(` ${gateway}/`)) await run('ip', ['addr', 'add', `${gateway}/${prefixLength}`, 'dev', bridge]);
  await run('ip', ['link', 'set', 'dev', bridge, 'up']);
}

/**
 * Removes what a containerd of ours left on the host when it could not be stopped cleanly (the
 * process that ran it died): its shims, mounts, the bridge, allocations and state. containerd
 * must not be running.
 */
export async function removeContainerdLeftovers(dir: string, clusterId: string): Promise<void> {
  const layout = containerdLayout(dir);
  const cgroups = new PodCgroups(criNames(clusterId).cgroupRoot);
  await killShims(layout);
  if (await cgroups.killAll()) await new Promise((r) => setTimeout(r, 100));
  await cgroups.removeAll();
  await unmountUnder(layout.base);
  await removeBridge(criNames(clusterId).bridge);
  await safeRemove(layout.cniIpamDir, { unmount: true });
  await safeRemove(layout.state, { unmount: true });
}

/** Shims started for this containerd (their command line names its socket) are ended. */
export async function killShims(layout: ContainerdLayout): Promise<void> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const argv = cmdline.split('\0');
    if (!argv[0]?.includes('containerd-shim')) continue;
    const address = argv[argv.indexOf('-address') + 1];
    if (address === layout.socket || argv.includes(layout.socket)) pids.push(Number(entry));
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (pids.length) await new Promise((r) => setTimeout(r, 100));
}

/** Mount points under `dir`, deepest first, lazily unmounted. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export async function unmountUnder(dir: string): Promise<void> {
  for (const point of await mountsUnder(dir)) await run('umount', ['-l', point]).catch(() => undefined);
}

export async function removeBridge(bridge: string): Promise<void> {
  await run('ip', ['link', 'del', 'dev', bridge]).catch(() => undefined);
}
