// An in-memory Runtime for virtual-time tests. Containers are state machines driven by the injected
// clock and by scripted behaviours; every call is logged so tests can assert the order in which the
// node agent drives the runtime.

import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { Duplex } from 'node:stream';
import type { Clock, Timer } from '../../util/clock.js';
import { rfc3339Micro } from '../../util/clock.js';
import {
  RuntimeError,
  type ContainerConfig,
  type ContainerFilter,
  type ExecResult,
  type ImageInfo,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PullAuth,
  type PodSandboxStatus,
  type Runtime,
  type RuntimeCondition,
  type RuntimeContainer,
  type RuntimeContainerEvent,
  type RuntimeVersion,
  type StreamOptions,
  labelsMatch,
} from '../types.js';
import { normalizeImageName } from '../../images/reference.js';
import {
  matchesContainer,
  matchesExec,
  type BehaviourSource,
  type ContainerBehaviour,
  type ContainerMatcher,
  type ExecMatcher,
  type ExecSource,
} from './behaviour.js';

export interface FakeRuntimeOptions {
  clock: Clock;
  /** Images present before any pull (default none). */
  images?: string[];
  /** Virtual time a pull takes (default 0). */
  pullDelayMs?: number;
  /** Write CRI-format log lines to each container's log path (default true). */
  writeLogs?: boolean;
  /** Give sandboxes their own (simulated) network and pod IP (default true); else they share the host's. */
  podNetwork?: boolean;
  /** Size of the simulated image filesystem (default 100 GiB); images count against it. */
  imageFsCapacityBytes?: number;
  /** Offer subscribeContainerEvents, as a CRI runtime serving GetContainerEvents does (default false: relist only). */
  containerEvents?: boolean;
}

/** Images are known by their normalized name (`busybox` is `docker.io/library/busybox:latest`), as containerd knows them. */
function imageKey(image: string): string {
  try {
    return normalizeImageName(image);
  } catch {
    return image;
  }
}

export interface RuntimeCall {
  at: number;
  /** e.g. `runPodSandbox web2`, `startContainer web`, `stopContainer web 20`, `signal web SIGKILL`. */
  call: string;
}

interface FakeSandbox {
  status: PodSandboxStatus;
  config: PodSandboxConfig;
}

interface FakeContainer {
  status: RuntimeContainer;
  config: ContainerConfig;
  behaviour: ContainerBehaviour;
  timers: Timer[];
  killTimer?: Timer;
  killAt?: number;
  waiters: (() => void)[];
}

const EXIT_SIGTERM = 143;
const EXIT_SIGKILL = 137;

export class FakeRuntime implements Runtime {
  readonly calls: RuntimeCall[] = [];
  private readonly clock: Clock;
  private readonly sandboxes = new Map<string, FakeSandbox>();
  private readonly containers = new Map<string, FakeContainer>();
  private readonly images = new Map<string, ImageInfo>();
  private readonly behaviours: { matcher: ContainerMatcher; source: BehaviourSource }[] = [];
  private readonly execs: { matcher: ExecMatcher; source: ExecSource }[] = [];
  private readonly pullFailures = new Map<string, string>();
  private readonly pullAuths: { image: string; auth?: PullAuth }[] = [];
  private readonly pullSizes = new Map<string, number>();
  private readonly requiredAuth = new Map<string, { username: string; password: string }>();
  private imageFsOtherBytes = 0;
  private readonly portHandlers = new Map<number, (socket: Duplex) => void>();
  private readonly instancesByName = new Map<string, number>();
  private seq = 0;
  private nextIp = 2;
  private closed = false;
  private conditions: RuntimeCondition[] | Error = [
    { type: 'RuntimeReady', status: true, reason: '', message: '' },
    { type: 'NetworkReady', status: true, reason: '', message: '' },
  ];
  private readonly origin: number;
  private readonly eventListeners = new Set<(event: RuntimeContainerEvent) => void>();
  private eventsPaused = false;

