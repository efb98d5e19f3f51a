// Reads what the runtime holds for a pod into a PodRuntimeSnapshot (newest first), and completes
// exited instances with their termination message: the file the container wrote, or with
// FallbackToLogsOnError and a failure, the tail of its log.

import { open, readFile } from 'node:fs/promises';
import { RuntimeError, type PodSandboxStatus, type Runtime, type RuntimeContainer } from '../runtime/types.js';
import { terminationMessageFile } from './container-config.js';
import { nameOf, restartCountOf } from './pod-util.js';
import { ANNOTATION_TERMINATION_MESSAGE_POLICY, LABEL_POD_UID, type PodRuntimeSnapshot } from './types.js';

const MAX_TERMINATION_MESSAGE_BYTES = 4096;
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;

export class RuntimeStateReader {
  /** Termination messages of exited instances, read once, by pod and container id. */
  private readonly messages = new Map<string, Map<string, string>>();

  constructor(
    private readonly runtime: Runtime,
    private readonly podDir: (podUid: string) => string,
    private readonly now: () => number,
  ) {}

  async snapshot(podUid: string): Promise<PodRuntimeSnapshot> {
    const timestamp = this.now();
    // Only the pod's own: a listing of the whole node per sync is quadratic in the node's pods. The
    // check after it is for a runtime that lists more than the filter selects.
    const own = { labels: { [LABEL_POD_UID]: podUid } };
    const [sandboxes, containers] = await Promise.all([this.runtime.listPodSandboxes(own), this.runtime.listContainers(own)]);
    return this.complete(podUid, sandboxes.filter((s) => sandboxPodUid(s) === podUid), containers, timestamp);
  }

  /**
   * The snapshot after a sync that changed only these of the pod's objects: the changed containers
   * are read again, the rest is as `before` saw it.
   */
  async refresh(before: PodRuntimeSnapshot, changed: { sandbox?: PodSandboxStatus; containers: ReadonlySet<string>; removed: ReadonlySet<string> }): Promise<PodRuntimeSnapshot> {
    const timestamp = this.now();
    const fresh = await Promise.all(
      [...changed.containers].map((id) =>
        this.runtime.containerStatus(id).catch((err) => {
          if (err instanceof RuntimeError && err.code === 'NotFound') return undefined;
          throw err;
        }),
      ),
    );
    const kept = before.containers.filter((c) => !changed.containers.has(c.id) && !changed.removed.has(c.id));
    const containers = [...kept, ...fresh.filter((c): c is RuntimeContainer => c !== undefined)];
    const sandboxes = changed.sandbox ? [changed.sandbox, ...before.sandboxes.filter((s) => s.id !== changed.sandbox!.id)] : [...before.sandboxes];
    return this.complete(before.podUid, sandboxes, containers, timestamp);
  }

  private async complete(podUid: string, sandboxes: PodSandboxStatus[], listed: RuntimeContainer[], timestamp: number): Promise<PodRuntimeSnapshot> {
    sandboxes.sort((a, b) => b.createdAt - a.createdAt);
    // Runtimes may hand out the objects they cache: the termination message goes into a copy.
    const containers = listed.map((c) => (c.state === 'EXITED' ? { ...c } : c));
    containers.sort((a, b) => b.createdAt - a.createdAt || b.attempt - a.attempt);
    for (const c of containers) if (c.state === 'EXITED') await this.addTerminationMessage(podUid, c);
    return { podUid, sandboxes, containers, timestamp };
  }

  forget(podUid: string): void {
    this.messages.delete(podUid);
  }

  private async addTerminationMessage(podUid: string, c: RuntimeContainer): Promise<void> {
    let known = this.messages.get(podUid);
    if (!known) this.messages.set(podUid, (known = new Map()));
    let message = known.get(c.id);
    if (message === undefined) {
      message = await readHead(terminationMessageFile(this.podDir(podUid), nameOf(c), restartCountOf(c)), MAX_TERMINATION_MESSAGE_BYTES);
      if (!message && c.exitCode !== 0 && c.annotations[ANNOTATION_TERMINATION_MESSAGE_POLICY] === 'FallbackToLogsOnError') {
        message = await tailLog(c.logPath);
      }
      known.set(c.id, message);
    }
    if (message) c.message = c.message ? `${c.message}: ${message}` : message;
  }
}

export function sandboxPodUid(s: PodSandboxStatus): string {
  return s.labels[LABEL_POD_UID] ?? s.podUid;
}

async function readHead(path: string, max: number): Promise<string> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await handle.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString();
  } finally {
    await handle.close();
  }
}

/** The last lines of a CRI-format log, without the timestamp/stream/tag prefix. */
async function tailLog(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  if (!text) return '';
  const lines = text.split('\n').filter((l) => l !== '');
  let out = '';
  for (const line of lines.slice(-FALLBACK_LOG_LINES)) {
    const m = /^\S+ (?:stdout|stderr) ([PF]) (.*)$/.exec(line);
    out += m ? m[2] + (m[1] === 'F' ? '\n' : '') : `${line}\n`;
  }
  const bytes = Buffer.from(out);
  return bytes.length > FALLBACK_LOG_BYTES ? bytes.subarray(bytes.length - FALLBACK_LOG_BYTES).toString() : out;
}
