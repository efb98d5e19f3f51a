// `k8ts images import|ls` on the cri runtime: archives go into containerd's k8s.io namespace (what
// the CRI plugin serves); the listing comes from the CRI ImageService, as `crictl images` shows it.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readArchiveContents } from '../images/archive-read.js';
import { containerdLayout } from '../runtime/cri/containerd-config.js';

export interface CriTarget {
  /** `unix:///path/to/socket` of the CRI runtime. */
  endpoint: string;
  /** The containerd socket path, when the runtime is containerd (k8ts' own, or a given endpoint). */
  containerdSocket: string;
}

/** The containerd `k8ts up --runtime cri` runs for a data directory. */
export function ownContainerdSocket(dataDir: string): string {
  return containerdLayout(join(dataDir, 'containerd')).socket;
}

export function criTarget(dataDir: string, endpoint?: string): CriTarget {
  if (endpoint) {
    const socket = endpoint.replace(/^unix:\/\//, '');
    if (!socket.startsWith('/')) throw new Error(`unsupported CRI endpoint "${endpoint}": expected unix:///path/to/socket`);
    return { endpoint: `unix://${socket}`, containerdSocket: socket };
  }
  const socket = ownContainerdSocket(dataDir);
  if (!existsSync(socket)) {
    throw new Error(`no containerd is running for ${dataDir}: start the node with "k8ts up --runtime cri", or pass --cri-endpoint`);
  }
  return { endpoint: `unix://${socket}`, containerdSocket: socket };
}

function ctr(socket: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') reject(new Error('images import needs ctr (containerd\'s client), which is not installed'));
      else if (err) reject(new Error(stderr.trim().replace(/^ctr: /, '') || err.message));
      else resolve(stdout);
    });
  });
}

/** Imports a docker-archive or OCI archive; resolves with the names it brought. */
export async function importArchive(target: CriTarget, file: string): Promise<string[]> {
  if (!existsSync(file)) throw new Error(`open ${file}: no such file or directory`);
  const contents = await readArchiveContents(file);
  if (contents.names.length === 0) throw new Error(`${file} names no image (no io.containerd.image.name annotation or RepoTags): nothing would be tagged`);
  await ctr(target.containerdSocket, ['images', 'import', '--no-unpack=false', file]);
  return contents.names;
}

export interface ListedImage {
  repository: string;
  tag: string;
  id: string;
  size: number;
}

/** An image as the CRI ImageService lists it. */
export interface CriImage {
  id: string;
  repoTags?: string[];
  repoDigests?: string[];
  size?: number | string;
}

/** One row per name (an image with neither tags nor digests is one `<none>` row), sorted by name. */
export function imageRows(images: CriImage[]): ListedImage[] {
  const rows: ListedImage[] = [];
  for (const image of images) {
    const size = Number(image.size ?? 0);
    const tags = image.repoTags?.length ? image.repoTags : image.repoDigests?.length ? image.repoDigests.map((d) => `${d.slice(0, d.indexOf('@'))}:<none>`) : ['<none>:<none>'];
    for (const tag of tags) {
      const colon = tag.lastIndexOf(':');
      rows.push({ repository: tag.slice(0, colon), tag: tag.slice(colon + 1), id: image.id, size });
    }
  }
  return rows.sort((a, b) => (a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

export async function listCriImages(target: CriTarget): Promise<ListedImage[]> {
  const { CriClient } = await import('../runtime/cri/client.js');
  const client = new CriClient(target.endpoint);
  try {
    await client.waitForReady(5000);
    const res = await client.image('ListImages', {});
    return imageRows((res.images ?? []) as CriImage[]);
  } finally {
    client.close();
  }
}

/** Sizes as crictl prints them (decimal units, three significant digits: `1.05MB`). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${Number(value.toPrecision(3))}${units[i]}`;
}

export function formatImageTable(images: ListedImage[]): string[] {
  const rows = [['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], ...images.map((i) => [i.repository, i.tag, i.id.replace(/^sha256:/, '').slice(0, 13), humanSize(i.size)])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] + 3))).join('').trimEnd());
}
