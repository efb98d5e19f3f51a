// The runtime contract suite: the observable semantics every Runtime must show, expressed with
// commands any runtime can run. Each backend (process, cri, fake) opens itself through a factory
// and declares what it can do; checks that need a capability it lacks are skipped.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  RuntimeError,
  type ContainerConfig,
  type PodSandboxConfig,
  type Runtime,
  type RuntimeContainer,
  type RuntimeContainerEvent,
} from '../../src/runtime/types.js';
import { safeRemove } from '../../src/util/safe-remove.js';

export interface RuntimeCapabilities {
  /** Commands really run: logs, environment, files and exec output come from them. */
  realProcesses: boolean;
  /** Each container's command is PID 1 of its own PID namespace. */
  pidNamespace: boolean;
  /** Each sandbox has its own network namespace and pod IP, reachable from the host. */
  network: boolean;
  /** Mounts are bound at their containerPath (which need not exist on the host). */
  mounts: boolean;
}

export interface RuntimeUnderTest {
  runtime: Runtime;
  cleanup(): Promise<void>;
  /** An image whose containers, without entrypoint, run host commands (`sh`, `busybox`). */
  image: string;
  capabilities: RuntimeCapabilities;
}

/** The commands the suite runs, for backends that script behaviour by command text. */
export const CONTRACT_COMMANDS = {
  exitZero: 'exit 0',
  exitSeven: 'exit 7',
  trapTermExit3: 'trap "exit 3" TERM; while :; do sleep 0.1; done',
  ignoreTerm: 'trap "" TERM; while :; do sleep 0.1; done',
  longSleep: ['sleep', '1000'],
  missingCommand: 'k8ts-contract-no-such-command',
} as const;

const CRI_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}) (stdout|stderr) (F|P) /;

