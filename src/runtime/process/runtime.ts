// The process runtime: pods as host processes in Linux namespaces. A sandbox is an infra process
// holding the pod's network, UTS and IPC namespaces (and its PID namespace when shared); a container
// is the host's filesystem seen through a private overlay, in its own mount and PID namespaces,
// watched by a tiny supervisor that records its exit code in a file. All state lives under rootDir,
// so a new runtime over the same directory adopts what an earlier one started.

import { randomBytes, createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { realClock, type Clock } from '../../util/clock.js';
import { safeRemove } from '../../util/safe-remove.js';
import { linkOptions, type PodNetwork } from '../../network/pod-network/index.js';
import { run } from '../../network/pod-network/host-command.js';
import {
  RuntimeError,
  type ContainerConfig,
  type ContainerFilter,
  type ExecResult,
  type ImageInfo,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxStatus,
  type Runtime,
  type RuntimeCondition,
  type RuntimeContainer,
  type RuntimeContainerEvent,
  type RuntimeVersion,
  type StreamOptions,
  labelsMatch,
} from '../types.js';
import { cgroupDirs, cgroupProcesses, createCgroups, oomKilled, removeCgroups } from './cgroups.js';
import { execStreaming, execSync, type ExecTarget } from './exec.js';
import { ExitWatcher } from './exit-watcher.js';
import { hasNoSettings, ImageCatalog, imageInfo, imageRef, imagesDir, normalizeImageName, type ImageRecord } from './images.js';
import { launchContainer, launchInfra } from './launch.js';
import { ContainerInput, ContainerOutput, FifoPool, stdioPaths, type ContainerStdin } from './output.js';
import { isAlive, signalProcess } from './procfs.js';
import { RecordStore, type ContainerRecord, type PidNamespaceMode, type SandboxRecord } from './records.js';
import { prepareRootfs } from './rootfs.js';
import { sandboxFiles, writeSandboxFiles } from './sandbox-files.js';
import { shimBinary, specFileOf, specTokens } from './shim.js';
import { envValue, execScript, processSpec } from './spec.js';
import { Terminal, TERMINAL_PREFIX } from './terminal.js';
import { UNISOLATED_WARNING, unisolatedRefusal } from './unisolated.js';

export interface ProcessRuntimeOptions {
  rootDir: string;
  clock?: Clock;
  /** null: every sandbox shares the host's network. */
  network: PodNetwork | null;
  images?: ImageCatalog;
  /**
   * `none`: containers are plain host processes (no namespaces, root filesystem or cgroups), for a
   * node agent without root. Default `namespaces`, which needs root.
   */
  isolation?: 'namespaces' | 'none';
}

/** A plain host process gets a session of its own, so that stopping it reaches what it started. */
const SESSION_PREFIX = ['/usr/bin/setsid', '--wait', '--'];

/** How long an exited container's output may take to drain before its exit is reported anyway. */
const OUTPUT_DRAIN_MS = 2000;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** What the runtime holds in this process for a container that runs. */
interface LiveContainer {
  exited: Deferred;
  /** Settles once the launch report (started, or failed to start) is applied to the record. */
  launched?: Promise<void>;
  output?: ContainerOutput;
  input?: ContainerStdin;
  /** The container's terminal (`tty: true`), held by this agent: it does not survive a restart. */
  terminal?: Terminal;
  stdinClaimed?: boolean;
  /** The exit was seen and is being recorded (after the output drained). */
  settling?: boolean;
}

export async function createProcessRuntime(opts: ProcessRuntimeOptions): Promise<ProcessRuntime> {
  const runtime = new ProcessRuntime(opts, opts.images ?? (await ImageCatalog.load(imagesDir(opts.rootDir))));
  await runtime.open();
  return runtime;
}

export class ProcessRuntime implements Runtime {
  readonly rootDir: string;
  private readonly clock: Clock;
  private readonly network: PodNetwork | null;
  private readonly sandboxStore: RecordStore<SandboxRecord>;
  private readonly containerStore: RecordStore<ContainerRecord>;
  private readonly exits: ExitWatcher;
  private readonly fifos: FifoPool;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly live = new Map<string, LiveContainer>();
  /** The exit notice in flight per container; notices that come meanwhile ask for one more look after it. */
  private readonly exitNotices = new Map<string, ExitNotice>();
  private readonly eventListeners = new Set<(event: RuntimeContainerEvent) => void>();
  private closed = false;
  /** The cgroup parent of containers whose sandbox names none: unique to this root directory. */
  private readonly cgroupParent: string;
  /** Whether sandboxes and containers get namespaces, root filesystems and cgroups (root only). */
  readonly isolated: boolean;

  constructor(opts: ProcessRuntimeOptions, private readonly images: ImageCatalog) {
    this.rootDir = resolve(opts.rootDir);
    this.clock = opts.clock ?? realClock;
    this.isolated = opts.isolation !== 'none';
    this.network = this.isolated ? opts.network : null;
    this.sandboxStore = new RecordStore(join(this.rootDir, 'sandboxes'), 'sandbox.json');
    this.containerStore = new RecordStore(join(this.rootDir, 'containers'), 'container.json');
    this.exits = new ExitWatcher(join(this.rootDir, 'exits'), (id) => this.noticeExit(id));
    this.fifos = new FifoPool(join(this.rootDir, 'fifos'));
    this.cgroupParent = `k8ts-${createHash('sha256').update(this.rootDir).digest('hex').slice(0, 12)}`;
  }

  /** Loads the persisted state and adopts the containers that still run. */
  async open(): Promise<void> {
    await this.exits.start();
    await this.fifos.removeStale();
    for (const record of await this.sandboxStore.loadAll()) this.sandboxes.set(record.id, record);
    for (const record of await this.containerStore.loadAll()) {
      this.containers.set(record.id, record);
      if (record.state !== 'RUNNING') continue;
      const live: LiveContainer = { exited: deferred() };
      this.live.set(record.id, live);
      if (await this.exits.read(record.id)) {
        await this.observeExit(record.id);
      } else if (isAlive(record.supervisor) && !record.config.tty) {
        const paths = stdioPaths(this.containerStore.dirOf(record.id));
        try {
          live.output = ContainerOutput.forRunningContainer(paths, record.logPath);
        } catch {
          // FIFOs gone: the output of the container is lost, its exit is still observed.
        }
      } else {
        await this.observeExit(record.id, true);
      }
    }
  }

  /** What this runtime can do, for the contract suite and the node agent. */
  get capabilities(): { pidNamespace: boolean; network: boolean } {
    return { pidNamespace: this.isolated, network: this.network !== null };
  }

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'k8ts-process', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
  }

  /** Always ready: the runtime is this process, and its pod network is set up before it serves. */
  async status(): Promise<RuntimeCondition[]> {
    return [
      { type: 'RuntimeReady', status: true, reason: '', message: '' },
      { type: 'NetworkReady', status: true, reason: '', message: '' },
    ];
  }

  // ---- sandboxes -------------------------------------------------------------------------------

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = randomBytes(32).toString('hex');
    const dir = this.sandboxStore.dirOf(id);
    const hostNetwork = config.hostNetwork || this.network === null;
    const record: SandboxRecord = {
      id,
      config,
      createdAt: this.clock.now(),
      state: 'READY',
      namespaces: this.isolated
        ? { net: !hostNetwork, uts: !hostNetwork, ipc: !config.hostIPC, pid: config.shareProcessNamespace && !config.hostPID }
        : { net: false, uts: false, ipc: false, pid: false },
    };
    const files = sandboxFiles(dir);
    await mkdir(join(dir, 'layers'), { recursive: true });
    try {
      // With the native helper the infra process connects its new network namespace itself: one process less.
      const connected = record.namespaces.net && shimBinary() !== undefined;
      const link = connected ? linkOptions(await this.network!.reserve(id, config.portMappings)) : undefined;
      const launched = await launchInfra(record.namespaces, config.hostname, this.isolated ? join(dir, 'layers') : undefined, link);
      record.infra = launched.infra;
      record.launcher = launched.launcher;
      if (record.namespaces.net) {
        const attachment = await this.network!.attach(id, launched.infra.pid, config.portMappings, { connected });
        record.ip = attachment.ip;
      }
      await writeSandboxFiles(files, config, record.ip);
      await this.sandboxStore.save(record);
    } catch (err) {
      signalProcess(record.infra, 'SIGKILL');
      if (record.namespaces.net) await this.network!.detach(id).catch(() => undefined);
      await this.unmountLayers(id);
      await this.sandboxStore.remove(id);
      throw new RuntimeError('CreateFailed', `failed to create sandbox for pod "${config.name}": ${(err as Error).message}`);
    }
    this.sandboxes.set(id, record);
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const sandbox = this.sandbox(id);
    const running = [...this.containers.values()].filter((c) => c.sandboxId === id && c.state === 'RUNNING');
    await Promise.all(running.map((c) => this.stopContainer(c.id, 0)));
    signalProcess(sandbox.infra, 'SIGKILL');
    signalProcess(sandbox.launcher, 'SIGKILL');
    if (sandbox.namespaces.net && this.network) await this.network.detach(id);
    if (sandbox.state !== 'NOTREADY') {
      sandbox.state = 'NOTREADY';
      await this.sandboxStore.save(sandbox);
    }
  }

  async removePodSandbox(id: string): Promise<void> {
    if (!this.sandboxes.has(id)) return;
    await this.stopPodSandbox(id);
    for (const container of [...this.containers.values()].filter((c) => c.sandboxId === id)) {
      await this.removeContainer(container.id);
    }
    await this.unmountLayers(id);
    await this.sandboxStore.remove(id);
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return this.sandboxStatus(this.sandbox(id));
  }

  /** Narrowed by id and labels before each state is read: a pod's sync costs its own sandboxes, not the node's. */
  async listPodSandboxes(filter: PodSandboxFilter = {}): Promise<PodSandboxStatus[]> {
    const candidates = filter.id !== undefined ? [this.sandboxes.get(filter.id)].filter((s) => s !== undefined) : [...this.sandboxes.values()];
    return candidates
      .filter((s) => labelsMatch(s.config.labels, filter.labels))
      .map((s) => this.sandboxStatus(s))
      .filter((s) => filter.state === undefined || s.state === filter.state);
  }

  private sandboxStatus(s: SandboxRecord): PodSandboxStatus {
    return {
      id: s.id,
      podUid: s.config.podUid,
      name: s.config.name,
      namespace: s.config.namespace,
      attempt: s.config.attempt,
      state: s.state === 'READY' && isAlive(s.infra) ? 'READY' : 'NOTREADY',
      createdAt: s.createdAt,
      ...(s.ip ? { ip: s.ip } : {}),
      additionalIps: [],
      hostNetwork: !s.namespaces.net,
      labels: s.config.labels,
      annotations: s.config.annotations,
      ...(this.isolated ? {} : { warning: UNISOLATED_WARNING }),
    };
  }

  private sandbox(id: string): SandboxRecord {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) throw new RuntimeError('NotFound', `an error occurred when try to find sandbox "${id}": not found`);
    return sandbox;
  }

  private async unmountLayers(id: string): Promise<void> {
    if (!this.isolated) return;
    const layers = join(this.sandboxStore.dirOf(id), 'layers');
    await run('umount', [layers]).catch(() => run('umount', ['-l', layers]).catch(() => undefined));
  }

  // ---- containers ------------------------------------------------------------------------------

  async createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const sandbox = this.sandbox(sandboxId);
    if (this.sandboxStatus(sandbox).state !== 'READY') {
      throw new RuntimeError('FailedPrecondition', `failed to create containerd container: sandbox "${sandboxId}" is not running`);
    }
    if (!this.isolated) {
      const refusal = unisolatedRefusal(config, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
      if (refusal) throw new RuntimeError('InvalidArgument', refusal);
    }
    await this.images.refresh();
    const image = this.imageRecord(config.image);
    const spec = this.containerSpec(image, config, sandbox.config.hostname);
    const id = randomBytes(32).toString('hex');
    const dir = this.containerStore.dirOf(id);
    const logPath = resolve(sandboxConfig.logDirectory || sandbox.config.logDirectory, config.logPath);
    const pidNamespace: PidNamespaceMode = sandbox.config.hostPID || !this.isolated ? 'host' : sandbox.namespaces.pid ? 'pod' : 'container';
    const cgroupParent = sandbox.config.cgroupParent?.replace(/^\/+/, '') || this.cgroupParent;
    const record: ContainerRecord = {
      id,
      sandboxId,
      config,
      createdAt: this.clock.now(),
      state: 'CREATED',
      image: config.image,
      imageRef: imageRef(image),
      logPath,
      spec,
      pidNamespace,
      cgroupParent,
      ownCgroupParent: cgroupParent === this.cgroupParent,
      ...(this.isolated ? {} : { plain: true }),
    };
    // Without isolation the user is this process's own: no user switch (unisolatedRefusal checked it).
    if (record.plain) delete record.spec.user;
    try {
      await mkdir(dir, { recursive: true });
      await mkdir(dirname(logPath), { recursive: true });
      await this.fifos.create(stdioPaths(dir), config.stdin && !config.tty);
      if (!record.plain) {
        const fstab = await prepareRootfs(
          { layerDir: this.layerDir(sandboxId, id), newRoot: join(dir, 'rootfs') },
          sandboxFiles(this.sandboxStore.dirOf(sandboxId)),
          config.mounts,
          config.readonlyRootfs ?? false,
          image.layers ?? [],
        );
        await writeFile(join(dir, 'fstab'), fstab);
      }
      const prefix = config.tty ? TERMINAL_PREFIX : record.plain ? SESSION_PREFIX : [];
      if (shimBinary()) {
        const session = config.tty ? 'terminal' : record.plain ? 'session' : 'inherit';
        await writeFile(specFileOf(dir), specTokens(spec, spec.argv, session), { mode: 0o600 });
      } else {
        await writeFile(join(dir, 'exec'), execScript(spec, [...prefix, ...spec.argv]), { mode: 0o600 });
      }
      await this.containerStore.save(record);
    } catch (err) {
      await safeRemove(dir, { unmount: true });
      await safeRemove(this.layerDir(sandboxId, id), { unmount: true });
      throw new RuntimeError('CreateFailed', `failed to create container "${config.name}": ${(err as Error).message}`);
    }
    this.containers.set(id, record);
    this.emit('ContainerCreated', record);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const record = this.container(id);
    if (record.state !== 'CREATED') {
      throw new RuntimeError('FailedPrecondition', `container "${id}" is in ${containerStateName(record.state)} state, not CONTAINER_CREATED`);
    }
    const sandbox = this.sandbox(record.sandboxId);
    if (!isAlive(sandbox.infra)) {
      throw new RuntimeError('FailedPrecondition', `failed to start containerd task: sandbox "${sandbox.id}" is not running`);
    }
    const dir = this.containerStore.dirOf(id);
    const paths = stdioPaths(dir);
    if (!record.plain) record.cgroups = await createCgroups(record.cgroupParent, id, record.config.resources);
    const live: LiveContainer = { exited: deferred() };
    const stdio = record.config.tty ? this.terminalStdio(live, record) : this.fifoStdio(live, record, paths);
    const shimLog = join(dir, 'shim.log');
    const shimLogFd = openSync(shimLog, 'a');
    let launched;
    try {
      launched = launchContainer({
        plain: record.plain === true,
        infraPid: sandbox.infra!.pid,
        join: { net: sandbox.namespaces.net, uts: sandbox.namespaces.uts, ipc: sandbox.namespaces.ipc },
        pidNamespace: record.pidNamespace,
        newRoot: join(dir, 'rootfs'),
        fstab: join(dir, 'fstab'),
        workingDir: record.spec.workingDir,
        cgroupDirs: record.cgroups ? cgroupDirs(record.cgroups) : [],
        containerPath: envValue(record.spec, 'PATH') ?? '',
        command: record.spec.argv[0],
        execFile: join(dir, 'exec'),
        specFile: specFileOf(dir),
        exitFile: this.exits.fileOf(id),
        shimLog,
        shimLogFd,
        fifos: stdio.fifos,
        stdio: stdio.fds,
      });
    } finally {
      stdio.release();
      closeSync(shimLogFd);
    }
    record.supervisor = launched.supervisor;
    record.state = 'RUNNING';
    this.live.set(id, live);
    live.launched = (async () => {
      // Persisted before the container reports, so that an agent dying now leaves no orphan behind.
      await this.containerStore.save(record);
      const report = await launched.report;
      if ('started' in report) {
        record.main = report.started;
        record.startedAt = this.clock.now();
      } else {
        record.startError = report.failed;
      }
      await this.containerStore.save(record);
    })();
    launched.child.once('exit', () => this.noticeExit(id, true));
    launched.child.once('error', () => this.noticeExit(id, true));
    await live.launched;
    if (record.startError === undefined) {
      this.emit('ContainerStarted', record);
      return;
    }
    await live.exited.promise;
    throw new RuntimeError('StartFailed', record.message ?? record.startError);
  }

  /** Output through the log FIFOs, stdin (when asked for) through its own FIFO. */
  private fifoStdio(live: LiveContainer, record: ContainerRecord, paths: ReturnType<typeof stdioPaths>): ContainerStdio {
    const { output, writers } = ContainerOutput.forNewContainer(paths, record.logPath);
    live.output = output;
    const input = record.config.stdin ? new ContainerInput(paths.stdin) : undefined;
    live.input = input;
    return {
      fifos: { stdout: paths.stdout, stderr: paths.stderr },
      fds: { stdin: input?.containerFd ?? 'ignore', stdout: writers.stdout, stderr: writers.stderr },
      release: () => {
        closeSync(writers.stdout);
        closeSync(writers.stderr);
        input?.releaseContainerFd();
      },
    };
  }

  /** A terminal as stdin, stdout and stderr; its output is the log's stdout, its input the attached clients'. */
  private terminalStdio(live: LiveContainer, record: ContainerRecord): ContainerStdio {
    const terminal = new Terminal();
    live.terminal = terminal;
    live.output = ContainerOutput.forTerminal(terminal.output, record.logPath);
    if (record.config.stdin) live.input = { write: (chunk) => terminal.write(chunk), end: () => undefined, close: () => undefined };
    return {
      fifos: { stdout: '/dev/null', stderr: '/dev/null' },
      fds: { stdin: terminal.slave, stdout: terminal.slave, stderr: terminal.slave },
      release: () => terminal.releaseSlave(),
    };
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const record = this.container(id);
    const live = this.live.get(id);
    if (record.state !== 'RUNNING' || !live) return;
    if (timeoutSeconds > 0 && signalProcess(record.main, record.spec.stopSignal)) {
      const timer = deferred();
      const t = this.clock.setTimeout(timer.resolve, timeoutSeconds * 1000);
      await Promise.race([live.exited.promise, timer.promise]);
      t.cancel();
    }
    if (record.state === 'RUNNING') {
      await this.killAll(record);
      // An adopted container's supervisor is not this process's child: its death is noticed by looking.
      if (!isAlive(record.supervisor)) this.noticeExit(id, true);
      await live.exited.promise;
    }
  }

  /** SIGKILL to the main process (which ends its PID namespace) and to every process of the container. */
  private async killAll(record: ContainerRecord): Promise<void> {
    signalProcess(record.main, 'SIGKILL');
    // A plain host process leads a session and process group of its own: what it started is in it.
    if (record.plain && record.main) {
      try {
        process.kill(-record.main.pid, 'SIGKILL');
      } catch {
        // the group is empty
      }
    }
    if (record.cgroups) {
      for (const pid of await cgroupProcesses(record.cgroups)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
  }

  async removeContainer(id: string): Promise<void> {
    const record = this.containers.get(id);
    if (!record) return;
    if (record.state === 'RUNNING') await this.stopContainer(id, 0);
    const live = this.live.get(id);
    live?.output?.close();
    live?.input?.close();
    live?.terminal?.close();
    this.live.delete(id);
    if (record.cgroups) await removeCgroups(record.cgroups, record.cgroupParent, record.ownCgroupParent);
    await safeRemove(this.layerDir(record.sandboxId, id), { unmount: true });
    await this.exits.forget(id);
    await this.containerStore.remove(id);
    this.containers.delete(id);
    this.emit('ContainerDeleted', record);
  }

  async containerStatus(id: string): Promise<RuntimeContainer> {
    return this.containerView(this.container(id));
  }

  /** Narrowed by sandbox and labels before each container's liveness is checked. */
  async listContainers(filter: ContainerFilter = {}): Promise<RuntimeContainer[]> {
    return [...this.containers.values()]
      .filter((c) => (filter.sandboxId === undefined || c.sandboxId === filter.sandboxId) && labelsMatch(c.config.labels, filter.labels))
      .map((c) => this.containerView(c))
      .filter((c) => filter.state === undefined || c.state === filter.state);
  }

  private containerView(c: ContainerRecord): RuntimeContainer {
    // Supervisors started by an earlier agent are not our children: a query notices one that died.
    if (c.state === 'RUNNING' && c.supervisor && !isAlive(c.supervisor)) this.noticeExit(c.id, true);
    const state = c.state;
    return {
      id: c.id,
      sandboxId: c.sandboxId,
      name: c.config.name,
      attempt: c.config.attempt,
      state,
      createdAt: c.createdAt,
      ...(c.startedAt !== undefined ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt !== undefined ? { finishedAt: c.finishedAt } : {}),
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      ...(c.message !== undefined ? { message: c.message } : {}),
      image: c.image,
      imageRef: c.imageRef,
      logPath: c.logPath,
      labels: c.config.labels,
      annotations: c.config.annotations,
    };
  }

  private container(id: string): ContainerRecord {
    const record = this.containers.get(id);
    if (!record) throw new RuntimeError('NotFound', `an error occurred when try to find container "${id}": not found`);
    return record;
  }

  private layerDir(sandboxId: string, containerId: string): string {
    return join(this.sandboxStore.dirOf(sandboxId), 'layers', containerId);
  }

  /**
   * At most one look at a container's exit is in flight: every pod sync lists its containers and
   * each listing notices a dead supervisor, so looks that overlapped would pile up reads of the exit
   * file. A notice that comes meanwhile makes the one in flight look once more when it is done.
   */
  private noticeExit(id: string, supervisorExited = false): void {
    if (this.closed) return;
    const inFlight = this.exitNotices.get(id);
    if (inFlight) {
      inFlight.again = true;
      inFlight.supervisorExited ||= supervisorExited;
      return;
    }
    const notice: ExitNotice = { again: false, supervisorExited };
    this.exitNotices.set(id, notice);
    void (async () => {
      do {
        notice.again = false;
        try {
          await this.observeExit(id, notice.supervisorExited);
        } catch (err) {
          process.emitWarning(`k8ts process runtime: settling the exit of container ${id} failed: ${(err as Error).message}`);
        }
      } while (notice.again && !this.closed);
      this.exitNotices.delete(id);
    })();
  }

  /** Called for every exit file event and supervisor exit: settles the container once it ended. */
  private async observeExit(id: string, supervisorExited = false): Promise<void> {
    const record = this.containers.get(id);
    const live = this.live.get(id);
    if (!record || !live || record.state !== 'RUNNING') return;
    const recorded = await this.exits.read(id);
    if (!recorded && !supervisorExited) return;
    await live.launched;
    if (record.state !== 'RUNNING' || live.settling) return;
    live.settling = true;
    // Without a supervisor nothing would record this container's end: end it rather than orphan it.
    if (!recorded) await this.killAll(record);
    if (live.output) {
      const drained = deferred();
      const t = setTimeout(drained.resolve, OUTPUT_DRAIN_MS);
      await Promise.race([live.output.done, drained.promise]);
      clearTimeout(t);
    }
    live.input?.close();
    live.terminal?.close();
    const oom = record.cgroups ? await oomKilled(record.cgroups) : false;
    record.state = 'EXITED';
    record.finishedAt = this.clock.now();
    if (record.startError !== undefined) {
      record.exitCode = 128;
      record.reason = 'StartError';
      record.message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${record.startError}: unknown`;
    } else if (!recorded) {
      record.exitCode = 137;
      record.reason = 'Error';
      record.message = 'the supervisor of the container ended unexpectedly; the container was killed';
    } else {
      record.exitCode = recorded.exitCode;
      record.reason = oom ? 'OOMKilled' : recorded.exitCode === 0 ? 'Completed' : 'Error';
    }
    if (record.pidNamespace !== 'container') await this.killAll(record);
    await this.containerStore.save(record);
    live.exited.resolve();
    this.emit('ContainerStopped', record);
  }

  /** Container events from the runtime's own doings and the exit watcher: an exit is told once it is recorded. */
  subscribeContainerEvents(listener: (event: RuntimeContainerEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  private emit(type: RuntimeContainerEvent['type'], c: ContainerRecord): void {
    if (this.eventListeners.size === 0 || this.closed) return;
    const podUid = this.sandboxes.get(c.sandboxId)?.config.podUid;
    const event: RuntimeContainerEvent = { type, containerId: c.id, sandboxId: c.sandboxId, ...(podUid ? { podUid } : {}) };
    for (const listener of [...this.eventListeners]) {
      try {
        listener(event);
      } catch (err) {
        process.emitWarning(`k8ts process runtime: a container event listener failed: ${(err as Error).message}`);
      }
    }
  }

  // ---- streaming -------------------------------------------------------------------------------

  private execTarget(id: string): ExecTarget {
    const record = this.container(id);
    if (record.state !== 'RUNNING' || !isAlive(record.main)) {
      throw new RuntimeError('FailedPrecondition', `container "${id}" is not running`);
    }
    return { plain: record.plain === true, mainPid: record.main!.pid, pidNamespace: record.pidNamespace, spec: record.spec, cgroupDirs: record.cgroups ? cgroupDirs(record.cgroups) : [] };
  }

  async execSync(id: string, command: string[], timeoutSeconds: number): Promise<ExecResult> {
    return execSync(this.execTarget(id), command, timeoutSeconds);
  }

  async exec(id: string, command: string[], streams: StreamOptions): Promise<number> {
    return execStreaming(this.execTarget(id), command, streams);
  }

  /** Attaches to the container's output and input; on a terminal also passes the client's sizes to it. */
  async attach(id: string, streams: StreamOptions): Promise<void> {
    const record = this.container(id);
    const live = this.live.get(id);
    if (record.state !== 'RUNNING' || !live) throw new RuntimeError('FailedPrecondition', `container "${id}" is not running`);
    const ended = deferred();
    const unsubscribe = live.output?.subscribe((stream, chunk) => (stream === 'stdout' ? streams.stdout : streams.stderr)?.write(chunk));
    streams.stdout?.once('close', ended.resolve);
    streams.stderr?.once('close', ended.resolve);
    if (streams.stdin && live.input && !live.stdinClaimed) {
      const input = live.input;
      const stdin = streams.stdin;
      stdin.on('data', (chunk: Buffer) => {
        if (!live.stdinClaimed) input.write(chunk);
      });
      // With stdinOnce the container sees end-of-file when the first attached client's input ends.
      stdin.once('end', () => {
        if (!record.config.stdinOnce) return;
        live.stdinClaimed = true;
        input.end();
      });
    }
    const terminal = live.terminal;
    let attached = true;
    if (terminal && streams.resize) {
      void (async () => {
        for await (const size of streams.resize!) {
          if (!attached) break;
          terminal.resize(size);
        }
      })().catch(() => undefined);
    }
    await Promise.race([live.exited.promise, ended.promise]);
    attached = false;
    unsubscribe?.();
  }

  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    const sandbox = this.sandbox(sandboxId);
    if (this.sandboxStatus(sandbox).state !== 'READY') {
      throw new RuntimeError('FailedPrecondition', `sandbox "${sandboxId}" is not running`);
    }
    const host = sandbox.ip ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('connect', () => resolve(socket));
      socket.once('error', (err) =>
        reject(new RuntimeError('PortForwardFailed', `failed to connect to localhost:${port} inside namespace "${sandboxId}": ${err.message}`)),
      );
    });
  }

  // ---- images ----------------------------------------------------------------------------------

  private imageRecord(image: string): ImageRecord {
    try {
      return this.images.get(image) ?? { name: normalizeImageName(image) };
    } catch (err) {
      throw new RuntimeError('InvalidArgument', (err as Error).message);
    }
  }

  /** The process spec; without a command, says which profiles were consulted for the image. */
  private containerSpec(image: ImageRecord, config: ContainerConfig, hostname: string) {
    try {
      return processSpec(image, config, hostname);
    } catch (err) {
      if (!(err instanceof RuntimeError) || !/no command specified$/.test(err.message)) throw err;
      const profile = image.profile ?? (hasNoSettings(image) ? undefined : image.name);
      throw new RuntimeError('InvalidArgument', `${err.message}: ${profile ? `the image profile "${profile}" names no entrypoint or cmd` : noProfileMessage(image.name, this.images.profiles().map((p) => p.name))}, and the container names no command`);
    }
  }

  async pullImage(image: string): Promise<string> {
    await this.images.refresh();
    const known = this.imageRecord(image);
    const record = this.images.get(image) ?? (await this.images.add(known.name));
    return imageRef(record);
  }

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    await this.images.refresh();
    const record = this.images.get(this.imageRecord(image).name);
    return record ? imageInfo(record) : undefined;
  }

  async listImages(): Promise<ImageInfo[]> {
    await this.images.refresh();
    return this.images.list().map(imageInfo);
  }

  async removeImage(image: string): Promise<void> {
    await this.images.remove(this.imageRecord(image).name);
  }

  /** Stops and removes every sandbox and its containers (for `k8ts down`, and tests). */
  async removeAll(): Promise<void> {
    for (const id of [...this.sandboxes.keys()]) await this.removePodSandbox(id);
    for (const id of [...this.containers.keys()]) await this.removeContainer(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.exits.close();
    await this.fifos.close();
    for (const live of this.live.values()) {
      live.output?.close();
      live.terminal?.close();
    }
  }
}

interface ExitNotice {
  /** Another notice came while this one was in flight. */
  again: boolean;
  supervisorExited: boolean;
}

/** How a starting container's stdio is wired, and what the agent closes once it was handed over. */
interface ContainerStdio {
  fifos: { stdout: string; stderr: string };
  fds: { stdin: number | 'ignore'; stdout: number; stderr: number };
  release(): void;
}

const LISTED_PROFILES = 10;

function noProfileMessage(image: string, profiles: string[]): string {
  const listed = profiles.slice(0, LISTED_PROFILES).join(', ');
  const more = profiles.length > LISTED_PROFILES ? ` and ${profiles.length - LISTED_PROFILES} more` : '';
  return `no image profile on this node stands for "${image}" (${profiles.length ? `profiles consulted: ${listed}${more}` : 'the node has no image profiles'})`;
}

function containerStateName(state: string): string {
  return `CONTAINER_${state}`;
}
