// The runtime's persisted state: one JSON file per sandbox and per container, written whole (by
// rename) at every transition, so that a restarted agent finds exactly what the last one knew.

import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { safeRemove } from '../../util/safe-remove.js';
import type { ContainerConfig, ContainerState, PodSandboxConfig, SandboxState } from '../types.js';
import type { ContainerCgroups } from './cgroups.js';
import type { ProcessIdentity } from './procfs.js';
import type { ProcessSpec } from './spec.js';

export interface SandboxNamespaces {
  net: boolean;
  uts: boolean;
  ipc: boolean;
  /** The pod's containers share the infra process's PID namespace. */
  pid: boolean;
}

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  createdAt: number;
  state: SandboxState;
  ip?: string;
  namespaces: SandboxNamespaces;
  /** The process holding the sandbox's namespaces. */
  infra?: ProcessIdentity;
  /** `unshare`, waiting for the infra process when it is PID 1 of the pod's PID namespace. */
  launcher?: ProcessIdentity;
}

export type PidNamespaceMode = 'container' | 'pod' | 'host';

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
  state: ContainerState;
  image: string;
  imageRef: string;
  logPath: string;
  spec: ProcessSpec;
  pidNamespace: PidNamespaceMode;
  cgroupParent: string;
  /** Whether the cgroup parent is the runtime's own (removed once empty). */
  ownCgroupParent: boolean;
  cgroups?: ContainerCgroups;
  supervisor?: ProcessIdentity;
  /** The container's main process (PID 1 of its PID namespace when it has one). */
  main?: ProcessIdentity;
  /** Set when the command could not be started: the container ends with StartError. */
  startError?: string;
  /** A plain host process (a runtime without root): no namespaces or root filesystem, a session of its own. */
  plain?: boolean;
}

export class RecordStore<T extends { id: string }> {
  private writes = 0;

  constructor(
    private readonly dir: string,
    private readonly fileName: string,
  ) {}

  dirOf(id: string): string {
    return join(this.dir, id);
  }

  async save(record: T): Promise<void> {
    const dir = this.dirOf(record.id);
    await mkdir(dir, { recursive: true });
    const file = join(dir, this.fileName);
    const tmp = `${file}.${process.pid}.${++this.writes}.tmp`;
    await writeFile(tmp, JSON.stringify(record));
    await rename(tmp, file);
  }

  async loadAll(): Promise<T[]> {
    const ids = await readdir(this.dir).catch(() => [] as string[]);
    const records: T[] = [];
    for (const id of ids) {
      const text = await readFile(join(this.dir, id, this.fileName), 'utf8').catch(() => undefined);
      if (text) records.push(JSON.parse(text) as T);
    }
    return records;
  }

  /** Removes the record's directory; what the runtime mounted beneath it is unmounted first, never removed through. */
  async remove(id: string): Promise<void> {
    await safeRemove(this.dirOf(id), { unmount: true });
  }
}
