// Images of the process runtime. A container's filesystem is the host's, so an "image" is its
// configuration (entrypoint, cmd, env, working directory) and, optionally, layers: host directories
// whose files lie over the host's root in the container (`/sample.war`, `/usr/bin/sh` → bash).
// Known images are JSON files in `<rootDir>/images/`
// (`{ "name": "liveness:1", "entrypoint": ["/server"], "layers": ["/opt/liveness"] }`); any other name
// is a host image, empty, whose containers run host commands (`busybox` with `sh -c`).
// A profile's name may be a glob (`busybox:*`, `registry.local/**`; see image-patterns.ts): an exact
// profile beats a glob, the most specific glob beats the others.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { ImageInfo } from '../types.js';
import { bestImagePattern, compileImagePattern, isImagePattern, normalizeImagePattern, type ImagePattern } from './image-patterns.js';

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  /** `NAME=value` entries, as in an OCI image config. */
  env?: string[];
  workingDir?: string;
  stopSignal?: NodeJS.Signals;
  /**
   * Absolute host directories laid over the host's root, topmost first, as an image's layers are:
   * a file in a layer hides the host's file at the same path; directories merge. A layer must
   * mirror the host's symlinks (`usr/bin/sh`, not `bin/sh`, where `/bin` links to `usr/bin`).
   * Their files are copied into each container's writable layer (in memory): keep them small.
   */
  layers?: string[];
}

/** Layers are host directories named by absolute paths. */
export function validateLayers(layers: string[] | undefined): void {
  for (const layer of layers ?? []) {
    if (typeof layer !== 'string' || !isAbsolute(layer)) throw new Error(`invalid image layer ${JSON.stringify(layer)}: must be an absolute path`);
  }
}

export interface ImageRecord extends ImageConfig {
  /** The normalized reference, e.g. `docker.io/library/busybox:1.28`, or a pattern (`docker.io/library/busybox:*`). */
  name: string;
  /** For an image resolved through a glob profile: that profile's name. */
  profile?: string;
}

/** A record without any configuration: what a pull of an image without a profile records. */
export function hasNoSettings(record: ImageRecord): boolean {
  return !record.entrypoint?.length && !record.cmd?.length && !record.env?.length && !record.workingDir && !record.stopSignal && !record.layers?.length;
}

/** Normalizes a profile name: a reference, or a pattern. */
export function normalizeProfileName(name: string): string {
  return isImagePattern(name) ? normalizeImagePattern(name) : normalizeImageName(name);
}

