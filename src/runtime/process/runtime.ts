// The process runtime: pods as host processes in Linux namespaces. A sandbox is an infra process
// holding the pod's network, UTS and IPC namespaces (and its PID namespace when shared); a container
// is the host's filesystem seen through a private overlay, in its own mount and PID namespaces,
// watched by a tiny supervisor that records its exit code in a file. All state lives under rootDir,
// so a new runtime over the same directory adopts what an earlier one started.

import { randomBytes, createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { realClock, type Clock } from '../../util/clock.js';
import type { PodNetwork } from '../../network/pod-network/index.js';
import { run } from '../../network/pod-network/host-command.js';
import {
  RuntimeError,
  type ContainerConfig,
  type ContainerFilter,
  type ExecResult,
  type ImageInfo,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type Runtime,
  type RuntimeContainer,
  type RuntimeVersion,
  type StreamOptions,
} from '../types.js';
import { cgroupDirs, cgroupProcesses, createCgroups, oomKilled, removeCgroups } from './cgroups.js';
import { execStreaming, execSync, type ExecTarget } from './exec.js';
import { ExitWatcher } from './exit-watcher.js';
import { ImageCatalog, imageInfo, imageRef, imagesDir, normalizeImageName, type ImageRecord } from './images.js';
import { launchContainer, launchInfra } from './launch.js';
import { ContainerInput, ContainerOutput, createFifos, stdioPaths } from './output.js';
import { isAlive, signalProcess } from './procfs.js';
import { RecordStore, type ContainerRecord, type PidNamespaceMode, type SandboxRecord } from './records.js';
import { prepareRootfs } from './rootfs.js';
import { sandboxFiles, writeSandboxFiles } from './sandbox-files.js';
import { envValue, execScript, processSpec } from './spec.js';

export interface ProcessRuntimeOptions {
  rootDir: string;
  clock?: Clock;
  /** null: every sandbox shares the host's network. */
  network: PodNetwork | null;
  images?: ImageCatalog;
}

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
  input?: ContainerInput;
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
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly live = new Map<string, LiveContainer>();
  private closed = false;
  /** The cgroup parent of containers whose sandbox names none: unique to this root directory. */
  private readonly cgroupParent: string;

  constructor(opts: ProcessRuntimeOptions, private readonly images: ImageCatalog) {
    this.rootDir = resolve(opts.rootDir);
    this.clock = opts.clock ?? realClock;
    this.network = opts.network;
    this.sandboxStore = new RecordStore(join(this.rootDir, 'sandboxes'), 'sandbox.json');
    this.containerStore = new RecordStore(join(this.rootDir, 'containers'), 'container.json');
    this.exits = new ExitWatcher(join(this.rootDir, 'exits'), (id) => this.noticeExit(id));
    this.cgroupParent = `k8ts-${createHash('sha256').update(this.rootDir).digest('hex').slice(0, 12)}`;
  }

  /** Loads the persisted state and adopts the containers that still run. */
  async open(): Promise<void> {
    await this.exits.start();
    for (const record of await this.sandboxStore.loadAll()) this.sandboxes.set(record.id, record);
    for (const record of await this.containerStore.loadAll()) {
      this.containers.set(record.id, record);
      if (record.state !== 'RUNNING') continue;
      const live: LiveContainer = { exited: deferred() };
      this.live.set(record.id, live);
      if (await this.exits.read(record.id)) {
        await this.observeExit(record.id);
      } else if (isAlive(record.supervisor)) {
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
    return { pidNamespace: true, network: this.network !== null };
  }

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'k8ts-process', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
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
      namespaces: { net: !hostNetwork, uts: !hostNetwork, ipc: !config.hostIPC, pid: config.shareProcessNamespace && !config.hostPID },
    };
    const files = sandboxFiles(dir);
    await mkdir(join(dir, 'layers'), { recursive: true });
    try {
      // The containers' writable layers: memory that is charged to them and vanishes with the sandbox.
      await run('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'k8ts-layers', join(dir, 'layers')]);
      const launched = await launchInfra(record.namespaces, config.hostname);
      record.infra = launched.infra;
      record.launcher = launched.launcher;
      if (record.namespaces.net) {
        const attachment = await this.network!.attach(id, launched.infra.pid, config.portMappings);
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

  async listPodSandboxes(): Promise<PodSandboxStatus[]> {
    return [...this.sandboxes.values()].map((s) => this.sandboxStatus(s));
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
    };
  }

  private sandbox(id: string): SandboxRecord {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) throw new RuntimeError('NotFound', `an error occurred when try to find sandbox "${id}": not found`);
    return sandbox;
  }

  private async unmountLayers(id: string): Promise<void> {
    const layers = join(this.sandboxStore.dirOf(id), 'layers');
    await run('umount', [layers]).catch(() => run('umount', ['-l', layers]).catch(() => undefined));
  }

  // ---- containers ------------------------------------------------------------------------------

  async createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const sandbox = this.sandbox(sandboxId);
    if (this.sandboxStatus(sandbox).state !== 'READY') {
      throw new RuntimeError('FailedPrecondition', `failed to create containerd container: sandbox "${sandboxId}" is not running`);
    }
    if (config.tty) {
      throw new RuntimeError('InvalidArgument', 'the process runtime does not support terminals (tty: true)');
    }
    await this.images.refresh();
    const image = this.imageRecord(config.image);
    const spec = processSpec(image, config, sandbox.config.hostname);
    const id = randomBytes(32).toString('hex');
    const dir = this.containerStore.dirOf(id);
    const logPath = resolve(sandboxConfig.logDirectory || sandbox.config.logDirectory, config.logPath);
    const pidNamespace: PidNamespaceMode = sandbox.config.hostPID ? 'host' : sandbox.namespaces.pid ? 'pod' : 'container';
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
    };
    try {
      await mkdir(dir, { recursive: true });
      await mkdir(dirname(logPath), { recursive: true });
      await createFifos(stdioPaths(dir), config.stdin);
      const fstab = await prepareRootfs(
        { layerDir: this.layerDir(sandboxId, id), newRoot: join(dir, 'rootfs') },
        sandboxFiles(this.sandboxStore.dirOf(sandboxId)),
        config.mounts,
        config.readonlyRootfs ?? false,
        image.layers ?? [],
      );
      await writeFile(join(dir, 'fstab'), fstab);
      await writeFile(join(dir, 'exec'), execScript(spec, spec.argv), { mode: 0o600 });
      await this.containerStore.save(record);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      await rm(this.layerDir(sandboxId, id), { recursive: true, force: true });
      throw new RuntimeError('CreateFailed', `failed to create container "${config.name}": ${(err as Error).message}`);
    }
    this.containers.set(id, record);
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
    record.cgroups = await createCgroups(record.cgroupParent, id, record.config.resources);
    const live: LiveContainer = { exited: deferred() };
    const { output, writers } = ContainerOutput.forNewContainer(paths, record.logPath);
    live.output = output;
    if (record.config.stdin) live.input = new ContainerInput(paths.stdin);
    const shimLog = join(dir, 'shim.log');
    const shimLogFd = openSync(shimLog, 'a');
    let launched;
    try {
      launched = launchContainer({
        infraPid: sandbox.infra!.pid,
        join: { net: sandbox.namespaces.net, uts: sandbox.namespaces.uts, ipc: sandbox.namespaces.ipc },
        pidNamespace: record.pidNamespace,
        newRoot: join(dir, 'rootfs'),
        fstab: join(dir, 'fstab'),
        workingDir: record.spec.workingDir,
        cgroupDirs: cgroupDirs(record.cgroups),
        containerPath: envValue(record.spec, 'PATH') ?? '',
        command: record.spec.argv[0],
        execFile: join(dir, 'exec'),
        exitFile: this.exits.fileOf(id),
        shimLog,
        shimLogFd,
        fifos: { stdout: paths.stdout, stderr: paths.stderr },
        stdio: { stdin: live.input?.containerFd ?? 'ignore', stdout: writers.stdout, stderr: writers.stderr },
      });
    } finally {
      closeSync(writers.stdout);
      closeSync(writers.stderr);
      closeSync(shimLogFd);
      live.input?.releaseContainerFd();
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
    if (record.startError === undefined) return;
    await live.exited.promise;
    throw new RuntimeError('StartFailed', record.message ?? record.startError);
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
      await live.exited.promise;
    }
  }

  /** SIGKILL to the main process (which ends its PID namespace) and to every process of the container. */
  private async killAll(record: ContainerRecord): Promise<void> {
    signalProcess(record.main, 'SIGKILL');
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
    this.live.delete(id);
    if (record.cgroups) await removeCgroups(record.cgroups, record.cgroupParent, record.ownCgroupParent);
    await rm(this.layerDir(record.sandboxId, id), { recursive: true, force: true });
    await this.exits.forget(id);
    await this.containerStore.remove(id);
    this.containers.delete(id);
  }

  async containerStatus(id: string): Promise<RuntimeContainer> {
    return this.containerView(this.container(id));
  }

  async listContainers(filter: ContainerFilter = {}): Promise<RuntimeContainer[]> {
    return [...this.containers.values()]
      .filter((c) => filter.sandboxId === undefined || c.sandboxId === filter.sandboxId)
      .map((c) => this.containerView(c))
      .filter((c) => filter.state === undefined || c.state === filter.state)
      .filter((c) => Object.entries(filter.labels ?? {}).every(([k, v]) => c.labels[k] === v));
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

  private noticeExit(id: string, supervisorExited = false): void {
    if (this.closed) return;
    this.observeExit(id, supervisorExited).catch((err: Error) => {
      process.emitWarning(`k8ts process runtime: settling the exit of container ${id} failed: ${err.message}`);
    });
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
  }

  // ---- streaming -------------------------------------------------------------------------------

  private execTarget(id: string): ExecTarget {
    const record = this.container(id);
    if (record.state !== 'RUNNING' || !isAlive(record.main)) {
      throw new RuntimeError('FailedPrecondition', `container "${id}" is not running`);
    }
    return { mainPid: record.main!.pid, pidNamespace: record.pidNamespace, spec: record.spec, cgroupDirs: record.cgroups ? cgroupDirs(record.cgroups) : [] };
  }

  async execSync(id: string, command: string[], timeoutSeconds: number): Promise<ExecResult> {
    return execSync(this.execTarget(id), command, timeoutSeconds);
  }

  async exec(id: string, command: string[], streams: StreamOptions): Promise<number> {
    if (streams.tty) throw new RuntimeError('InvalidArgument', 'the process runtime does not support terminals (tty) for exec');
    return execStreaming(this.execTarget(id), command, streams);
  }

  async attach(id: string, streams: StreamOptions): Promise<void> {
    if (streams.tty) throw new RuntimeError('InvalidArgument', 'the process runtime does not support terminals (tty) for attach');
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
      stdin.on('data', (chunk: Buffer) => input.socket.write(chunk));
      // With stdinOnce the container sees end-of-file when the first attached client's input ends.
      stdin.once('end', () => {
        if (!record.config.stdinOnce) return;
        live.stdinClaimed = true;
        input.end();
      });
    }
    await Promise.race([live.exited.promise, ended.promise]);
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
    for (const live of this.live.values()) live.output?.close();
  }
}

function containerStateName(state: string): string {
  return `CONTAINER_${state}`;
}