  /** Present only with the `containerEvents` option: a runtime without it is relisted only. */
  readonly subscribeContainerEvents?: (listener: (event: RuntimeContainerEvent) => void) => () => void;

  constructor(private readonly opts: FakeRuntimeOptions) {
    this.clock = opts.clock;
    this.origin = opts.clock.now();
    for (const image of opts.images ?? []) this.addImage(image);
    if (opts.containerEvents) {
      this.subscribeContainerEvents = (listener) => {
        this.eventListeners.add(listener);
        return () => this.eventListeners.delete(listener);
      };
    }
  }

  /** While paused, container events are lost (as over a broken stream); the relist still sees the changes. */
  pauseContainerEvents(paused: boolean): this {
    this.eventsPaused = paused;
    return this;
  }

  /** How many subscribers container events have now. */
  get containerEventSubscribers(): number {
    return this.eventListeners.size;
  }

  // ---- scripting ----------------------------------------------------------------------------------

  /** Containers matching `matcher` behave as `source` (later registrations win). */
  behave(matcher: ContainerMatcher, source: BehaviourSource): this {
    this.behaviours.unshift({ matcher, source });
    return this;
  }

  /** execSync/exec of a matching command produces `source` (later registrations win). */
  onExec(matcher: ExecMatcher, source: ExecSource): this {
    this.execs.unshift({ matcher, source });
    return this;
  }

  /** Pulls of `image` fail with `message` until cleared with `undefined`. */
  failPull(image: string, message: string | undefined): this {
    if (message === undefined) this.pullFailures.delete(imageKey(image));
    else this.pullFailures.set(imageKey(image), message);
    return this;
  }

  /** Pulls of `image` need this account (others fail as a registry's 401 does). */
  requirePullAuth(image: string, account: { username: string; password: string }): this {
    this.requiredAuth.set(imageKey(image), account);
    return this;
  }

  /** The credentials each pull came with, in order. */
  pulls(): { image: string; auth?: PullAuth }[] {
    return this.pullAuths.map((p) => ({ ...p }));
  }

  /** Size a pulled image will have (default 1 MiB). */
  setPullSize(image: string, size: number): this {
    this.pullSizes.set(imageKey(image), size);
    return this;
  }

  /** Bytes of the image filesystem used by other things than images. */
  setImageFsOtherUsage(bytes: number): this {
    this.imageFsOtherBytes = bytes;
    return this;
  }

  /** Capacity and free space of the simulated image filesystem. */
  async imageFsStats(): Promise<{ capacityBytes: number; availableBytes: number }> {
    const capacityBytes = this.opts.imageFsCapacityBytes ?? 100 * 1024 ** 3;
    const used = [...this.images.values()].reduce((n, i) => n + i.size, 0) + this.imageFsOtherBytes;
    return { capacityBytes, availableBytes: Math.max(0, capacityBytes - used) };
  }

  /** Port-forward connections to `port` are handed to `handler` (the far end of the stream). */
  onPortForward(port: number, handler: (socket: Duplex) => void): this {
    this.portHandlers.set(port, handler);
    return this;
  }

  addImage(image: string, size = this.pullSizes.get(imageKey(image)) ?? 1024 * 1024): this {
    const key = imageKey(image);
    const id = `sha256:${hash(key)}`;
    this.images.set(key, { id, repoTags: [key], repoDigests: [], size });
    return this;
  }

  private findImage(image: string): ImageInfo | undefined {
    return this.images.get(imageKey(image)) ?? [...this.images.values()].find((i) => i.id === image);
  }

  /** Makes a running container exit now, as if its process ended by itself. */
  exitContainer(id: string, exitCode: number, reason?: string): void {
    const c = this.mustContainer(id);
    if (c.status.state === 'RUNNING') this.finish(c, exitCode, reason);
  }

