// A containerd of the test's own under a temporary directory, with a CRI runtime on it and a
// busybox image built locally; cleanup removes sandboxes, pod cgroups, shims, mounts, the bridge,
// CNI allocations and the directory.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBusyboxImage, ociArchive, type OciImage } from '../../src/images/index.js';
import { containerdMissingReason, CriRuntime, startContainerd, type ManagedContainerd } from '../../src/runtime/cri/index.js';

import { startTestRegistry, type TestRegistry } from './registry.js';
import { safeRemove } from '../../src/util/safe-remove.js';

/** Why these tests cannot run here, or undefined. */
export function containerdUnavailable(): string | undefined {
  return containerdMissingReason();
}

export interface TestContainerd {
  dir: string;
  clusterId: string;
  podCIDR: string;
  containerd: ManagedContainerd;
  runtime: CriRuntime;
  /** A busybox image in the local registry (pullable) and imported. */
  image: string;
  registry: TestRegistry;
  /** Imports a busybox image (with every applet) under another name. */
  importBusybox(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

let busybox: OciImage | undefined;

/** The busybox image (every applet, `sh` as its command) and its OCI archive under `name`. */
export function busyboxArchive(name: string): { archive: Buffer; image: OciImage; imageId: string } {
  busybox ??= buildBusyboxImage();
  return { archive: ociArchive([{ name, image: busybox }]), image: busybox, imageId: busybox.config.digest };
}

export async function startTestContainerd(): Promise<TestContainerd> {
  const dir = await mkdtemp('/tmp/k8ts-cri-');
  const clusterId = `t${Math.random().toString(36).slice(2, 10)}`;
  const podCIDR = `10.${216 + Math.floor(Math.random() * 8)}.${Math.floor(Math.random() * 256)}.0/24`;
  let containerd: ManagedContainerd | undefined;
  let runtime: CriRuntime | undefined;
  let registry: TestRegistry | undefined;
  const cleanup = async () => {
    await runtime?.removeAll().catch(() => undefined);
    await runtime?.close();
    await containerd?.stop({ clean: true });
    await registry?.stop();
    await safeRemove(dir, { unmount: true });
  };
  try {
    registry = await startTestRegistry();
    containerd = await startContainerd({ dir: join(dir, 'containerd'), clusterId, podCIDR, insecureRegistries: [registry.host] });
    runtime = new CriRuntime({ endpoint: containerd.endpoint, stateDir: join(dir, 'runtime'), cgroupRoot: containerd.cgroupRoot });
    const started = containerd;
    const importBusybox = async (name: string) => {
      const { archive, imageId } = busyboxArchive(name);
      const path = join(dir, `image-${Math.random().toString(36).slice(2)}.tar`);
      await writeFile(path, archive);
      await started.importArchive(path);
      await rm(path, { force: true });
      return imageId;
    };
    const image = `${registry.host}/k8ts/busybox:test`;
    await registry.pushImage('k8ts/busybox:test', busyboxArchive(image).image);
    await importBusybox(image);
    return { dir, clusterId, podCIDR, containerd, runtime, image, registry, importBusybox, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