export function describeRuntimeContract(name: string, open: () => Promise<RuntimeUnderTest>): void {
  describe(`runtime contract: ${name}`, () => {
    let h: RuntimeUnderTest;
    let scratch: string;
    let seq = 0;
    const runId = Math.random().toString(36).slice(2, 8);

    before(async () => {
      h = await open();
      scratch = await mkdtemp(join(tmpdir(), 'k8ts-contract-'));
    });
    after(async () => {
      await h?.cleanup();
      if (scratch) await safeRemove(scratch, { unmount: true });
    });

    const caps = () => h.capabilities;

    function sandboxConfig(overrides: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
      const n = ++seq;
      return {
        podUid: `uid-${runId}-${n}`,
        name: `pod-${n}`,
        namespace: 'contract',
        attempt: 0,
        hostname: `pod-${n}`,
        logDirectory: join(scratch, `logs-${n}`),
        portMappings: [],
        hostNetwork: false,
        hostPID: false,
        hostIPC: false,
        shareProcessNamespace: false,
        labels: { 'contract.k8ts.io/pod': `pod-${n}` },
        annotations: { 'contract.k8ts.io/note': 'a' },
        ...overrides,
      };
    }

    function containerConfig(cname: string, command: string[], overrides: Partial<ContainerConfig> = {}): ContainerConfig {
      return {
        name: cname,
        attempt: 0,
        image: h.image,
        command,
        args: [],
        env: [],
        mounts: [],
        logPath: `${cname}/0.log`,
        stdin: false,
        stdinOnce: false,
        tty: false,
        labels: { 'contract.k8ts.io/container': cname },
        annotations: {},
        ...overrides,
      };
    }

    /** A fresh sandbox, removed when the test ends. */
    async function sandbox(t: { after(fn: () => Promise<void>): void }, overrides: Partial<PodSandboxConfig> = {}) {
      const config = sandboxConfig(overrides);
      const id = await h.runtime.runPodSandbox(config);
      t.after(() => h.runtime.removePodSandbox(id));
      return { id, config };
    }

    async function run(sb: { id: string; config: PodSandboxConfig }, config: ContainerConfig): Promise<string> {
      const id = await h.runtime.createContainer(sb.id, config, sb.config);
      await h.runtime.startContainer(id);
      return id;
    }

    const sh = (script: string) => ['sh', '-c', script];
    /** A host directory at the same path in the container (where the container has its own files). */
    const sameDirMount = (dir: string) => (caps().mounts ? [{ hostPath: dir, containerPath: dir, readonly: true }] : []);

    async function assertRuntimeError(promise: Promise<unknown>, code: string): Promise<void> {
      await assert.rejects(promise, (err: unknown) => {
        assert.ok(err instanceof RuntimeError, `expected a RuntimeError, got ${String(err)}`);
        assert.equal(err.code, code);
        return true;
      });
    }

    test('version names the runtime', async () => {
      const v = await h.runtime.version();
      assert.ok(v.runtimeName.length > 0);
      assert.ok(v.runtimeVersion.length > 0);
      assert.ok(v.runtimeApiVersion.length > 0);
    });

    test('sandbox: run, status, list, stop and remove, stop and remove idempotent', async () => {
      const config = sandboxConfig({ attempt: 2 });
      const id = await h.runtime.runPodSandbox(config);
      try {
        const status = await h.runtime.podSandboxStatus(id);
        assert.equal(status.id, id);
        assert.equal(status.state, 'READY');
        assert.equal(status.podUid, config.podUid);
        assert.equal(status.name, config.name);
        assert.equal(status.namespace, 'contract');
        assert.equal(status.attempt, 2);
        assert.deepEqual(status.labels, config.labels);
        assert.deepEqual(status.annotations, config.annotations);
        assert.equal(status.hostNetwork, !caps().network);
        if (caps().network) assert.match(status.ip ?? '', /^\d+\.\d+\.\d+\.\d+$/);
        assert.ok((await h.runtime.listPodSandboxes()).some((s) => s.id === id));
        await h.runtime.stopPodSandbox(id);
        assert.equal((await h.runtime.podSandboxStatus(id)).state, 'NOTREADY');
        await h.runtime.stopPodSandbox(id);
      } finally {
        await h.runtime.removePodSandbox(id);
      }
      assert.ok(!(await h.runtime.listPodSandboxes()).some((s) => s.id === id));
      await assertRuntimeError(h.runtime.podSandboxStatus(id), 'NotFound');
      await h.runtime.removePodSandbox(id);
    });

    test('container: created, running, then exit 0 is Completed', async (t) => {
      const sb = await sandbox(t);
      const config = containerConfig('done', sh(`sleep 0.3; ${CONTRACT_COMMANDS.exitZero}`), { attempt: 1, annotations: { a: 'b' } });
      const id = await h.runtime.createContainer(sb.id, config, sb.config);
      const created = await h.runtime.containerStatus(id);
      assert.equal(created.state, 'CREATED');
      assert.equal(created.name, 'done');
      assert.equal(created.attempt, 1);
      assert.equal(created.sandboxId, sb.id);
      assert.equal(created.image, h.image);
      assert.match(created.imageRef, /^sha256:[0-9a-f]{64}$/);
      assert.equal(created.logPath, join(sb.config.logDirectory, 'done/0.log'));
      assert.deepEqual(created.labels, config.labels);
      assert.deepEqual(created.annotations, { a: 'b' });
      await h.runtime.startContainer(id);
      const running = await h.runtime.containerStatus(id);
      assert.equal(running.state, 'RUNNING');
      assert.ok(running.startedAt !== undefined && running.startedAt >= created.createdAt);
      const exited = await waitForExit(h.runtime, id);
      assert.equal(exited.exitCode, 0);
      assert.equal(exited.reason, 'Completed');
      assert.ok(exited.finishedAt !== undefined && exited.finishedAt >= running.startedAt!);
    });

    test('container: a non-zero exit is Error with its code', async (t) => {
      const sb = await sandbox(t);
      const id = await run(sb, containerConfig('fails', sh(CONTRACT_COMMANDS.exitSeven)));
      const exited = await waitForExit(h.runtime, id);
      assert.equal(exited.exitCode, 7);
      assert.equal(exited.reason, 'Error');
    });

    test('container events, when offered: an exit is told once the status shows it, a removal once it is gone', async (t) => {
      const subscribe = h.runtime.subscribeContainerEvents?.bind(h.runtime);
      if (!subscribe) return t.skip('the runtime offers no container events');
      const events: RuntimeContainerEvent[] = [];
      const statusAtEvent = new Map<string, Promise<RuntimeContainer | undefined>>();
      const unsubscribe = subscribe((e) => {
        events.push(e);
        statusAtEvent.set(e.type, h.runtime.containerStatus(e.containerId).catch(() => undefined));
      });
      t.after(unsubscribe);
      const sb = await sandbox(t);
      const id = await run(sb, containerConfig('evented', sh(CONTRACT_COMMANDS.exitSeven)));
      const told = async (type: RuntimeContainerEvent['type']) => {
        const deadline = Date.now() + 20_000;
        while (!events.some((e) => e.type === type && e.containerId === id)) {
          if (Date.now() > deadline) assert.fail(`no ${type} event for the container: ${JSON.stringify(events)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        return events.find((e) => e.type === type && e.containerId === id)!;
      };
      const stopped = await told('ContainerStopped');
      assert.deepEqual(stopped, { type: 'ContainerStopped', containerId: id, sandboxId: sb.id, podUid: sb.config.podUid });
      const atStop = await statusAtEvent.get('ContainerStopped');
      assert.equal(atStop?.state, 'EXITED');
      assert.equal(atStop?.exitCode, 7);
      await h.runtime.removeContainer(id);
      await told('ContainerDeleted');
      assert.ok(!(await h.runtime.listContainers()).some((c) => c.id === id));
      unsubscribe();
      const count = events.length;
      const after = await run(sb, containerConfig('unheard', sh(CONTRACT_COMMANDS.exitZero)));
      await waitForExit(h.runtime, after);
      assert.equal(events.length, count, 'no events after unsubscribing');
    });

    test('container: a command that cannot be executed ends StartError, 128', async (t) => {
      const sb = await sandbox(t);
      const id = await h.runtime.createContainer(sb.id, containerConfig('missing', [CONTRACT_COMMANDS.missingCommand]), sb.config);
      await assert.rejects(h.runtime.startContainer(id), RuntimeError);
      const status = await h.runtime.containerStatus(id);
      assert.equal(status.state, 'EXITED');
      assert.equal(status.exitCode, 128);
      assert.equal(status.reason, 'StartError');
      assert.match(status.message ?? '', new RegExp(CONTRACT_COMMANDS.missingCommand));
    });

    test('stopContainer: the stop signal first; a handler decides the exit code', async (t) => {
      const sb = await sandbox(t);
      const id = await run(sb, containerConfig('traps', sh(CONTRACT_COMMANDS.trapTermExit3)));
      await sleep(300); // let the shell install its trap
      await h.runtime.stopContainer(id, 20);
      const status = await h.runtime.containerStatus(id);
      assert.equal(status.state, 'EXITED');
      assert.equal(status.exitCode, 3);
      assert.equal(status.reason, 'Error');
    });

    test('stopContainer: SIGKILL after the timeout when the stop signal is ignored (137)', async (t) => {
      const sb = await sandbox(t);
      const id = await run(sb, containerConfig('stubborn', sh(CONTRACT_COMMANDS.ignoreTerm)));
      await sleep(300);
      const started = Date.now();
      await h.runtime.stopContainer(id, 1);
      const elapsed = Date.now() - started;
      const status = await h.runtime.containerStatus(id);
      assert.equal(status.exitCode, 137);
      assert.ok(elapsed >= 900, `stopped after ${elapsed} ms, before the 1 s timeout`);
      await h.runtime.stopContainer(id, 1); // idempotent once exited
      assert.equal((await h.runtime.containerStatus(id)).exitCode, 137);
    });

    test('stopContainer: PID 1 without a handler ignores SIGTERM (137), otherwise SIGTERM kills (143)', async (t) => {
      const sb = await sandbox(t);
      const id = await run(sb, containerConfig('sleeper', [...CONTRACT_COMMANDS.longSleep]));
      const started = Date.now();
      await h.runtime.stopContainer(id, 1);
      const elapsed = Date.now() - started;
      const status = await h.runtime.containerStatus(id);
      if (caps().pidNamespace) {
        assert.equal(status.exitCode, 137);
        assert.ok(elapsed >= 900, `stopped after ${elapsed} ms, before the 1 s timeout`);
      } else {
        assert.equal(status.exitCode, 143);
      }
    });

    test('stopContainer with timeout 0 kills at once', async (t) => {
      const sb = await sandbox(t);
      const id = await run(sb, containerConfig('killed', sh(CONTRACT_COMMANDS.trapTermExit3)));
      await h.runtime.stopContainer(id, 0);
      // 137, not the 3 its SIGTERM trap would exit with: no SIGTERM came first.
      assert.equal((await h.runtime.containerStatus(id)).exitCode, 137);
    });

    test('listContainers filters by sandbox, state and labels', async (t) => {
      const a = await sandbox(t);
      const b = await sandbox(t);
      const running = await run(a, containerConfig('runs', [...CONTRACT_COMMANDS.longSleep], { labels: { role: 'server' } }));
      const created = await h.runtime.createContainer(a.id, containerConfig('waits', sh(CONTRACT_COMMANDS.exitZero), { labels: { role: 'client' } }), a.config);
      const other = await h.runtime.createContainer(b.id, containerConfig('elsewhere', sh(CONTRACT_COMMANDS.exitZero)), b.config);
      const ids = (cs: RuntimeContainer[]) => cs.map((c) => c.id).sort();
      assert.deepEqual(ids(await h.runtime.listContainers({ sandboxId: a.id })), [running, created].sort());
      assert.deepEqual(ids(await h.runtime.listContainers({ sandboxId: a.id, state: 'RUNNING' })), [running]);
      assert.deepEqual(ids(await h.runtime.listContainers({ labels: { role: 'client' } })), [created]);
      assert.deepEqual(ids(await h.runtime.listContainers({ sandboxId: b.id })), [other]);
      assert.ok(ids(await h.runtime.listContainers()).includes(other));
      assert.deepEqual(ids(await h.runtime.listContainers({ sandboxId: a.id, state: 'CREATED' })), [created]);
      assert.deepEqual(ids(await h.runtime.listContainers({ sandboxId: a.id, labels: { role: 'server' } })), [running]);
      assert.deepEqual(ids(await h.runtime.listContainers({ sandboxId: a.id, state: 'RUNNING', labels: { role: 'server' } })), [running]);
      assert.deepEqual(ids(await h.runtime.listContainers({ labels: { role: 'client' }, state: 'CREATED' })), [created]);
      assert.deepEqual(await h.runtime.listContainers({ sandboxId: a.id, state: 'EXITED' }), []);
      assert.deepEqual(await h.runtime.listContainers({ sandboxId: b.id, labels: { role: 'server' } }), []);
      assert.deepEqual(await h.runtime.listContainers({ labels: { role: 'server' }, state: 'CREATED' }), []);
      await h.runtime.stopContainer(running, 0);
      assert.deepEqual(ids(await h.runtime.listContainers({ sandboxId: a.id, state: 'EXITED' })), [running]);
    });

    test('listPodSandboxes filters by id, state and labels', async (t) => {
      const group = `g-${runId}-${seq}`;
      const a = await sandbox(t, { labels: { 'contract.k8ts.io/group': group, tier: 'front' } });
      const b = await sandbox(t, { labels: { 'contract.k8ts.io/group': group, tier: 'back' } });
      await h.runtime.stopPodSandbox(b.id);
      const ids = (ss: { id: string }[]) => ss.map((s) => s.id).sort();
      const inGroup = { 'contract.k8ts.io/group': group };
      const [byId] = await h.runtime.listPodSandboxes({ id: a.id });
      assert.equal(byId?.id, a.id);
      assert.equal(byId.state, 'READY');
      assert.deepEqual(byId.labels, a.config.labels);
      assert.deepEqual(ids(await h.runtime.listPodSandboxes({ labels: inGroup })), [a.id, b.id].sort());
      assert.deepEqual(ids(await h.runtime.listPodSandboxes({ labels: { ...inGroup, tier: 'back' } })), [b.id]);
      const ready = ids(await h.runtime.listPodSandboxes({ state: 'READY' }));
      assert.ok(ready.includes(a.id) && !ready.includes(b.id), ready.join(' '));
      const notReady = ids(await h.runtime.listPodSandboxes({ state: 'NOTREADY' }));
      assert.ok(notReady.includes(b.id) && !notReady.includes(a.id), notReady.join(' '));
      assert.deepEqual(ids(await h.runtime.listPodSandboxes({ labels: inGroup, state: 'READY' })), [a.id]);
      assert.deepEqual(ids(await h.runtime.listPodSandboxes({ id: b.id, state: 'NOTREADY', labels: inGroup })), [b.id]);
      assert.deepEqual(await h.runtime.listPodSandboxes({ id: a.id, state: 'NOTREADY' }), []);
      assert.deepEqual(await h.runtime.listPodSandboxes({ id: a.id, labels: { tier: 'back' } }), []);
      assert.deepEqual(await h.runtime.listPodSandboxes({ labels: { 'contract.k8ts.io/group': `${group}-none` } }), []);
      assert.deepEqual(await h.runtime.listPodSandboxes({ id: 'no-such-sandbox' }), []);
      assert.deepEqual(ids(await h.runtime.listPodSandboxes({ labels: inGroup })), [a.id, b.id].sort(), 'a narrower listing forgot nothing');
    });

    test('removeContainer: gone afterwards, also when it was running; unknown ids are NotFound', async (t) => {
      const sb = await sandbox(t);
      const done = await run(sb, containerConfig('short', sh(CONTRACT_COMMANDS.exitZero)));
      await waitForExit(h.runtime, done);
      await h.runtime.removeContainer(done);
      await assertRuntimeError(h.runtime.containerStatus(done), 'NotFound');
      const running = await run(sb, containerConfig('long', [...CONTRACT_COMMANDS.longSleep]));
      await h.runtime.removeContainer(running);
      assert.deepEqual(await h.runtime.listContainers({ sandboxId: sb.id }), []);
      await h.runtime.removeContainer(running);
      await assertRuntimeError(h.runtime.startContainer('no-such-container'), 'NotFound');
      await assertRuntimeError(h.runtime.stopContainer('no-such-container', 0), 'NotFound');
      await assertRuntimeError(h.runtime.createContainer('no-such-sandbox', containerConfig('x', sh('true')), sb.config), 'NotFound');
    });

    test('stopPodSandbox stops its containers', async (t) => {
      const sb = await sandbox(t);
      const id = await run(sb, containerConfig('long', [...CONTRACT_COMMANDS.longSleep]));
      await h.runtime.stopPodSandbox(sb.id);
      const status = await h.runtime.containerStatus(id);
      assert.equal(status.state, 'EXITED');
      assert.equal(status.exitCode, 137);
    });

    test('images: pull gives a reference; status and list know the image', async () => {
      const ref = await h.runtime.pullImage(h.image);
      assert.match(ref, /^sha256:[0-9a-f]{64}$/);
      const info = await h.runtime.imageStatus(h.image);
      assert.ok(info);
      assert.equal(info.id, ref);
      assert.ok((await h.runtime.listImages()).some((i) => i.id === ref));
    });

    describe('with real processes', () => {
      const skip = () => (caps().realProcesses ? false : 'the runtime does not run commands');

      test('command, args, env (exactly), workingDir', async (t) => {
        if (skip()) return t.skip(String(skip()));
        const sb = await sandbox(t);
        const work = join(scratch, `work-${++seq}`);
        await mkdir(work);
        process.env.K8TS_CONTRACT_LEAK = 'leaked';
        t.after(() => void delete process.env.K8TS_CONTRACT_LEAK);
        const id = await run(sb, containerConfig('env', ['sh', '-c'], {
          args: ['echo "args=$0,$1"; echo "pwd=$(pwd)"; env | sort', 'zero', 'one'],
          env: [{ name: 'GREETING', value: 'hello world' }, { name: 'EMPTY', value: '' }],
          workingDir: work,
        }));
        const exited = await waitForExit(h.runtime, id);
        assert.equal(exited.exitCode, 0);
        const out = await logText(exited.logPath);
        assert.match(out, /^args=zero,one$/m);
        assert.match(out, new RegExp(`^pwd=${work}$`, 'm'));
        assert.match(out, /^GREETING=hello world$/m);
        assert.match(out, /^EMPTY=$/m);
        assert.match(out, /^PATH=\//m);
        assert.doesNotMatch(out, /K8TS_CONTRACT_LEAK/);
      });

      test('the environment is exact, for the command and for exec', async (t) => {
        if (skip()) return t.skip(String(skip()));
        const sb = await sandbox(t);
        const env = [
          { name: 'QUOTED', value: "it's \"quoted\" $HOME `x`" },
          { name: 'my.dotted', value: 'dots' },
          { name: 'PATH', value: '/usr/bin:/bin' },
        ];
        const expected = ['QUOTED=it\'s "quoted" $HOME `x`', 'my.dotted=dots', 'PATH=/usr/bin:/bin'];
        const printed = await run(sb, containerConfig('printenv', ['env'], { env }));
        const exited = await waitForExit(h.runtime, printed);
        const lines = (await logText(exited.logPath)).split('\n').filter(Boolean);
        for (const line of expected) assert.ok(lines.includes(line), `${line} in ${JSON.stringify(lines)}`);
        assert.ok(!lines.some((l) => l.startsWith('PWD=')), 'no shell added PWD');
        const target = await run(sb, containerConfig('target', [...CONTRACT_COMMANDS.longSleep], { env: [...env, { name: 'MULTI', value: 'a\nb' }] }));
        const result = await h.runtime.execSync(target, ['env'], 10);
        const execLines = result.stdout.toString().split('\n');
        for (const line of expected) assert.ok(execLines.includes(line), `${line} in ${JSON.stringify(execLines)}`);
        assert.match(result.stdout.toString(), /^MULTI=a\nb$/m);
        await h.runtime.stopContainer(target, 0);
      });

      test('logs: CRI lines at logPath, stdout and stderr, partial last line', async (t) => {
        if (skip()) return t.skip(String(skip()));
        const sb = await sandbox(t);
        const id = await run(sb, containerConfig('logs', sh('echo out; echo err >&2; printf tail')));
        const exited = await waitForExit(h.runtime, id);
        const text = await readFile(exited.logPath, 'utf8');
        const lines = text.split('\n').filter(Boolean);
        for (const line of lines) assert.match(line, CRI_LINE);
        assert.ok(lines.some((l) => / stdout F out$/.test(l)), text);
        assert.ok(lines.some((l) => / stderr F err$/.test(l)), text);
        assert.ok(lines.some((l) => / stdout P tail$/.test(l)), text);
      });

      test('execSync: exit code, stdout and stderr; a timeout kills the command', async (t) => {
        if (skip()) return t.skip(String(skip()));
        const sb = await sandbox(t);
        const id = await run(sb, containerConfig('target', [...CONTRACT_COMMANDS.longSleep], { env: [{ name: 'WHO', value: 'container' }] }));
        const result = await h.runtime.execSync(id, sh('echo "to $WHO"; echo oops >&2; exit 5'), 10);
        assert.equal(result.exitCode, 5);
        assert.equal(result.stdout.toString(), 'to container\n');
        assert.equal(result.stderr.toString(), 'oops\n');
        assert.equal(result.timedOut, false);
        const slow = await h.runtime.execSync(id, ['sleep', '30'], 1);
        assert.equal(slow.timedOut, true);
        await h.runtime.stopContainer(id, 0);
        await assertRuntimeError(h.runtime.execSync(id, ['true'], 1), 'FailedPrecondition');
      });

      test('exec with streams: stdin in, stdout and stderr out, exit code back', async (t) => {
        if (skip()) return t.skip(String(skip()));
        const sb = await sandbox(t);
        const id = await run(sb, containerConfig('target', [...CONTRACT_COMMANDS.longSleep]));
        const stdin = new PassThrough();
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        stdout.on('data', (c: Buffer) => out.push(c));
        stderr.on('data', (c: Buffer) => err.push(c));
        const exit = h.runtime.exec(id, sh('tr a-z A-Z; echo done >&2; exit 4'), { stdin, stdout, stderr, tty: false });
        stdin.end('shout\n');
        assert.equal(await exit, 4);
        assert.equal(Buffer.concat(out).toString(), 'SHOUT\n');
        assert.equal(Buffer.concat(err).toString(), 'done\n');
        await h.runtime.stopContainer(id, 0);
      });

      test('attach: the output of the main process, and its stdin once', async (t) => {
        if (skip()) return t.skip(String(skip()));
        const sb = await sandbox(t);
        const id = await run(sb, containerConfig('interactive', sh('echo ready; tr a-z A-Z; echo bye >&2'), { stdin: true, stdinOnce: true }));
        const stdin = new PassThrough();
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        let out = '';
        let err = '';
        stdout.on('data', (c: Buffer) => (out += c.toString()));
        stderr.on('data', (c: Buffer) => (err += c.toString()));
        const attached = h.runtime.attach(id, { stdin, stdout, stderr, tty: false });
        stdin.end('hello\n');
        const exited = await waitForExit(h.runtime, id);
        await attached;
        assert.equal(exited.exitCode, 0);
        assert.match(out, /HELLO/, `attached output ${JSON.stringify(out)}, log ${await readFile(exited.logPath, "utf8")}`);
        assert.match(err, /bye/);
        const log = await logText(exited.logPath);
        assert.match(log, /ready\nHELLO\nbye/);
      });

      test('two containers of a sandbox share localhost', async (t) => {
        if (skip()) return t.skip(String(skip()));
        const sb = await sandbox(t);
        const port = randomPort();
        const www = join(scratch, `www-${++seq}`);
        await mkdir(www);
        await writeFile(join(www, 'index.html'), 'shared localhost\n');
        const server = await run(sb, containerConfig('server', ['busybox', 'httpd', '-f', '-p', String(port), '-h', www], { mounts: sameDirMount(www) }));
        const client = await run(sb, containerConfig('client', sh(
          `for i in $(seq 1 50); do busybox wget -q -O - http://127.0.0.1:${port}/ && exit 0; sleep 0.1; done; exit 1`,
        )));
        const exited = await waitForExit(h.runtime, client);
        assert.equal(exited.exitCode, 0);
        assert.match(await logText(exited.logPath), /shared localhost/);
        await h.runtime.stopContainer(server, 0);
      });

      test('the pod IP reaches the sandbox from the host and from its containers', async (t) => {
        if (skip()) return t.skip(String(skip()));
        if (!caps().network) return t.skip('the runtime has no pod network');
        const sb = await sandbox(t);
        const { ip } = await h.runtime.podSandboxStatus(sb.id);
        assert.ok(ip);
        const www = join(scratch, `www-${++seq}`);
        await mkdir(www);
        await writeFile(join(www, 'index.html'), 'pod ip\n');
        await run(sb, containerConfig('server', ['busybox', 'httpd', '-f', '-p', '8080', '-h', www], { mounts: sameDirMount(www) }));
        assert.equal(await httpGet(ip, 8080), 'pod ip\n');
        const client = await run(sb, containerConfig('client', sh(`busybox wget -q -O - http://${ip}:8080/`)));
        const exited = await waitForExit(h.runtime, client);
        assert.equal(exited.exitCode, 0);
        assert.match(await logText(exited.logPath), /pod ip/);
      });

      test('mounts: a host directory read-write and read-only', async (t) => {
        if (skip()) return t.skip(String(skip()));
        if (!caps().mounts) return t.skip('the runtime does not bind mounts');
        const sb = await sandbox(t);
        const rw = join(scratch, `rw-${++seq}`);
        const ro = join(scratch, `ro-${seq}`);
        await mkdir(rw);
        await mkdir(ro);
        await writeFile(join(ro, 'given'), 'from the host\n');
        const id = await run(sb, containerConfig('mounts', sh(
          'echo written > /k8ts-contract/rw/out; cat /k8ts-contract/ro/given; ' +
            'if echo no > /k8ts-contract/ro/out 2>/dev/null; then echo ro-writable; else echo ro-refused; fi',
        ), {
          mounts: [
            { hostPath: rw, containerPath: '/k8ts-contract/rw', readonly: false },
            { hostPath: ro, containerPath: '/k8ts-contract/ro', readonly: true },
          ],
        }));
        const exited = await waitForExit(h.runtime, id);
        assert.equal(exited.exitCode, 0);
        assert.equal(await readFile(join(rw, 'out'), 'utf8'), 'written\n');
        const out = await logText(exited.logPath);
        assert.match(out, /from the host/);
        assert.match(out, /ro-refused/);
      });

      test('portForward reaches a listener inside the sandbox', async (t) => {
        if (skip()) return t.skip(String(skip()));
        const sb = await sandbox(t);
        const port = caps().network ? 8080 : randomPort();
        const www = join(scratch, `www-${++seq}`);
        await mkdir(www);
        await writeFile(join(www, 'index.html'), 'forwarded\n');
        await run(sb, containerConfig('server', ['busybox', 'httpd', '-f', '-p', String(port), '-h', www], { mounts: sameDirMount(www) }));
        const response = await retry(async () => {
          const socket = await h.runtime.portForward(sb.id, port);
          socket.end('GET / HTTP/1.0\r\n\r\n');
          const chunks: Buffer[] = [];
          for await (const c of socket) chunks.push(c as Buffer);
          return Buffer.concat(chunks).toString();
        });
        assert.match(response, /^HTTP\/1\.[01] 200/);
        assert.match(response, /forwarded/);
      });
    });
  });
}

async function waitForExit(runtime: Runtime, id: string, timeoutMs = 20_000): Promise<RuntimeContainer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await runtime.containerStatus(id);
    if (status.state === 'EXITED') return status;
    if (Date.now() > deadline) assert.fail(`container ${status.name} did not exit within ${timeoutMs} ms (state ${status.state})`);
    await sleep(50);
  }
}

/** The text of a CRI log, without timestamps and tags. */
async function logText(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter(Boolean).map((l) => l.replace(CRI_LINE, '')).join('\n') + '\n';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}

async function retry<T>(fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

function httpGet(host: string, port: number): Promise<string> {
  return retry(
    () =>
      new Promise<string>((resolve, reject) => {
        const req = request({ host, port, path: '/', timeout: 2000 }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`HTTP ${res.statusCode}`))));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      }),
  );
}