/** Normalizes like containerd: default registry `docker.io`, `library/` for single names, `:latest`. */
export function normalizeImageName(image: string): string {
  const name = image.trim();
  if (!name || /\s/.test(name)) throw new Error(`invalid image name ${JSON.stringify(image)}`);
  const firstSlash = name.indexOf('/');
  const first = firstSlash < 0 ? '' : name.slice(0, firstSlash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let full = hasRegistry ? name : `docker.io/${firstSlash < 0 ? 'library/' : ''}${name}`;
  const lastPart = full.slice(full.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !full.includes('@')) full += ':latest';
  return full;
}

/** A stable content address for an image record. */
export function imageRef(record: ImageRecord): string {
  const canonical = JSON.stringify([record.name, record.entrypoint ?? [], record.cmd ?? [], record.env ?? [], record.workingDir ?? '', ...(record.layers?.length ? [record.layers] : [])]);
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

export function imageInfo(record: ImageRecord): ImageInfo {
  return { id: imageRef(record), repoTags: [record.name], repoDigests: [], size: 0 };
}

type Entries = Map<string, { record: ImageRecord; file: string }>;

interface PatternEntry extends ImagePattern {
  record: ImageRecord;
}

export class ImageCatalog {
  private patterns: PatternEntry[] = [];

  private constructor(
    private readonly dir: string,
    private records: Entries,
  ) {
    this.index();
  }

  private index(): void {
    this.patterns = [...this.records.values()]
      .filter((e) => isImagePattern(e.record.name))
      .map((e) => ({ ...compileImagePattern(e.record.name), record: e.record }));
  }

  /** Loads `<dir>/*.json`; files that do not parse (or name invalid layers) are skipped. */
  static async load(dir: string): Promise<ImageCatalog> {
    return new ImageCatalog(dir, await readEntries(dir));
  }

  /**
   * Reads the directory again, so that images added by another process (`k8ts images add` while
   * the node runs) are seen by the next pull or container. The directory holds a few small files;
   * modification times (one-second granularity on some filesystems) would miss quick changes.
   */
  async refresh(): Promise<void> {
    this.records = await readEntries(this.dir);
    this.index();
  }

  /**
   * The profile standing for `image`: an exact profile with settings, else the most specific glob
   * matching it (the record then carries the image's own name and the glob as `profile`), else an
   * exact record without settings (a host image recorded by a pull).
   */
  get(image: string): ImageRecord | undefined {
    const name = normalizeImageName(image);
    const exact = this.records.get(name)?.record;
    if (exact && !hasNoSettings(exact)) return exact;
    const pattern = bestImagePattern(this.patterns, name);
    if (pattern) {
      const { name: profile, ...config } = pattern.record;
      return { ...config, name, profile };
    }
    return exact;
  }

  /** The images (patterns are profiles, not images). */
  list(): ImageRecord[] {
    return this.profiles().filter((r) => !isImagePattern(r.name));
  }

  /** Every profile, glob patterns included, by name. */
  profiles(): ImageRecord[] {
    return [...this.records.values()].map((r) => r.record).sort((a, b) => a.name.localeCompare(b.name));
  }

  async add(image: string, config: ImageConfig = {}): Promise<ImageRecord> {
    validateLayers(config.layers);
    await this.refresh();
    const record: ImageRecord = { name: normalizeProfileName(image), ...config };
    const file = this.records.get(record.name)?.file ?? join(this.dir, `${createHash('sha256').update(record.name).digest('hex').slice(0, 16)}.json`);
    await mkdir(this.dir, { recursive: true });
    await writeFile(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
    await rename(`${file}.tmp`, file);
    this.records.set(record.name, { record, file });
    this.index();
    return record;
  }

  async remove(image: string): Promise<boolean> {
    await this.refresh();
    const name = normalizeProfileName(image);
    const entry = this.records.get(name);
    if (!entry) return false;
    await rm(entry.file, { force: true });
    this.records.delete(name);
    this.index();
    return true;
  }
}

/** `k8ts images add|list|remove` over a runtime's root directory. */
export async function addImage(rootDir: string, image: string, config: ImageConfig = {}): Promise<ImageRecord> {
  return (await ImageCatalog.load(imagesDir(rootDir))).add(image, config);
}

/** Every profile of the catalogue, glob patterns included. */
export async function listImages(rootDir: string): Promise<ImageRecord[]> {
  return (await ImageCatalog.load(imagesDir(rootDir))).profiles();
}

export async function removeImage(rootDir: string, image: string): Promise<boolean> {
  return (await ImageCatalog.load(imagesDir(rootDir))).remove(image);
}

async function readEntries(dir: string): Promise<Entries> {
  const records: Entries = new Map();
  const files = await readdir(dir).catch(() => [] as string[]);
  for (const file of files.filter((f) => f.endsWith('.json')).sort()) {
    try {
      const parsed = JSON.parse(await readFile(join(dir, file), 'utf8')) as ImageRecord;
      if (typeof parsed.name !== 'string') continue;
      validateLayers(parsed.layers);
      const record = { ...parsed, name: normalizeProfileName(parsed.name) };
      records.set(record.name, { record, file: join(dir, file) });
    } catch {
      continue;
    }
  }
  return records;
}

export function imagesDir(rootDir: string): string {
  return join(rootDir, 'images');
}