  /** Calls since `origin` (default: the runtime's creation) whose text starts with one of the prefixes, as `call@seconds-since-origin`. */
  callsMatching(prefixes: string[], origin = this.origin): string[] {
    return this.calls
      .filter((c) => c.at >= origin && prefixes.some((p) => c.call.startsWith(p)))
      .map((c) => `${c.call}@${(c.at - origin) / 1000}`);
  }

  /** Number of containers currently running. */
  get runningCount(): number {
    let n = 0;
    for (const c of this.containers.values()) if (c.status.state === 'RUNNING') n++;
    return n;
  }

  // ---- Runtime ------------------------------------------------------------------------------------

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'fake', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
  }

  async status(): Promise<RuntimeCondition[]> {
    if (this.conditions instanceof Error) throw this.conditions;
    return this.conditions.map((c) => ({ ...c }));
  }

  /** What `status` answers from now on: these conditions, or (an error) that the runtime is unreachable. */
  setStatus(conditions: RuntimeCondition[] | Error): void {
    this.conditions = conditions instanceof Error ? conditions : conditions.map((c) => ({ ...c }));
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.log(`runPodSandbox ${config.name}`);
    const id = this.newId('sandbox');
    const hostNetwork = config.hostNetwork || this.opts.podNetwork === false;
    const status: PodSandboxStatus = {
      id,
      podUid: config.podUid,
      name: config.name,
      namespace: config.namespace,
      attempt: config.attempt,
      state: 'READY',
      createdAt: this.clock.now(),
      ...(hostNetwork ? {} : { ip: `10.88.${Math.floor(this.nextIp / 250)}.${(this.nextIp++ % 250) + 2}` }),
      additionalIps: [],
      hostNetwork,
      labels: { ...config.labels },
      annotations: { ...config.annotations },
    };
    this.sandboxes.set(id, { status, config });
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return;
    this.log(`stopPodSandbox ${sandbox.config.name}`);
    this.stopSandbox(sandbox);
  }

  async removePodSandbox(id: string): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return;
    this.log(`removePodSandbox ${sandbox.config.name}`);
    this.stopSandbox(sandbox);
    for (const [cid, c] of this.containers) {
      if (c.status.sandboxId !== id) continue;
      this.containers.delete(cid);
      this.emit('ContainerDeleted', c.status);
    }
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return copySandbox(this.mustSandbox(id).status);
  }

  async listPodSandboxes(filter?: PodSandboxFilter): Promise<PodSandboxStatus[]> {
    const out: PodSandboxStatus[] = [];
    for (const { status } of this.sandboxes.values()) {
      if (filter?.id !== undefined && status.id !== filter.id) continue;
      if (filter?.state !== undefined && status.state !== filter.state) continue;
      if (filter?.labels && !labelsMatch(status.labels, filter.labels)) continue;
      out.push(copySandbox(status));
    }
    return out;
  }

  async createContainer(sandboxId: string, config: ContainerConfig, _sandboxConfig: PodSandboxConfig): Promise<string> {
    const sandbox = this.mustSandbox(sandboxId);
    this.log(`createContainer ${config.name}`);
    if (sandbox.status.state !== 'READY') throw new RuntimeError('FailedPrecondition', `sandbox ${sandboxId} is not ready`);
    const image = this.findImage(config.image);
    if (!image) throw new RuntimeError('ImageNotFound', `image "${config.image}" not found`);
    const key = `${sandbox.status.podUid}/${config.name}`;
    const previous = this.instancesByName.get(key) ?? 0;
    this.instancesByName.set(key, previous + 1);
    const behaviour = this.behaviourFor(config, previous);
    if (behaviour.failCreate) throw new RuntimeError('CreateFailed', behaviour.failCreate);
    const id = this.newId('container');
    const logPath = isAbsolute(config.logPath) ? config.logPath : join(sandbox.config.logDirectory, config.logPath);
    const status: RuntimeContainer = {
      id,
      sandboxId,
      name: config.name,
      attempt: config.attempt,
      state: 'CREATED',
      createdAt: this.clock.now(),
      image: config.image,
      imageRef: image.id,
      logPath,
      labels: { ...config.labels },
      annotations: { ...config.annotations },
    };
    this.containers.set(id, { status, config, behaviour, timers: [], waiters: [] });
    this.emit('ContainerCreated', status);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.mustContainer(id);
    this.log(`startContainer ${c.config.name}`);
    if (c.status.state !== 'CREATED') throw new RuntimeError('FailedPrecondition', `container ${id} is in state ${c.status.state}`);
    const now = this.clock.now();
    if (c.behaviour.failStart) {
      Object.assign(c.status, { state: 'EXITED', startedAt: now, finishedAt: now, exitCode: 128, reason: 'StartError', message: c.behaviour.failStart });
      this.emit('ContainerStopped', c.status);
      throw new RuntimeError('StartFailed', c.behaviour.failStart);
    }
    c.status.state = 'RUNNING';
    c.status.startedAt = now;
    this.emit('ContainerStarted', c.status);
    this.writeLog(c, c.behaviour.logLines ?? []);
    const b = c.behaviour;
    if (b.exitAfterMs !== undefined) c.timers.push(this.clock.setTimeout(() => this.finish(c, b.exitCode ?? 0), b.exitAfterMs));
    if (b.oomAfterMs !== undefined) c.timers.push(this.clock.setTimeout(() => this.finish(c, EXIT_SIGKILL, 'OOMKilled'), b.oomAfterMs));
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.mustContainer(id);
    this.log(`stopContainer ${c.config.name} ${timeoutSeconds}`);
    if (c.status.state !== 'RUNNING') {
      if (c.status.state === 'CREATED') this.finish(c, 0);
      return;
    }
    const exited = new Promise<void>((resolve) => c.waiters.push(resolve));
    const killAt = this.clock.now() + Math.max(0, timeoutSeconds) * 1000;
    if (timeoutSeconds <= 0) {
      this.log(`signal ${c.config.name} SIGKILL`);
      this.finish(c, EXIT_SIGKILL);
      return exited;
    }
    const signal = c.config.stopSignal ?? 'SIGTERM';
    this.log(`signal ${c.config.name} ${signal}`);
    const onStop = c.behaviour.onStopSignal ?? {};
    if (onStop !== 'ignore') {
      c.timers.push(this.clock.setTimeout(() => this.finish(c, onStop.exitCode ?? EXIT_SIGTERM), onStop.afterMs ?? 0));
    }
    if (c.killAt === undefined || killAt < c.killAt) {
      c.killTimer?.cancel();
      c.killAt = killAt;
      c.killTimer = this.clock.setTimeout(() => {
        if (c.status.state !== 'RUNNING') return;
        this.log(`signal ${c.config.name} SIGKILL`);
        this.finish(c, EXIT_SIGKILL);
      }, killAt - this.clock.now());
    }
    return exited;
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.log(`removeContainer ${c.config.name}`);
    if (c.status.state === 'RUNNING') this.finish(c, EXIT_SIGKILL);
    this.containers.delete(id);
    this.emit('ContainerDeleted', c.status);
  }

  async containerStatus(id: string): Promise<RuntimeContainer> {
    return copyContainer(this.mustContainer(id).status);
  }

  async listContainers(filter?: ContainerFilter): Promise<RuntimeContainer[]> {
    const out: RuntimeContainer[] = [];
    for (const { status } of this.containers.values()) {
      if (filter?.sandboxId !== undefined && status.sandboxId !== filter.sandboxId) continue;
      if (filter?.state !== undefined && status.state !== filter.state) continue;
      if (filter?.labels && !labelsMatch(status.labels, filter.labels)) continue;
      out.push(copyContainer(status));
    }
    return out;
  }

  async execSync(id: string, command: string[], timeoutSeconds: number): Promise<ExecResult> {
    const c = this.mustContainer(id);
    this.log(`exec ${c.config.name} ${command.join(' ')}`);
    if (c.status.state !== 'RUNNING') throw new RuntimeError('FailedPrecondition', `container ${id} is not running`);
    const b = this.execFor(command, c.config.name);
    const duration = b.durationMs ?? 0;
    const timeoutMs = timeoutSeconds > 0 ? timeoutSeconds * 1000 : Infinity;
    const waitMs = Math.min(duration, timeoutMs);
    if (waitMs > 0) await this.waitWhileRunning(c, waitMs);
    if (duration > timeoutMs) return { exitCode: -1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: true };
    if (c.status.state !== 'RUNNING') return { exitCode: EXIT_SIGKILL, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false };
    return { exitCode: b.exitCode ?? 0, stdout: Buffer.from(b.stdout ?? ''), stderr: Buffer.from(b.stderr ?? ''), timedOut: false };
  }

  async exec(id: string, command: string[], streams: StreamOptions): Promise<number> {
    const result = await this.execSync(id, command, 0);
    if (result.stdout.length) streams.stdout?.write(result.stdout);
    if (result.stderr.length) (streams.tty ? streams.stdout : streams.stderr)?.write(result.stderr);
    return result.exitCode;
  }

  async attach(id: string, _streams: StreamOptions): Promise<void> {
    const c = this.mustContainer(id);
    this.log(`attach ${c.config.name}`);
    if (c.status.state !== 'RUNNING') throw new RuntimeError('FailedPrecondition', `container ${id} is not running`);
    await new Promise<void>((resolve) => c.waiters.push(resolve));
  }

  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    const sandbox = this.mustSandbox(sandboxId);
    this.log(`portForward ${sandbox.config.name} ${port}`);
    const handler = this.portHandlers.get(port);
    if (!handler || sandbox.status.state !== 'READY') {
      throw new RuntimeError('Unavailable', `failed to connect to localhost:${port} inside namespace "${sandboxId}": connection refused`);
    }
    const [near, far] = streamPair();
    handler(far);
    return near;
  }

  async pullImage(image: string, auth?: PullAuth): Promise<string> {
    this.log(`pullImage ${image}`);
    this.pullAuths.push({ image, ...(auth ? { auth: { ...auth } } : {}) });
    if (this.opts.pullDelayMs) await this.clock.sleep(this.opts.pullDelayMs);
    const key = imageKey(image);
    const failure = this.pullFailures.get(key);
    if (failure !== undefined) throw new RuntimeError('ImagePullFailed', failure);
    const account = this.requiredAuth.get(key);
    if (account && (auth?.username !== account.username || auth?.password !== account.password)) {
      throw new RuntimeError('ImagePullFailed', `failed to pull and unpack image "${key}": failed to resolve reference "${key}": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`);
    }
    if (!this.images.has(key)) this.addImage(image);
    return this.images.get(key)!.id;
  }

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    const info = this.findImage(image);
    return info && { ...info, repoTags: [...info.repoTags], repoDigests: [...info.repoDigests] };
  }

  async listImages(): Promise<ImageInfo[]> {
    return [...this.images.values()].map((i) => ({ ...i, repoTags: [...i.repoTags], repoDigests: [...i.repoDigests] }));
  }

  async removeImage(image: string): Promise<void> {
    this.log(`removeImage ${image}`);
    const info = this.findImage(image);
    if (info) for (const [key, i] of this.images) if (i === info) this.images.delete(key);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Whether close() was called (the containers keep running, as with a real runtime). */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---- internals ----------------------------------------------------------------------------------

  private stopSandbox(sandbox: FakeSandbox): void {
    for (const c of this.containers.values()) {
      if (c.status.sandboxId === sandbox.status.id && c.status.state === 'RUNNING') {
        this.log(`signal ${c.config.name} SIGKILL`);
        this.finish(c, EXIT_SIGKILL);
      }
    }
    sandbox.status.state = 'NOTREADY';
  }

  private finish(c: FakeContainer, exitCode: number, reason?: string): void {
    if (c.status.state === 'EXITED') return;
    for (const t of c.timers) t.cancel();
    c.timers = [];
    c.killTimer?.cancel();
    const now = this.clock.now();
    if (c.status.state === 'RUNNING' && c.behaviour.terminationMessage !== undefined) this.writeTerminationMessage(c);
    Object.assign(c.status, {
      state: 'EXITED',
      finishedAt: now,
      startedAt: c.status.startedAt ?? 0,
      exitCode,
      reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
    });
    this.log(`exited ${c.config.name} ${exitCode}`);
    this.emit('ContainerStopped', c.status);
    const waiters = c.waiters;
    c.waiters = [];
    for (const w of waiters) w();
  }

  /** Tells subscribers after the current operation, as a stream delivers after the runtime acted. */
  private emit(type: RuntimeContainerEvent['type'], c: RuntimeContainer): void {
    if (this.eventListeners.size === 0 || this.eventsPaused) return;
    const podUid = this.sandboxes.get(c.sandboxId)?.status.podUid;
    const event: RuntimeContainerEvent = { type, containerId: c.id, sandboxId: c.sandboxId, ...(podUid ? { podUid } : {}) };
    queueMicrotask(() => {
      for (const listener of [...this.eventListeners]) listener(event);
    });
  }

  private waitWhileRunning(c: FakeContainer, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        timer.cancel();
        const i = c.waiters.indexOf(done);
        if (i >= 0) c.waiters.splice(i, 1);
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      c.waiters.push(done);
    });
  }

  private writeLog(c: FakeContainer, lines: string[]): void {
    if (this.opts.writeLogs === false || lines.length === 0) return;
    const stamp = rfc3339Micro(this.clock.now()).replace(/Z$/, '000Z');
    mkdirSync(dirname(c.status.logPath), { recursive: true });
    appendFileSync(c.status.logPath, lines.map((l) => `${stamp} stdout F ${l}\n`).join(''));
  }

  private writeTerminationMessage(c: FakeContainer): void {
    const path = c.config.annotations['io.kubernetes.container.terminationMessagePath'] ?? '/dev/termination-log';
    const mount = c.config.mounts.find((m) => m.containerPath === path);
    if (mount) writeFileSync(mount.hostPath, c.behaviour.terminationMessage!);
  }

  private behaviourFor(config: ContainerConfig, previous: number): ContainerBehaviour {
    for (const { matcher, source } of this.behaviours) {
      if (matchesContainer(matcher, config)) return typeof source === 'function' ? source(config, previous) : source;
    }
    return {};
  }

  private execFor(command: string[], containerName: string) {
    for (const { matcher, source } of this.execs) {
      if (matchesExec(matcher, command, containerName)) return typeof source === 'function' ? source(command, containerName) : source;
    }
    return {};
  }

  private mustSandbox(id: string): FakeSandbox {
    const s = this.sandboxes.get(id);
    if (!s) throw new RuntimeError('NotFound', `sandbox "${id}" not found`);
    return s;
  }

  private mustContainer(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container "${id}" not found`);
    return c;
  }

  private newId(kind: string): string {
    return hash(`${kind}/${this.seq++}/${Math.random()}`);
  }

  private log(call: string): void {
    this.calls.push({ at: this.clock.now(), call });
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function copySandbox(s: PodSandboxStatus): PodSandboxStatus {
  return { ...s, additionalIps: [...s.additionalIps], labels: { ...s.labels }, annotations: { ...s.annotations } };
}

function copyContainer(c: RuntimeContainer): RuntimeContainer {
  return { ...c, labels: { ...c.labels }, annotations: { ...c.annotations } };
}

/** Two connected in-memory duplex streams. */
function streamPair(): [Duplex, Duplex] {
  let a!: Duplex;
  let b!: Duplex;
  const make = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        peer().push(chunk);
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
    });
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}
