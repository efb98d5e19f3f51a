// Image garbage collection as the kubelet's image GC manager does it: when the image filesystem is
// at least imageGCHighThresholdPercent full, remove unused images, least recently used first, until
// usage is back to imageGCLowThresholdPercent. Images used by any container (running or exited),
// pinned images, and images first seen less than the minimum age ago are never removed.

import { statfs } from 'node:fs/promises';
import type { ObjectReference } from '../api/types.js';
import type { ImageInfo, Runtime } from '../runtime/types.js';
import { normalizeImageName } from '../images/reference.js';
import type { Clock } from '../util/clock.js';
import type { EventRecorder } from './types.js';

export interface ImageGCPolicy {
  /** Usage at or above which collection runs (default 85; 100 disables it). */
  highThresholdPercent: number;
  /** Usage collection brings the filesystem down to (default 80). */
  lowThresholdPercent: number;
  /** Images first seen more recently than this are kept (default 2 minutes). */
  minAgeMs: number;
  /** Unused images older than this are removed whatever the usage (0: never; the default). */
  maxAgeMs: number;
}

export const DEFAULT_IMAGE_GC_POLICY: ImageGCPolicy = { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 2 * 60_000, maxAgeMs: 0 };

/** How often the kubelet runs image garbage collection. */
export const IMAGE_GC_PERIOD_MS = 5 * 60_000;

export interface ImageFsStats {
  capacityBytes: number;
  availableBytes: number;
}

export type ImageFsStatsSource = () => Promise<ImageFsStats>;

interface ImageRecord {
  firstDetected: number;
  lastUsed: number;
  size: number;
}

export class ImageGCPolicyError extends Error {}

export function validateImageGCPolicy(p: ImageGCPolicy): void {
  if (p.highThresholdPercent < 0 || p.highThresholdPercent > 100) throw new ImageGCPolicyError(`invalid HighThresholdPercent ${p.highThresholdPercent}, must be in range [0-100]`);
  if (p.lowThresholdPercent < 0 || p.lowThresholdPercent > 100) throw new ImageGCPolicyError(`invalid LowThresholdPercent ${p.lowThresholdPercent}, must be in range [0-100]`);
  if (p.lowThresholdPercent > p.highThresholdPercent) {
    throw new ImageGCPolicyError(`LowThresholdPercent ${p.lowThresholdPercent} can not be higher than HighThresholdPercent ${p.highThresholdPercent}`);
  }
}

export interface ImageGCOptions {
  runtime: Runtime;
  clock: Clock;
  recorder: EventRecorder;
  nodeName: string;
  stats: ImageFsStatsSource;
  policy?: Partial<ImageGCPolicy>;
  /** Images never removed (besides those the runtime reports pinned and the sandbox images). */
  pinnedImages?: string[];
}

/** Sandbox images: a runtime that does not report them pinned still needs them for every pod. */
const SANDBOX_REPOSITORIES = new Set(['registry.k8s.io/pause', 'k8s.gcr.io/pause']);

export class ImageGarbageCollector {
  private readonly policy: ImageGCPolicy;
  private readonly records = new Map<string, ImageRecord>();
  private readonly nodeRef: ObjectReference;

  constructor(private readonly opts: ImageGCOptions) {
    this.policy = { ...DEFAULT_IMAGE_GC_POLICY, ...opts.policy };
    validateImageGCPolicy(this.policy);
    this.nodeRef = { kind: 'Node', name: opts.nodeName, uid: opts.nodeName };
  }

  /** A container is about to use the image (its id). */
  markUsed(imageRef: string): void {
    const now = this.opts.clock.now();
    const record = this.records.get(imageRef);
    if (record) record.lastUsed = now;
    else this.records.set(imageRef, { firstDetected: now, lastUsed: now, size: 0 });
  }

  /** One collection: removes what the thresholds and ages ask; resolves with the bytes freed. */
  async garbageCollect(): Promise<number> {
    const now = this.opts.clock.now();
    const images = await this.detectImages(now);
    let freed = 0;
    if (this.policy.maxAgeMs > 0) freed += await this.freeOldImages(images, now);
    if (this.policy.highThresholdPercent >= 100) return freed;
    const { capacityBytes, availableBytes } = await this.opts.stats();
    if (capacityBytes <= 0) throw new Error(`invalid capacity ${capacityBytes} on image filesystem`);
    const usagePercent = 100 - Math.trunc((availableBytes * 100) / capacityBytes);
    if (usagePercent < this.policy.highThresholdPercent) return freed;
    const amountToFree = Math.trunc((capacityBytes * (100 - this.policy.lowThresholdPercent)) / 100) - availableBytes;
    const got = await this.freeSpace(amountToFree, images, now);
    freed += got;
    if (got < amountToFree) {
      const message = `Failed to garbage collect required amount of images. Attempted to free ${amountToFree} bytes, but only found ${got} bytes eligible to free.`;
      this.opts.recorder.event(this.nodeRef, 'Warning', 'FreeDiskSpaceFailed', message);
    }
    return freed;
  }

