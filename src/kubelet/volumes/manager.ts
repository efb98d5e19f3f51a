// Prepares a pod's volumes on the node: emptyDir directories under the pod directory, hostPath
// checks, and configMap / secret / downwardAPI / projected contents written atomically with their
// file modes. Errors carry the text Kubernetes puts into FailedMount events.

import { mkdir, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyToPath, Pod, Volume } from '../../api/types.js';
import { safeRemove } from '../../util/safe-remove.js';
import type { ConfigSource } from '../types.js';
import { containerResourceValue, podFieldValue, type PodAddresses } from '../downward.js';
import { forgetWritten, writeAtomically, type VolumeFile, type WrittenVolumes } from './atomic-writer.js';
import { TokenCache } from './token-cache.js';
import { realClock, type Clock } from '../../util/clock.js';

export class VolumeSetupError extends Error {
  constructor(
    readonly volumeName: string,
    readonly detail: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volumeName}" : ${detail}`);
  }
}

export interface VolumeManagerOptions {
  /** Pods' data live under `<rootDir>/pods/<uid>`. */
  rootDir: string;
  config: ConfigSource;
  tokenSource?(pod: Pod, audience?: string, expirationSeconds?: number): Promise<string>;
  /** When tokens are due for refresh; the real clock when not given. */
  clock?: Clock;
}

const DEFAULT_MODE = 0o644;

interface DownwardItem {
  path: string;
  fieldRef?: { fieldPath: string };
  resourceFieldRef?: { containerName?: string; resource: string; divisor?: string | number };
  mode?: number;
}

interface ProjectedSource {
  configMap?: { name?: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { name?: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardItem[] };
  serviceAccountToken?: { path: string; audience?: string; expirationSeconds?: number };
}

export class VolumeManager {
  private readonly tokens: TokenCache;
  private readonly written: WrittenVolumes = new Map();

  constructor(private readonly opts: VolumeManagerOptions) {
    this.tokens = new TokenCache(opts.clock ?? realClock);
  }

  podDir(podUid: string): string {
    return join(this.opts.rootDir, 'pods', podUid);
  }

  /** Sets up (or refreshes) every volume of the pod; returns the host path of each. */
  async setUp(pod: Pod, addresses: PodAddresses): Promise<Map<string, string>> {
    const paths = new Map<string, string>();
    for (const volume of pod.spec.volumes ?? []) {
      try {
        paths.set(volume.name, await this.setUpVolume(pod, volume, addresses));
      } catch (err) {
        if (err instanceof VolumeSetupError) throw err;
        throw new VolumeSetupError(volume.name, (err as Error).message);
      }
    }
    return paths;
  }

  /**
   * Removes the pod's volume contents (never hostPath data) once its containers are gone; refused
   * (UnsafeRemovalError) while anything is mounted beneath, as the kubelet's RemoveAllOneFilesystem.
   */
  async tearDown(podUid: string): Promise<void> {
    this.tokens.forget(podUid);
    const dir = this.removablePodDir(podUid);
    if (dir) forgetWritten(this.written, join(dir, 'volumes'));
    if (dir) await safeRemove(join(dir, 'volumes'));
  }

  /** Removes everything the node keeps for the pod. */
  async removePodDir(podUid: string): Promise<void> {
    this.tokens.forget(podUid);
    const dir = this.removablePodDir(podUid);
    if (dir) forgetWritten(this.written, dir);
    if (dir) await safeRemove(dir);
  }

  /** The pod's directory, for a recursive removal: never the pods directory itself or one outside it (a UID cannot name one). */
  private removablePodDir(podUid: string): string | undefined {
    if (!podUid || podUid === '.' || podUid === '..' || podUid.includes('/')) return undefined;
    return this.podDir(podUid);
  }

  private volumeDir(pod: Pod, plugin: string, name: string): string {
    return join(this.podDir(pod.metadata.uid ?? ''), 'volumes', `kubernetes.io~${plugin}`, name);
  }

