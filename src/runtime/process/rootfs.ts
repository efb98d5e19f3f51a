// A container's root filesystem: an overlay whose lower layer is the host's root and whose upper
// (writable) layer is the container's own, on the sandbox's tmpfs, starting with a copy of the image's
// layers (if any), so that a container writes
// anywhere without touching the host, and its writes vanish with it. Mount points that the host
// lacks are created in the upper layer before the container starts (never on the host). The result
// is an fstab that one `mount --all` in the container's mount namespace applies.

import { cp, lstat, mkdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Mount } from '../types.js';

export interface SandboxFiles {
  resolvConf: string;
  hosts: string;
  hostname: string;
  /** The pod's /dev/shm, shared by its containers. */
  shm: string;
}

export interface RootfsLayout {
  /** The container's writable layer: `upper` and `work` are created inside (on a tmpfs). */
  layerDir: string;
  /** Where the merged root is mounted in the container's mount namespace. */
  newRoot: string;
}

const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
const DEV_LINKS: [string, string][] = [
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
  ['ptmx', 'pts/ptmx'],
];

interface FstabEntry {
  source: string;
  target: string;
  type: string;
  options: string;
}

/** Prepares the layer and returns the fstab for the container's mount namespace. */
export async function prepareRootfs(layout: RootfsLayout, files: SandboxFiles, mounts: Mount[], readonlyRootfs: boolean, imageLayers: string[] = []): Promise<string> {
  const upper = join(layout.layerDir, 'upper');
  const work = join(layout.layerDir, 'work');
  await mkdir(work, { recursive: true });
  // An image's layers cannot be overlay lower layers beside the host root: they lie inside it, and
  // overlayfs refuses overlapping layers (ELOOP). Their files are copied into the writable layer
  // instead, bottom first, so that a container sees them over the host's and a restarted container
  // starts from them again. Meant for the few files of a stand-in image: they are held in memory.
  for (const layer of [...imageLayers].reverse()) {
    await cp(layer, upper, { recursive: true, force: true, verbatimSymlinks: true, preserveTimestamps: true });
  }
  // The device files and mount points below are made through upper/dev: a /dev that a layer made a
  // symbolic link (to the host's /dev, say) would have them made on the host.
  const dev = await lstat(join(upper, 'dev')).catch(() => undefined);
  if (dev && !dev.isDirectory()) throw new Error('the image\'s /dev is not a directory');
  await mkdir(join(upper, 'dev', 'pts'), { recursive: true });
  await mkdir(join(upper, 'dev', 'shm'), { recursive: true });
  await mkdir(layout.newRoot, { recursive: true });
  for (const device of DEVICES) await writeFile(join(upper, 'dev', device), '');
  for (const [name, target] of DEV_LINKS) await symlink(target, join(upper, 'dev', name)).catch(ignoreExists);

  const root = layout.newRoot;
  const entries: FstabEntry[] = [
    { source: 'overlay', target: root, type: 'overlay', options: `${readonlyRootfs ? 'ro,' : ''}lowerdir=/,upperdir=${upper},workdir=${work}` },
    { source: 'proc', target: `${root}/proc`, type: 'proc', options: 'nosuid,nodev,noexec' },
    { source: 'sysfs', target: `${root}/sys`, type: 'sysfs', options: 'ro,nosuid,nodev,noexec' },
    { source: 'devpts', target: `${root}/dev/pts`, type: 'devpts', options: 'newinstance,ptmxmode=0666,mode=0620' },
    ...DEVICES.map((d) => bind(`/dev/${d}`, `${root}/dev/${d}`, false)),
    bind(files.shm, `${root}/dev/shm`, false),
  ];

  const resolver = new TargetResolver(upper, imageLayers);
  const sandboxMounts: Mount[] = [
    { hostPath: files.resolvConf, containerPath: '/etc/resolv.conf', readonly: false },
    { hostPath: files.hosts, containerPath: '/etc/hosts', readonly: false },
    { hostPath: files.hostname, containerPath: '/etc/hostname', readonly: false },
  ];
  const volumes = [...mounts].sort((a, b) => depth(a.containerPath) - depth(b.containerPath));
  for (const mount of [...sandboxMounts, ...volumes]) {
    const source = await stat(mount.hostPath).catch(async () => {
      // Like containerd, a missing host path is created as a directory.
      await mkdir(mount.hostPath, { recursive: true });
      return stat(mount.hostPath);
    });
    const target = await resolver.ensure(mount.containerPath, source.isDirectory());
    entries.push(bind(mount.hostPath, `${root}${target}`, mount.readonly));
    if (volumes.includes(mount)) resolver.addVolume(target, mount.hostPath);
  }
  return entries.map((e) => [e.source, e.target, e.type, e.options].map(escapeField).join(' ') + ' 0 0\n').join('');
}

