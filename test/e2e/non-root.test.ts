// `k8ts up` as an unprivileged user (setpriv to nobody, HOME and the data directory in a temporary
// directory it owns): a Ready node, a warning in the log, pods as plain host processes on the node's
// address with their logs, exec and exit codes, one PodNotIsolated warning per pod, volumes refused
// with a message, and nothing left running after Ctrl-C.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, run, type KubectlResult } from '../helpers/cluster.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

const NOBODY = 65534;
const k8ts = fileURLToPath(new URL('../../../bin/k8ts.js', import.meta.url));
const unsupported =
  process.getuid?.() !== 0 ? 'switching to an unprivileged user needs root' : !existsSync('/usr/bin/setpriv') ? 'setpriv (util-linux) is missing' : undefined;

describe('k8ts up without root', { skip: unsupported }, () => {
  let dir: string;
  let child: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  const node = `non-root-${process.pid}`;
  const kubectl = (args: string[], stdin?: string): Promise<KubectlResult> =>
    run('kubectl', ['--kubeconfig', join(dir, 'data', 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], stdin === undefined ? {} : { stdin });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-non-root-'));
    chownSync(dir, NOBODY, NOBODY);
    child = spawn(
      'setpriv',
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'env', `HOME=${dir}`, process.execPath, k8ts, 'up',
        '--data-dir', join(dir, 'data'), '--port', '0', '--write-kubeconfig=false', '--node-name', node, '--store', 'memory'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await eventually(() => output.includes('k8ts is running at') || (child.exitCode !== null && Promise.reject(new Error(output))), 60_000);
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      await exited; // stopped before its directory goes
    }
    if (dir) safeRemoveSync(dir, { unmount: true });
  });

  test('the node is Ready, and the log says what is missing', async () => {
    assert.match(output, /WARN {2}not running as root: pods run as plain host processes, without namespaces, a private root filesystem, cgroups or volumes, on the node's network; run k8ts up as root for isolated pods/);
    await eventually(async () => {
      const r = await kubectl(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      return r.stdout === 'True';
    }, 60_000);
  });

  test('a pod runs as a plain process of the user, on the node address, with its logs and one warning event', async () => {
    const manifest = join(dir, 'hello.yaml');
    writeFileSync(manifest, `apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo \\"hello from $(id -u) as $HOSTNAME\\"; exit 0"]
`);
    const applied = await kubectl(['apply', '-f', manifest]);
    assert.equal(applied.code, 0, applied.stderr);
    await eventually(async () => (await kubectl(['get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}'])).stdout === 'Succeeded', 60_000);
    const logs = await kubectl(['logs', 'hello']);
    assert.equal(logs.stdout, `hello from ${NOBODY} as hello\n`);
    assert.equal((await kubectl(['get', 'pod', 'hello', '-o', 'jsonpath={.status.podIP}'])).stdout, '127.0.0.1');
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=hello,reason=PodNotIsolated', '-o', 'jsonpath={range .items[*]}{.type}|{.count}|{.message}{"\\n"}{end}']);
    const lines = events.stdout.trim().split('\n');
    assert.equal(lines.length, 1, events.stdout);
    assert.match(lines[0]!, /^Warning\|1\|The node agent runs without root: the containers of this pod are plain host processes with no network, PID or mount namespaces/);
  });

  test('exec reaches a running pod; deleting it stops its processes; a volume mount is refused', async () => {
    const pidFile = join(dir, 'background.pid');
    const created = await kubectl(['run', 'sleeper', '--image=busybox', '--restart=Never', `--env=PID_FILE=${pidFile}`, '--command', '--', 'sh', '-c', 'sleep 3600 & echo $! > "$PID_FILE"; wait']);
    assert.equal(created.code, 0, created.stderr);
    await eventually(async () => (await kubectl(['get', 'pod', 'sleeper', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 60_000);
    const exec = await kubectl(['exec', 'sleeper', '--', 'sh', '-c', 'id -u; exit 3']);
    assert.equal(exec.code, 3);
    assert.equal(exec.stdout, `${NOBODY}\n`);
    const background = Number(await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim()));
    const pids = [...mainPids(join(dir, 'data', 'runtime', 'containers')), background];
    assert.ok(pids.length > 1, 'the runtime records the container');
    for (const pid of pids) assert.ok(existsSync(`/proc/${pid}`));
    const deleted = await kubectl(['delete', 'pod', 'sleeper', '--grace-period=1']);
    assert.equal(deleted.code, 0, deleted.stderr);
    // The shell ends on SIGTERM (it is no PID 1 here); what it started goes with its process group.
    await eventually(() => pids.every((pid) => !existsSync(`/proc/${pid}`) || isZombie(pid)), 30_000);

    const volume = await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'with-volume' },
      spec: { volumes: [{ name: 'data', emptyDir: {} }], containers: [{ name: 'main', image: 'busybox', command: ['sleep', '60'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
    }));
    assert.equal(volume.code, 0, volume.stderr);
    const waiting = await eventually(async () => {
      const r = await kubectl(['get', 'pod', 'with-volume', '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.reason}|{.status.containerStatuses[0].state.waiting.message}']);
      return r.stdout.startsWith('CreateContainerError|') && r.stdout;
    }, 60_000);
    assert.equal(waiting, 'CreateContainerError|volume mounts need a mount namespace, and this node runs without root: cannot mount "/data" for container "main"; run the node as root, or remove the volume mounts');
  });

  test('Ctrl-C stops the cluster and leaves no container running', async () => {
    const started = await kubectl(['run', 'left', '--image=busybox', '--restart=Never', '--command', '--', 'sleep', '3600']);
    assert.equal(started.code, 0, started.stderr);
    await eventually(async () => (await kubectl(['get', 'pod', 'left', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 60_000);
    const pids = mainPids(join(dir, 'data', 'runtime', 'containers'));
    assert.ok(pids.length > 0);
    process.kill(child.pid!, 'SIGINT');
    assert.equal(await exited, 0, output);
    for (const pid of pids) assert.ok(!existsSync(`/proc/${pid}`) || isZombie(pid), `container process ${pid} is gone`);
  });
});

/** The host pids of the running containers the runtime recorded. */
function mainPids(containersDir: string): number[] {
  const pids: number[] = [];
  for (const id of existsSync(containersDir) ? readdirSync(containersDir) : []) {
    try {
      const record = JSON.parse(readFileSync(join(containersDir, id, 'container.json'), 'utf8')) as { state: string; main?: { pid: number } };
      if (record.state === 'RUNNING' && record.main) pids.push(record.main.pid);
    } catch {
      // a record being written or removed
    }
  }
  return pids;
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