  private async setUpVolume(pod: Pod, volume: Volume, addresses: PodAddresses): Promise<string> {
    if (volume.hostPath) return this.setUpHostPath(volume.hostPath.path, volume.hostPath.type ?? '');
    if (volume.configMap) {
      const dir = this.volumeDir(pod, 'configmap', volume.name);
      const src = volume.configMap;
      const files = await this.configMapFiles(pod, src.name ?? '', src.items, src.optional, src.defaultMode ?? DEFAULT_MODE);
      await writeAtomically(dir, files, this.written);
      return dir;
    }
    if (volume.secret) {
      const dir = this.volumeDir(pod, 'secret', volume.name);
      const src = volume.secret;
      const files = await this.secretFiles(pod, src.secretName ?? '', src.items, src.optional, src.defaultMode ?? DEFAULT_MODE);
      await writeAtomically(dir, files, this.written);
      return dir;
    }
    if (volume.downwardAPI) {
      const dir = this.volumeDir(pod, 'downward-api', volume.name);
      const items = (volume.downwardAPI.items ?? []) as DownwardItem[];
      await writeAtomically(dir, this.downwardFiles(pod, items, volume.downwardAPI.defaultMode ?? DEFAULT_MODE, addresses), this.written);
      return dir;
    }
    if (volume.projected) {
      const dir = this.volumeDir(pod, 'projected', volume.name);
      const mode = volume.projected.defaultMode ?? DEFAULT_MODE;
      const files = new Map<string, VolumeFile>();
      for (const source of (volume.projected.sources ?? []) as ProjectedSource[]) {
        if (source.configMap) {
          const s = source.configMap;
          for (const [k, v] of await this.configMapFiles(pod, s.name ?? '', s.items, s.optional, mode)) files.set(k, v);
        } else if (source.secret) {
          const s = source.secret;
          for (const [k, v] of await this.secretFiles(pod, s.name ?? '', s.items, s.optional, mode)) files.set(k, v);
        } else if (source.downwardAPI) {
          for (const [k, v] of this.downwardFiles(pod, source.downwardAPI.items ?? [], mode, addresses)) files.set(k, v);
        } else if (source.serviceAccountToken) {
          const s = source.serviceAccountToken;
          const tokenSource = this.opts.tokenSource;
          const token = tokenSource
            ? await this.tokens.get(pod.metadata.uid ?? '', pod.spec.serviceAccountName || 'default', s.audience, s.expirationSeconds, () => tokenSource(pod, s.audience, s.expirationSeconds))
            : `k8ts-placeholder-token:${pod.metadata.namespace}:${pod.spec.serviceAccountName ?? 'default'}`;
          files.set(s.path, { content: Buffer.from(token), mode });
        }
      }
      await writeAtomically(dir, files, this.written);
      return dir;
    }
    if (volume.persistentVolumeClaim) {
      throw new VolumeSetupError(volume.name, `persistentVolumeClaim "${volume.persistentVolumeClaim.claimName}" is not supported on this node`);
    }
    // emptyDir, and a volume without a source (which the API defaults to emptyDir).
    const dir = this.volumeDir(pod, 'empty-dir', volume.name);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o777);
    return dir;
  }

  private async setUpHostPath(path: string, type: string): Promise<string> {
    const info = await stat(path).catch(() => undefined);
    switch (type) {
      case 'DirectoryOrCreate':
        if (!info) await mkdir(path, { recursive: true, mode: 0o755 });
        else if (!info.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a directory`);
        break;
      case 'Directory':
        if (!info?.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a directory`);
        break;
      case 'FileOrCreate':
        if (!info) await writeFile(path, '', { mode: 0o644 });
        else if (!info.isFile()) throw new Error(`hostPath type check failed: ${path} is not a file`);
        break;
      case 'File':
        if (!info?.isFile()) throw new Error(`hostPath type check failed: ${path} is not a file`);
        break;
      case 'Socket':
      case 'CharDevice':
      case 'BlockDevice':
        if (!info) throw new Error(`hostPath type check failed: ${path} is not a ${type === 'Socket' ? 'socket file' : type === 'CharDevice' ? 'character device' : 'block device'}`);
        break;
      default:
        // Unset type: no checks, and the runtime creates a missing path as a directory.
        if (!info) await mkdir(path, { recursive: true });
    }
    return path;
  }

  private async configMapFiles(pod: Pod, name: string, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number) {
    const cm = await this.opts.config.getConfigMap(pod.metadata.namespace ?? 'default', name);
    if (!cm) {
      if (optional) return new Map<string, VolumeFile>();
      throw new Error(`configmap "${name}" not found`);
    }
    const data = new Map<string, Buffer>();
    for (const [k, v] of Object.entries(cm.data ?? {})) data.set(k, Buffer.from(v));
    for (const [k, v] of Object.entries(cm.binaryData ?? {})) data.set(k, Buffer.from(v, 'base64'));
    return project(data, items, mode, optional, (key) => `configmap references non-existent config key: ${key}`);
  }

  private async secretFiles(pod: Pod, name: string, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number) {
    const secret = await this.opts.config.getSecret(pod.metadata.namespace ?? 'default', name);
    if (!secret) {
      if (optional) return new Map<string, VolumeFile>();
      throw new Error(`secret "${name}" not found`);
    }
    const data = new Map<string, Buffer>();
    for (const [k, v] of Object.entries(secret.data ?? {})) data.set(k, Buffer.from(v, 'base64'));
    return project(data, items, mode, optional, (key) => `references non-existent secret key: ${key}`);
  }

  private downwardFiles(pod: Pod, items: DownwardItem[], mode: number, addresses: PodAddresses): Map<string, VolumeFile> {
    const files = new Map<string, VolumeFile>();
    for (const item of items) {
      let value: string;
      if (item.fieldRef) value = podFieldValue(pod, item.fieldRef.fieldPath, addresses, true);
      else if (item.resourceFieldRef) {
        const r = item.resourceFieldRef;
        value = containerResourceValue(pod, r.containerName ?? pod.spec.containers[0]!.name, r.resource, r.divisor);
      } else continue;
      files.set(item.path, { content: Buffer.from(value), mode: item.mode ?? mode });
    }
    return files;
  }
}

function project(
  data: Map<string, Buffer>,
  items: KeyToPath[] | undefined,
  mode: number,
  optional: boolean | undefined,
  missing: (key: string) => string,
): Map<string, VolumeFile> {
  const files = new Map<string, VolumeFile>();
  if (!items || items.length === 0) {
    for (const [k, v] of data) files.set(k, { content: v, mode });
    return files;
  }
  for (const item of items) {
    const content = data.get(item.key);
    if (!content) {
      if (optional) continue;
      throw new Error(missing(item.key));
    }
    files.set(item.path, { content, mode: item.mode ?? mode });
  }
  return files;
}