function bind(source: string, target: string, readonly: boolean): FstabEntry {
  return { source, target, type: 'none', options: readonly ? 'rbind,ro' : 'rbind' };
}

let rootDev: Promise<number> | undefined;
function rootDevice(): Promise<number> {
  rootDev ??= stat('/').then((s) => s.dev);
  return rootDev;
}

function depth(path: string): number {
  return posix.normalize(path).split('/').filter(Boolean).length;
}

function escapeField(field: string): string {
  return field.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

function ignoreExists(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EEXIST') throw err;
}

/**
 * Resolves a container path as the container will see it (the host's root, symlinks followed inside
 * it, earlier volumes in place) and makes sure it exists, creating what is missing in the upper
 * layer, or inside a volume when the path lies in one (as runc does).
 */
class TargetResolver {
  private readonly volumes: { containerPath: string; hostPath: string }[] = [];

  /** `layers`: the image's layers, topmost first, over the host's root. */
  constructor(
    private readonly upper: string,
    private readonly layers: string[],
  ) {}

  addVolume(containerPath: string, hostPath: string): void {
    this.volumes.push({ containerPath, hostPath });
  }

  /** Returns the resolved container path of an existing (or just created) mount point. */
  async ensure(containerPath: string, directory: boolean): Promise<string> {
    const resolved = await this.resolve(posix.normalize(`/${containerPath}`));
    if (await this.find(resolved)) return resolved;
    const volumePath = this.inVolume(resolved);
    const created = volumePath ?? join(this.upper, resolved);
    if (await lstat(created).then(() => true, () => false)) return resolved;
    await mkdir(directory ? created : dirname(created), { recursive: true });
    if (!directory) await writeFile(created, '');
    return resolved;
  }

  /** The host path of a container path that lies in a volume. */
  private inVolume(containerPath: string): string | undefined {
    for (const volume of [...this.volumes].reverse()) {
      if (containerPath === volume.containerPath || containerPath.startsWith(`${volume.containerPath}/`)) {
        return join(volume.hostPath, containerPath.slice(volume.containerPath.length));
      }
    }
    return undefined;
  }

  /**
   * Where the container will find a path, as a host path: in a volume, else in the topmost image
   * layer that holds it, else in the host root's own filesystem; undefined when it does not exist.
   */
  private async find(containerPath: string): Promise<string | undefined> {
    const volumePath = this.inVolume(containerPath);
    if (volumePath !== undefined) return (await exists(volumePath)) ? volumePath : undefined;
    for (const layer of this.layers) {
      const path = join(layer, containerPath);
      if (await exists(path)) return path;
    }
    const info = await lstat(containerPath).catch(() => undefined);
    // Other host mounts (/dev, /proc, a tmpfs /run...) are not part of the lower layer.
    return info !== undefined && info.dev === (await rootDevice()) ? containerPath : undefined;
  }

  private async resolve(path: string, hops = 0): Promise<string> {
    const parts = path.split('/').filter(Boolean);
    let current = '/';
    for (let i = 0; i < parts.length; i++) {
      const next = posix.join(current, parts[i]);
      const host = await this.find(next);
      if (host === undefined) return posix.join(next, ...parts.slice(i + 1));
      const info = await lstat(host);
      if (info.isSymbolicLink() && hops < 40) {
        const link = await readlink(host);
        const target = link.startsWith('/') ? link : posix.join(current, link);
        return this.resolve(posix.join(target, ...parts.slice(i + 1)), hops + 1);
      }
      current = next;
    }
    return current;
  }
}

function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}
