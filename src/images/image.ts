// An OCI image from layers and a runtime config: config blob, manifest, and every blob by digest.

import { sha256Digest } from './digest.js';
import type { Layer } from './layer.js';
import { MediaType } from './media-types.js';

export interface ImageRuntimeConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  /** `80/tcp`, `53/udp`. */
  exposedPorts?: string[];
  stopSignal?: string;
  user?: string;
  labels?: Record<string, string>;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export interface OciImage {
  manifest: Descriptor;
  manifestJson: Buffer;
  config: Descriptor;
  configJson: Buffer;
  layers: Layer[];
  /** Every blob of the image (config, layers, manifest) by digest. */
  blobs: Map<string, Buffer>;
  platform: { architecture: string; os: string };
}

export interface BuildImageOptions {
  layers: Layer[];
  config?: ImageRuntimeConfig;
  architecture?: string;
  os?: string;
  /** The config's `created` time (default the epoch, for reproducibility). */
  created?: string;
}

/** Node's `process.arch` as OCI names architectures. */
export function ociArchitecture(arch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

export function buildImage(opts: BuildImageOptions): OciImage {
  const architecture = opts.architecture ?? ociArchitecture();
  const os = opts.os ?? 'linux';
  const c = opts.config ?? {};
  const runtimeConfig: Record<string, unknown> = {};
  if (c.user) runtimeConfig.User = c.user;
  if (c.exposedPorts?.length) runtimeConfig.ExposedPorts = Object.fromEntries([...c.exposedPorts].sort().map((p) => [p, {}]));
  runtimeConfig.Env = c.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  if (c.entrypoint) runtimeConfig.Entrypoint = c.entrypoint;
  if (c.cmd) runtimeConfig.Cmd = c.cmd;
  if (c.workingDir) runtimeConfig.WorkingDir = c.workingDir;
  if (c.labels && Object.keys(c.labels).length) runtimeConfig.Labels = sortKeys(c.labels);
  if (c.stopSignal) runtimeConfig.StopSignal = c.stopSignal;
  const configJson = Buffer.from(
    JSON.stringify({
      created: opts.created ?? '1970-01-01T00:00:00Z',
      architecture,
      os,
      config: runtimeConfig,
      rootfs: { type: 'layers', diff_ids: opts.layers.map((l) => l.diffId) },
      history: opts.layers.map(() => ({ created: opts.created ?? '1970-01-01T00:00:00Z', created_by: 'k8ts images' })),
    }),
  );
  const config: Descriptor = { mediaType: MediaType.ociConfig, digest: sha256Digest(configJson), size: configJson.length };
  const manifestJson = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers: opts.layers.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.size })),
    }),
  );
  const manifest: Descriptor = { mediaType: MediaType.ociManifest, digest: sha256Digest(manifestJson), size: manifestJson.length };
  const blobs = new Map<string, Buffer>();
  blobs.set(config.digest, configJson);
  for (const l of opts.layers) blobs.set(l.digest, l.blob);
  blobs.set(manifest.digest, manifestJson);
  return { manifest, manifestJson, config, configJson, layers: opts.layers, blobs, platform: { architecture, os } };
}

/** The total size of an image's blobs as a registry stores them (config + compressed layers). */
export function imageSize(image: OciImage): number {
  return image.config.size + image.layers.reduce((n, l) => n + l.size, 0);
}

function sortKeys(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
