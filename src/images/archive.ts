// Writing built images where containerd and registries read them: an OCI image layout (directory
// or oci-archive tar) and a docker-archive tar (`docker save`'s manifest.json format).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex } from './digest.js';
import type { TarEntry } from './entries.js';
import type { Descriptor, OciImage } from './image.js';
import { ContainerdImageNameAnnotation, MediaType, OciRefNameAnnotation } from './media-types.js';
import { normalizeImageName, parseImageReference } from './reference.js';
import { writeTar } from './tar.js';

export interface NamedImage {
  /** The name the image is known by (`busybox:1.28`, `127.0.0.1:5000/app:v1`). */
  name: string;
  image: OciImage;
}

function layoutFiles(images: NamedImage[]): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  files.set('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  const manifests: Descriptor[] = [];
  for (const { name, image } of images) {
    const ref = parseImageReference(name);
    for (const [digest, blob] of image.blobs) files.set(`blobs/sha256/${digestHex(digest)}`, blob);
    manifests.push({
      ...image.manifest,
      annotations: {
        // containerd takes the full name from its own annotation; other tools from the tag.
        [ContainerdImageNameAnnotation]: normalizeImageName(name),
        [OciRefNameAnnotation]: ref.tag ?? 'latest',
      },
      platform: image.platform,
    });
  }
  files.set('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests })));
  return files;
}

/** Writes an OCI image layout directory (oci-layout, index.json, blobs/sha256/…). */
export async function writeOciLayout(dir: string, images: NamedImage[]): Promise<void> {
  for (const [path, content] of layoutFiles(images)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** The OCI image layout as one tar (what `ctr images import` and `skopeo oci-archive:` read). */
export function ociArchive(images: NamedImage[]): Buffer {
  return filesTar(layoutFiles(images));
}

/**
 * A docker-archive: manifest.json naming each image's config and layers, with the blobs stored
 * by digest (as `docker save` writes since Docker 25). Names are the familiar form (`busybox:1.28`).
 */
export function dockerArchive(images: NamedImage[]): Buffer {
  const files = new Map<string, Buffer>();
  const manifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { name, image } of images) {
    for (const [digest, blob] of image.blobs) if (digest !== image.manifest.digest) files.set(`blobs/sha256/${digestHex(digest)}`, blob);
    const ref = parseImageReference(name);
    if (ref.digest && !ref.tag) throw new Error(`docker-archive needs a tagged name, not ${name}`);
    const familiar = familiarName(name);
    const tag = ref.tag ?? 'latest';
    manifest.push({
      Config: `blobs/sha256/${digestHex(image.config.digest)}`,
      RepoTags: [`${familiar}:${tag}`],
      Layers: image.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
    });
    const top = image.layers.at(-1);
    if (top) (repositories[familiar] ??= {})[tag] = digestHex(top.digest);
  }
  files.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
  files.set('repositories', Buffer.from(JSON.stringify(repositories)));
  return filesTar(files);
}

/** `docker.io/library/busybox:1.28` → `busybox`; other registries keep their domain. */
export function familiarName(name: string): string {
  const ref = parseImageReference(name);
  if (ref.domain !== 'docker.io') return `${ref.domain}/${ref.path}`;
  return ref.path.startsWith('library/') && ref.path.split('/').length === 2 ? ref.path.slice('library/'.length) : ref.path;
}

function filesTar(files: Map<string, Buffer>): Buffer {
  const entries: TarEntry[] = [];
  const dirs = new Set<string>();
  for (const [path, content] of files) {
    entries.push({ type: 'file', path, content, mode: 0o644 });
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const d of dirs) entries.push({ type: 'dir', path: d });
  return writeTar(entries);
}
