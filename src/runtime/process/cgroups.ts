// Per-container cgroups (v1): always a `pids` group (to find every process of the container, and
// for pidsLimit), a `memory` group when a limit is set (OOMKilled is read from its oom_kill counter)
// and a `cpu` group for shares and quota.

import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerResources } from '../types.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';

export interface ContainerCgroups {
  pids: string;
  memory?: string;
  cpu?: string;
}

export function cgroupDirs(groups: ContainerCgroups): string[] {
  return [groups.pids, groups.memory, groups.cpu].filter((d): d is string => d !== undefined);
}

/** Creates the container's groups under `<controller>/<parent>/<name>` and applies its limits. */
export async function createCgroups(parent: string, name: string, resources: ContainerResources = {}): Promise<ContainerCgroups> {
  const dir = (controller: string) => join(CGROUP_ROOT, controller, parent, name);
  const groups: ContainerCgroups = { pids: dir('pids') };
  await mkdir(groups.pids, { recursive: true });
  if (resources.pidsLimit !== undefined && resources.pidsLimit > 0) {
    await writeFile(join(groups.pids, 'pids.max'), String(resources.pidsLimit));
  }
  if (resources.memoryLimitBytes !== undefined && resources.memoryLimitBytes > 0) {
    groups.memory = dir('memory');
    await mkdir(groups.memory, { recursive: true });
    await writeFile(join(groups.memory, 'memory.limit_in_bytes'), String(resources.memoryLimitBytes));
    // Without swap accounting the group cannot swap past the limit anyway; with it, forbid swap.
    await writeFile(join(groups.memory, 'memory.memsw.limit_in_bytes'), String(resources.memoryLimitBytes)).catch(() => undefined);
  }
  const cpuLimited = resources.cpuShares !== undefined || (resources.cpuQuota !== undefined && resources.cpuQuota > 0);
  if (cpuLimited) {
    groups.cpu = dir('cpu');
    await mkdir(groups.cpu, { recursive: true });
    if (resources.cpuShares !== undefined) await writeFile(join(groups.cpu, 'cpu.shares'), String(Math.max(2, resources.cpuShares)));
    if (resources.cpuQuota !== undefined && resources.cpuQuota > 0) {
      await writeFile(join(groups.cpu, 'cpu.cfs_period_us'), String(resources.cpuPeriod ?? 100_000));
      await writeFile(join(groups.cpu, 'cpu.cfs_quota_us'), String(resources.cpuQuota));
    }
  }
  return groups;
}

/** Whether the kernel OOM-killed a process of the group. */
export async function oomKilled(groups: ContainerCgroups): Promise<boolean> {
  if (!groups.memory) return false;
  const text = await readFile(join(groups.memory, 'memory.oom_control'), 'utf8').catch(() => '');
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m !== null && Number(m[1]) > 0;
}

/** The host pids of every process in the container. */
export async function cgroupProcesses(groups: ContainerCgroups): Promise<number[]> {
  const text = await readFile(join(groups.pids, 'cgroup.procs'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

/** Removes the groups (they must be empty), and `parent` too when `removeParent` and it is empty. */
export async function removeCgroups(groups: ContainerCgroups, parent: string, removeParent: boolean): Promise<void> {
  for (const dir of cgroupDirs(groups)) {
    // A group empties a moment after its last process is reaped.
    for (let attempt = 0; attempt < 50; attempt++) {
      const err = await rmdir(dir).then(() => undefined, (e: NodeJS.ErrnoException) => e);
      if (!err || err.code === 'ENOENT') break;
      if (err.code !== 'EBUSY') throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  if (!removeParent) return;
  for (const controller of ['pids', 'memory', 'cpu']) {
    await rmdir(join(CGROUP_ROOT, controller, parent)).catch(() => undefined);
  }
}