  /** The unused images (eligible by age or not), refreshing first-seen and last-used times. */
  private async detectImages(now: number): Promise<Map<string, ImageInfo>> {
    const [images, containers] = await Promise.all([this.opts.runtime.listImages(), this.opts.runtime.listContainers()]);
    const usedRefs = new Set<string>();
    const usedNames = new Set<string>();
    for (const c of containers) {
      if (c.imageRef) usedRefs.add(c.imageRef);
      if (c.image) usedNames.add(normalized(c.image));
    }
    const unused = new Map<string, ImageInfo>();
    const seen = new Set<string>();
    for (const image of images) {
      seen.add(image.id);
      let record = this.records.get(image.id);
      if (!record) this.records.set(image.id, (record = { firstDetected: now, lastUsed: 0, size: image.size }));
      record.size = image.size;
      const inUse = usedRefs.has(image.id) || image.repoTags.some((t) => usedNames.has(normalized(t))) || usedNames.has(image.id);
      if (inUse) record.lastUsed = now;
      else if (!this.isPinned(image)) unused.set(image.id, image);
    }
    for (const id of this.records.keys()) if (!seen.has(id)) this.records.delete(id);
    return unused;
  }

  private isPinned(image: ImageInfo & { pinned?: boolean }): boolean {
    if (image.pinned) return true;
    const pinned = new Set((this.opts.pinnedImages ?? []).map(normalized));
    return image.repoTags.some((t) => pinned.has(normalized(t)) || SANDBOX_REPOSITORIES.has(normalized(t).replace(/:[^:/]+$/, '')));
  }

  private async freeSpace(amount: number, unused: Map<string, ImageInfo>, now: number): Promise<number> {
    const candidates = [...unused.keys()]
      .map((id) => ({ id, ...this.records.get(id)! }))
      .sort((a, b) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected);
    let freed = 0;
    for (const c of candidates) {
      if (freed >= amount) break;
      if (c.lastUsed === now || now - c.firstDetected < this.policy.minAgeMs) continue;
      if (await this.remove(c.id)) freed += c.size;
    }
    return freed;
  }

  private async freeOldImages(unused: Map<string, ImageInfo>, now: number): Promise<number> {
    let freed = 0;
    for (const id of [...unused.keys()]) {
      const r = this.records.get(id)!;
      const since = Math.max(r.lastUsed, r.firstDetected);
      if (now - since <= this.policy.maxAgeMs) continue;
      if (await this.remove(id)) {
        freed += r.size;
        unused.delete(id);
      }
    }
    return freed;
  }

  private async remove(id: string): Promise<boolean> {
    try {
      await this.opts.runtime.removeImage(id);
      this.records.delete(id);
      return true;
    } catch {
      return false;
    }
  }
}

function normalized(name: string): string {
  try {
    return normalizeImageName(name);
  } catch {
    return name;
  }
}

/**
 * Where a runtime's image filesystem stats come from: the fake runtime's simulated filesystem, or
 * the CRI ImageFsInfo mount point measured with statfs. Undefined when the runtime has no image
 * filesystem (the process runtime), and image GC is off.
 */
export function imageFsStatsOf(runtime: Runtime): ImageFsStatsSource | undefined {
  const r = runtime as Runtime & {
    imageFsStats?: () => Promise<ImageFsStats>;
    imageFsInfo?: () => Promise<{ mountpoint: string }[]>;
  };
  if (typeof r.imageFsStats === 'function') return () => r.imageFsStats!();
  if (typeof r.imageFsInfo === 'function') {
    return async () => {
      const [fs] = await r.imageFsInfo!();
      if (!fs?.mountpoint) throw new Error('the runtime reports no image filesystem');
      const st = await statfs(fs.mountpoint);
      return { capacityBytes: st.blocks * st.bsize, availableBytes: st.bavail * st.bsize };
    };
  }
  return undefined;
}
