// The process runtime under many listings and few descriptors: a container's dead supervisor is
// looked at by one exit read at a time however many syncs list it; a listing narrowed to a pod
// reads the state of that pod's records only; running out of descriptors never reads as "the
// process is gone".

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProcessRuntime, type ProcessRuntime } from '../../src/runtime/process/index.js';
import type { RuntimeContainer } from '../../src/runtime/types.js';
import { safeRemove } from '../../src/util/safe-remove.js';
import { containerConfig, sandboxConfig } from '../helpers/runtime-configs.js';

const PROCESS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'runtime', 'process');

interface Internals {
  exits: { read(id: string): Promise<unknown> };
  sandboxStatus(record: { id: string }): unknown;
  containers: Map<string, { supervisor?: { pid: number } }>;
}

const internals = (runtime: ProcessRuntime) => runtime as unknown as Internals;

/** Counts the exit reads in flight per container (the most at once), each held a while so that overlaps show. */
function countExitReads(runtime: ProcessRuntime, holdMs: number): { most: Map<string, number>; total: Map<string, number> } {
  const exits = internals(runtime).exits;
  const read = exits.read.bind(exits);
  const now = new Map<string, number>();
  const most = new Map<string, number>();
  const total = new Map<string, number>();
  exits.read = async (id: string) => {
    now.set(id, (now.get(id) ?? 0) + 1);
    most.set(id, Math.max(most.get(id) ?? 0, now.get(id)!));
    total.set(id, (total.get(id) ?? 0) + 1);
    try {
      await new Promise((r) => setTimeout(r, holdMs));
      return await read(id);
    } finally {
      now.set(id, now.get(id)! - 1);
    }
  };
  return { most, total };
}

async function waitForExit(runtime: ProcessRuntime, id: string): Promise<RuntimeContainer> {
  for (let i = 0; i < 400; i++) {
    const c = await runtime.containerStatus(id);
    if (c.state === 'EXITED') return c;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`container ${id} did not exit`);
}

function kill(pid: number | undefined): void {
  try {
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

describe('process runtime: exit notices and narrowed listings', () => {
  /** Two pods of one sleeping container each, started by one runtime and adopted by a second (whose children the supervisors are not). */
  async function adoptedPods(t: { after(fn: () => Promise<void>): void }) {
    const rootDir = await mkdtemp(join(tmpdir(), 'k8ts-exit-notice-'));
    const first = await createProcessRuntime({ rootDir, network: null, isolation: 'none' });
    let runtime = first;
    t.after(async () => {
      await runtime.removeAll();
      await runtime.close();
      await safeRemove(rootDir);
    });
    const pods = [];
    for (const name of ['a', 'b']) {
      const sandbox = sandboxConfig(`pod-${name}`, join(rootDir, 'logs', name), { labels: { pod: name } });
      const sandboxId = await first.runPodSandbox(sandbox);
      const id = await first.createContainer(sandboxId, containerConfig('sleeper', ['sleep', '300'], { labels: { pod: name } }), sandbox);
      await first.startContainer(id);
      pods.push({ sandboxId, id });
    }
    await first.close();
    runtime = await createProcessRuntime({ rootDir, network: null, isolation: 'none' });
    return { runtime, pods };
  }

  test('a dead supervisor listed by many syncs at once: one exit read in flight, the exit still recorded', async (t) => {
    const { runtime, pods } = await adoptedPods(t);
    const [a] = pods;
    const reads = countExitReads(runtime, 50);
    kill(internals(runtime).containers.get(a!.id)!.supervisor?.pid);
    await new Promise((r) => setTimeout(r, 100)); // the supervisor is reaped by init, not by this process
    for (let i = 0; i < 40; i++) await runtime.listContainers({ sandboxId: a!.sandboxId });
    const exited = await waitForExit(runtime, a!.id);
    assert.equal(exited.exitCode, 137);
    assert.equal(reads.most.get(a!.id), 1);
    assert.ok((reads.total.get(a!.id) ?? 0) < 40, `exit reads: ${reads.total.get(a!.id)}`);
  });

  test('a listing narrowed to one pod looks at that pod only', async (t) => {
    const { runtime, pods } = await adoptedPods(t);
    const [a, b] = pods;
    const reads = countExitReads(runtime, 0);
    kill(internals(runtime).containers.get(b!.id)!.supervisor?.pid);
    await new Promise((r) => setTimeout(r, 100));

    const listed = await runtime.listContainers({ sandboxId: a!.sandboxId });
    assert.deepEqual(listed.map((c) => c.id), [a!.id]);
    assert.deepEqual((await runtime.listContainers({ labels: { pod: 'a' } })).map((c) => c.id), [a!.id]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(reads.total.get(b!.id), undefined, 'the other pod\'s dead supervisor was not looked at');

    const statuses: string[] = [];
    const inner = internals(runtime);
    const sandboxStatus = inner.sandboxStatus.bind(runtime);
    inner.sandboxStatus = (record) => {
      statuses.push(record.id);
      return sandboxStatus(record);
    };
    assert.deepEqual((await runtime.listPodSandboxes({ id: a!.sandboxId })).map((s) => s.id), [a!.sandboxId]);
    assert.deepEqual((await runtime.listPodSandboxes({ labels: { pod: 'b' } })).map((s) => s.id), [b!.sandboxId]);
    assert.deepEqual(await runtime.listPodSandboxes({ id: 'no-such-sandbox' }), []);
    assert.deepEqual(statuses, [a!.sandboxId, b!.sandboxId]);
    assert.equal((await runtime.listPodSandboxes({ state: 'READY' })).length, 2);
    await runtime.stopPodSandbox(b!.sandboxId);
    assert.deepEqual((await runtime.listPodSandboxes({ state: 'NOTREADY' })).map((s) => s.id), [b!.sandboxId]);
    assert.deepEqual((await runtime.listPodSandboxes({ state: 'READY', labels: { pod: 'b' } })).map((s) => s.id), []);
  });

  test('out of descriptors: a process is not read as gone, an exit file read fails instead of reading as no exit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-exit-emfile-'));
    try {
      const script = `
import { openSync, writeFileSync, mkdirSync } from 'node:fs';
import { isAlive, identify, processStartTime } from ${JSON.stringify(join(PROCESS_DIR, 'procfs.js'))};
import { ExitWatcher } from ${JSON.stringify(join(PROCESS_DIR, 'exit-watcher.js'))};
const exits = new ExitWatcher(${JSON.stringify(join(dir, 'exits'))}, () => undefined);
mkdirSync(exits.dir, { recursive: true });
writeFileSync(exits.fileOf('c1'), '0\\n');
const self = identify(process.pid);
await new Promise((r) => setTimeout(r, 1100)); // past the runtime's remembered start times
const held = [];
try { for (;;) held.push(openSync('/dev/null', 'r')); } catch {}
const out = {};
try { out.startTime = processStartTime(process.pid) ?? 'gone'; } catch (err) { out.startTime = err.code; }
out.alive = isAlive(self);
try { out.exit = (await exits.read('c1')) ? 'recorded' : 'none'; } catch (err) { out.exit = err.code; }
console.log(JSON.stringify(out));`;
      const r = spawnSync('/bin/sh', ['-c', 'ulimit -n 64; exec "$0" --input-type=module -e "$1"', process.execPath, script], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.match(String(got.startTime), /^E(MFILE|NFILE)$/);
      assert.equal(got.alive, true);
      assert.match(String(got.exit), /^E(MFILE|NFILE)$/);
    } finally {
      await safeRemove(dir);
    }
  });
});
