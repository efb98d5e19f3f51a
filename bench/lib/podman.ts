// podman with storage, run state and configuration of its own under a temporary directory, for
// `podman kube play` in benchmarks. podman 4.3 on these machines needs rlimits it may set (root
// without CAP_SYS_RESOURCE cannot raise them to podman's defaults) and, with init containers, a
// restartPolicy other than Always; pods get no network (`--network none`), so no bridge or
// firewall rules are made on the host. stop() removes every pod, image and the directory.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

/** Why podman cannot run here, or undefined. */
export function podmanMissingReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'podman kube play needs root here';
  const r = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'podman is not installed';
  return undefined;
}

/** The hard limit of `name` (a /proc/self/limits row) for this process. */
function hardLimit(name: string): string {
  const row = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name));
  const hard = row?.slice(name.length).trim().split(/\s+/)[1];
  if (!hard || hard === 'unlimited') return '1048576';
  return hard;
}

const CGROUP_PARENT = 'libpod_parent';
const CONTROLLERS = ['memory', 'cpu', 'pids', 'cpuset', 'blkio', 'devices', 'freezer', 'cpuacct'];

export class Podman {
  readonly dir = mkdtempSync('/tmp/k8ts-bench-podman-');
  private readonly env: NodeJS.ProcessEnv;
  private readonly cgroupsBefore = new Set(CONTROLLERS.filter((c) => existsSync(join('/sys/fs/cgroup', c, CGROUP_PARENT))));

  constructor() {
    mkdirSync(join(this.dir, 'tmp'));
    const conf = join(this.dir, 'containers.conf');
    // nproc at the hard limit is refused by runc here ("error setting rlimit type 6"); a lower value starts.
    const nofile = hardLimit('Max open files');
    writeFileSync(conf, `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=4096:4096"]\n[engine]\ninfra_image = "localhost/bench/pause:1"\ninfra_command = "/pause"\n`);
    this.env = { ...process.env, CONTAINERS_CONF: conf };
  }

  /** Runs podman with this instance's storage; throws with its stderr when it fails. */
  run(args: string[]): string {
    const base = ['--root', join(this.dir, 'root'), '--runroot', join(this.dir, 'run'), '--tmpdir', join(this.dir, 'tmp'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
    return execFileSync('podman', [...base, ...args], { env: this.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  version(): string {
    return this.run(['--version']).trim();
  }

  /** Loads an OCI or docker archive. */
  load(archive: string): void {
    this.run(['load', '-i', archive]);
  }

  /** Plays a manifest; returns when podman has started its containers (init containers run first). */
  play(manifestPath: string): void {
    this.run(['kube', 'play', '--network', 'none', manifestPath]);
  }

  /** Whether the named container of the pod is running. */
  running(pod: string, container: string): boolean {
    return this.run(['inspect', '--format', '{{.State.Running}}', `${pod}-${container}`]).trim() === 'true';
  }

  stop(): void {
    try {
      this.run(['pod', 'rm', '--all', '--force', '--time', '0']);
      this.run(['rmi', '--all', '--force']);
    } catch {
      // removed below with the directory
    }
    for (const c of CONTROLLERS) {
      if (this.cgroupsBefore.has(c)) continue;
      try {
        rmdirSync(join('/sys/fs/cgroup', c, CGROUP_PARENT));
      } catch {
        // absent, or not empty: podman's, left as it is
      }
    }
    safeRemoveSync(this.dir, { unmount: true });
  }
}
