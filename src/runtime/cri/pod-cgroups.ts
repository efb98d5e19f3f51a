// Pod-level cgroups for the cgroupfs driver: `/<root>/pod<uid>` in the v1 controllers, created
// before the sandbox (it is the sandbox's cgroup_parent) and removed with the pod, children first,
// since the runtime removes its containers' groups but never the parents it was given.

import { mkdir, readdir, readFile, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const CGROUP_MOUNT = '/sys/fs/cgroup';

/** Controllers the agent creates pod groups in; runc fills in cpuset itself from the parent. */
const CREATED = ['memory', 'cpu', 'pids'];

export class PodCgroups {
  constructor(
    /** The cluster's group, e.g. `/k8ts-1a2b3c4d`. */
    readonly root: string,
    private readonly mount = CGROUP_MOUNT,
  ) {}

  parentOf(podUid: string): string {
    return `${this.root}/pod${podUid.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  }

  async create(podUid: string): Promise<string> {
    const parent = this.parentOf(podUid);
    for (const controller of CREATED) {
      await mkdir(join(this.mount, controller, parent), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
        // A controller this kernel does not mount is not ours to create.
        if (err.code !== 'ENOENT') throw err;
      });
    }
    return parent;
  }

  /** Removes the pod's groups in every controller; groups still holding processes are left and reported. */
  async remove(podUid: string): Promise<string[]> {
    return this.removeTree(this.parentOf(podUid));
  }

  /** Removes the cluster's whole group (every pod's), returning what could not be removed. */
  async removeAll(): Promise<string[]> {
    return this.removeTree(this.root);
  }

  /**
   * SIGKILLs every process still in the cluster's groups: containers whose shim was killed live on,
   * reparented, and would keep their groups (and mounts) busy.
   */
  async killAll(): Promise<number> {
    const pids = new Set<number>();
    const collect = async (dir: string) => {
      const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
      for (const line of procs.split('\n')) if (line) pids.add(Number(line));
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await collect(join(dir, e.name));
    };
    await collect(join(this.mount, 'pids', this.root));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    return pids.size;
  }

  private async removeTree(relative: string): Promise<string[]> {
    const busy: string[] = [];
    const controllers = await readdir(this.mount).catch(() => [] as string[]);
    for (const controller of controllers) {
      const dir = join(this.mount, controller, relative);
      if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) continue;
      await removeDepthFirst(dir, busy);
    }
    return busy;
  }
}

async function removeDepthFirst(dir: string, busy: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await removeDepthFirst(join(dir, e.name), busy);
  // A group empties a moment after its last process is reaped.
  for (let attempt = 0; attempt < 50; attempt++) {
    const err = await rmdir(dir).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    if (!err || err.code === 'ENOENT') return;
    if (err.code !== 'EBUSY') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  busy.push(dir);
}
