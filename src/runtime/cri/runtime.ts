// The runtime contract over CRI v1: every call is one or a few RuntimeService/ImageService calls to
// containerd (or CRI-O). What CRI leaves to the kubelet is done here: pod-level cgroups, the
// node agent's /etc/hosts, log directories, and a cache of exited containers' statuses (they never
// change) so that listing stays one ListContainers call plus the statuses that did change.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  RuntimeError,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerState,
  type ExecResult,
  type ImageInfo,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxStatus,
  type PullAuth,
  type Runtime,
  type RuntimeCondition,
  type RuntimeContainer,
  type RuntimeContainerEvent,
  type RuntimeVersion,
  type StreamOptions,
  labelsMatch,
} from '../types.js';
import { safeRemove } from '../../util/safe-remove.js';
import { CriClient } from './client.js';
import { ContainerEventStream, type EventSource, type RawContainerEvent } from './container-events.js';
import { ContainerStateValue, NamespaceModeValue, ProtocolValue, SandboxStateValue, type CriMessage } from './proto.js';
import { PodCgroups } from './pod-cgroups.js';
import { openPortForward, runRemoteCommand } from './streaming.js';

export interface CriRuntimeOptions {
  /** `unix:///run/containerd/containerd.sock` or a socket path. */
  endpoint: string;
  /** Where the runtime keeps what CRI does not (hosts files). */
  stateDir: string;
  /** Pod cgroups go under this group (cgroupfs), e.g. `/k8ts-<cluster>`; absent: the runtime's default. */
  cgroupRoot?: string;
  /** RuntimeHandler for sandboxes (empty: the runtime's default). */
  runtimeHandler?: string;
}

const STATES: Record<number, ContainerState> = {
  [ContainerStateValue.CREATED]: 'CREATED',
  [ContainerStateValue.RUNNING]: 'RUNNING',
  [ContainerStateValue.EXITED]: 'EXITED',
  [ContainerStateValue.UNKNOWN]: 'UNKNOWN',
};

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 8, SIGINT: 10, SIGKILL: 13, SIGQUIT: 18, SIGTERM: 23, SIGUSR1: 29, SIGUSR2: 30, SIGWINCH: 32,
};

/** A Status the runtime has not answered within this is a runtime that does not answer. */
const STATUS_TIMEOUT_MS = 10_000;
/** How long an event from containerd waits for CRI to agree: 100 × 5 ms. */
const SETTLE_ATTEMPTS = 100;
const SETTLE_INTERVAL_MS = 5;
const nsToMs = (ns: number | undefined) => (ns ? Math.floor(ns / 1e6) : undefined);

export class CriRuntime implements Runtime {
  readonly client: CriClient;
  private readonly cgroups: PodCgroups | undefined;
  /** Exited containers' statuses by id: final, so served without asking again. */
  private readonly exited = new Map<string, RuntimeContainer>();
  /**
   * The last status seen per container and sandbox: a list whose state for an id matches it needs
   * no status call (what a status adds, start time or IP, does not change within a state).
   */
  private readonly lastContainers = new Map<string, RuntimeContainer>();
  private readonly lastSandboxes = new Map<string, PodSandboxStatus>();
  private events: ContainerEventStream | undefined;
  /** Pod uid by sandbox id and sandbox id by container id, for what this process created: names events' pods. */
  private readonly podOfSandbox = new Map<string, string>();
  private readonly sandboxOfContainer = new Map<string, string>();

  constructor(private readonly opts: CriRuntimeOptions) {
    this.client = new CriClient(opts.endpoint);
    this.cgroups = opts.cgroupRoot ? new PodCgroups(opts.cgroupRoot) : undefined;
  }

  async version(): Promise<RuntimeVersion> {
    const v = await this.client.runtime('Version', { version: 'v1' });
    return { runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion, runtimeApiVersion: v.runtimeApiVersion };
  }

  /** The runtime's conditions (RuntimeReady, NetworkReady). */
  async status(): Promise<RuntimeCondition[]> {
    const res = await this.client.runtime('Status', {}, { timeoutMs: STATUS_TIMEOUT_MS });
    return ((res.status?.conditions ?? []) as CriMessage[]).map((c) => ({ type: c.type ?? '', status: c.status === true, reason: c.reason ?? '', message: c.message ?? '' }));
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    await mkdir(config.logDirectory, { recursive: true });
    if (config.hostsFile !== undefined) {
      const dir = this.podStateDir(config);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'hosts'), config.hostsFile);
    }
    const cgroupParent = config.cgroupParent ?? (await this.cgroups?.create(config.podUid));
    try {
      const res = await this.client.runtime('RunPodSandbox', {
        config: this.sandboxMessage({ ...config, ...(cgroupParent ? { cgroupParent } : {}) }),
        runtimeHandler: this.opts.runtimeHandler ?? '',
      });
      this.podOfSandbox.set(res.podSandboxId, config.podUid);
      return res.podSandboxId;
    } catch (err) {
      // The runtime cleaned up its half; ours goes too unless another sandbox of the pod uses it.
      const others = await this.listPodSandboxes().catch(() => undefined);
      if (others && !others.some((s) => s.podUid === config.podUid)) await this.forgetPod(config.podUid);
      throw err;
    }
  }

  /** Removes what the runtime keeps for a pod outside CRI: its hosts file and its cgroup. */
  private async forgetPod(podUid: string): Promise<void> {
    await safeRemove(this.podStateDir({ podUid }));
    await this.cgroups?.remove(podUid);
  }

  async stopPodSandbox(id: string): Promise<void> {
    try {
      await this.client.runtime('StopPodSandbox', { podSandboxId: id });
    } catch (err) {
      if (!(err instanceof RuntimeError && err.code === 'NotFound')) throw err;
    }
  }

  async removePodSandbox(id: string): Promise<void> {
    const status = await this.podSandboxStatus(id).catch((err) => {
      if (err instanceof RuntimeError && err.code === 'NotFound') return undefined;
      throw err;
    });
    if (!status) return;
    await this.stopPodSandbox(id);
    await this.client.runtime('RemovePodSandbox', { podSandboxId: id });
    this.lastSandboxes.delete(id);
    this.podOfSandbox.delete(id);
    for (const [cid, sb] of this.sandboxOfContainer) if (sb === id) this.sandboxOfContainer.delete(cid);
    for (const [cid, c] of this.exited) if (c.sandboxId === id) this.exited.delete(cid);
    for (const [cid, c] of this.lastContainers) if (c.sandboxId === id) this.lastContainers.delete(cid);
    const others = (await this.listPodSandboxes()).filter((s) => s.podUid === status.podUid);
    if (others.length === 0) await this.forgetPod(status.podUid);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const res = await this.client.runtime('PodSandboxStatus', { podSandboxId: id });
    const s = res.status;
    if (!s) throw new RuntimeError('NotFound', `pod sandbox "${id}" not found`);
    const hostNetwork = s.linux?.namespaces?.options?.network === NamespaceModeValue.NODE;
    const status: PodSandboxStatus = {
      id: s.id,
      podUid: s.metadata?.uid ?? '',
      name: s.metadata?.name ?? '',
      namespace: s.metadata?.namespace ?? '',
      attempt: s.metadata?.attempt ?? 0,
      state: s.state === SandboxStateValue.READY ? 'READY' : 'NOTREADY',
      createdAt: nsToMs(s.createdAt) ?? 0,
      ...(s.network?.ip && !hostNetwork ? { ip: s.network.ip } : {}),
      additionalIps: (s.network?.additionalIps ?? []).map((p: CriMessage) => p.ip),
      hostNetwork,
      labels: s.labels ?? {},
      annotations: s.annotations ?? {},
    };
    this.lastSandboxes.set(status.id, status);
    return status;
  }

  async listPodSandboxes(filter: PodSandboxFilter = {}): Promise<PodSandboxStatus[]> {
    const res = await this.client.runtime('ListPodSandbox', {
      filter: {
        ...(filter.id ? { id: filter.id } : {}),
        ...(filter.state ? { state: { state: SandboxStateValue[filter.state] } } : {}),
        ...(filter.labels ? { labelSelector: filter.labels } : {}),
      },
    });
    const items = res.items as CriMessage[];
    const listed = new Set(items.map((i) => i.id as string));
    // What is cached but not listed is gone, as far as the filter could have listed it.
    const gone = (id: string) => !listed.has(id) && sandboxCovered(filter, id, this.lastSandboxes.get(id));
    for (const id of this.podOfSandbox.keys()) if (gone(id)) this.podOfSandbox.delete(id);
    for (const id of this.lastSandboxes.keys()) if (gone(id)) this.lastSandboxes.delete(id);
    const statuses = await Promise.all(
      items.map((item) => {
        const last = this.lastSandboxes.get(item.id);
        const state = item.state === SandboxStateValue.READY ? 'READY' : 'NOTREADY';
        if (last && last.state === state) return last;
        return this.podSandboxStatus(item.id).catch((err) => {
          // Removed between the list and the status.
          if (err instanceof RuntimeError && err.code === 'NotFound') return undefined;
          throw err;
        });
      }),
    );
    return statuses.filter((s): s is PodSandboxStatus => s !== undefined);
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const mounts = config.mounts.map((m) => ({ containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readonly }));
    if (sandboxConfig.hostsFile !== undefined && !config.mounts.some((m) => m.containerPath === '/etc/hosts')) {
      mounts.push({ containerPath: '/etc/hosts', hostPath: join(this.podStateDir(sandboxConfig), 'hosts'), readonly: false });
    }
    const r = config.resources ?? {};
    const message: CriMessage = {
      metadata: { name: config.name, attempt: config.attempt },
      image: { image: config.image },
      command: config.command,
      args: config.args,
      workingDir: config.workingDir ?? '',
      envs: config.env.map((e) => ({ key: e.name, value: e.value })),
      mounts,
      labels: { ...config.labels, [SANDBOX_LABEL]: sandboxId },
      annotations: config.annotations,
      logPath: config.logPath,
      stdin: config.stdin,
      stdinOnce: config.stdinOnce,
      tty: config.tty,
      linux: {
        resources: {
          cpuPeriod: r.cpuPeriod ?? 0,
          cpuQuota: r.cpuQuota ?? 0,
          cpuShares: r.cpuShares ?? 0,
          memoryLimitInBytes: r.memoryLimitBytes ?? 0,
          oomScoreAdj: r.oomScoreAdj ?? 0,
        },
        securityContext: {
          privileged: config.privileged ?? false,
          readonlyRootfs: config.readonlyRootfs ?? false,
          namespaceOptions: namespaceOptions(sandboxConfig),
          ...(config.runAsUser !== undefined ? { runAsUser: { value: config.runAsUser } } : {}),
          ...(config.runAsGroup !== undefined ? { runAsGroup: { value: config.runAsGroup } } : {}),
        },
      },
    };
    const signal = config.stopSignal ? SIGNALS[config.stopSignal] : undefined;
    if (signal !== undefined) message.stopSignal = signal;
    try {
      const res = await this.client.runtime('CreateContainer', { podSandboxId: sandboxId, config: message, sandboxConfig: this.sandboxMessage(sandboxConfig) });
      this.sandboxOfContainer.set(res.containerId, sandboxId);
      return res.containerId;
    } catch (err) {
      throw refine(err, 'CreateFailed');
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.client.runtime('StartContainer', { containerId: id });
    } catch (err) {
      throw refine(err, 'StartFailed');
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const timeout = Math.max(0, Math.floor(timeoutSeconds));
    await this.client.runtime('StopContainer', { containerId: id, timeout }, { timeoutMs: (timeout + 60) * 1000 });
  }

  async removeContainer(id: string): Promise<void> {
    await this.client.runtime('RemoveContainer', { containerId: id });
    this.sandboxOfContainer.delete(id);
    this.exited.delete(id);
    this.lastContainers.delete(id);
  }

  async containerStatus(id: string): Promise<RuntimeContainer> {
    const known = this.exited.get(id);
    if (known) return known;
    const res = await this.client.runtime('ContainerStatus', { containerId: id });
    if (!res.status) throw new RuntimeError('NotFound', `container "${id}" not found`);
    const status = this.toContainer(res.status, res.status.labels?.[SANDBOX_LABEL]);
    if (status.state === 'EXITED') this.exited.set(id, status);
    this.lastContainers.set(id, status);
    return status;
  }

  async listContainers(filter: ContainerFilter = {}): Promise<RuntimeContainer[]> {
    const res = await this.client.runtime('ListContainers', {
      filter: {
        ...(filter.sandboxId ? { podSandboxId: filter.sandboxId } : {}),
        ...(filter.state ? { state: { state: ContainerStateValue[filter.state] } } : {}),
        ...(filter.labels ? { labelSelector: filter.labels } : {}),
      },
    });
    const listed = res.containers as CriMessage[];
    const out = await Promise.all(
      listed.map(async (c) => {
        const known = this.exited.get(c.id);
        if (known) return known;
        const last = this.lastContainers.get(c.id);
        if (last && last.state === STATES[c.state as number] && last.state !== 'UNKNOWN') return last;
        const status = await this.containerStatus(c.id).catch((err) => {
          if (err instanceof RuntimeError && err.code === 'NotFound') return undefined;
          throw err;
        });
        return status && { ...status, sandboxId: c.podSandboxId };
      }),
    );
    const ids = new Set(listed.map((c) => c.id as string));
    const gone = (id: string) => !ids.has(id) && containerCovered(filter, this.exited.get(id) ?? this.lastContainers.get(id));
    for (const id of this.sandboxOfContainer.keys()) if (gone(id)) this.sandboxOfContainer.delete(id);
    for (const id of this.exited.keys()) if (gone(id)) this.exited.delete(id);
    for (const id of this.lastContainers.keys()) if (gone(id)) this.lastContainers.delete(id);
    return out.filter((c): c is RuntimeContainer => c !== undefined);
  }

  async execSync(id: string, command: string[], timeoutSeconds: number): Promise<ExecResult> {
    const timeout = Math.max(0, Math.ceil(timeoutSeconds));
    try {
      const res = await this.client.runtime('ExecSync', { containerId: id, cmd: command, timeout }, { timeoutMs: (timeout || 3600) * 1000 + 30_000 });
      return { exitCode: res.exitCode, stdout: Buffer.from(res.stdout ?? []), stderr: Buffer.from(res.stderr ?? []), timedOut: false };
    } catch (err) {
      if (err instanceof RuntimeError && err.code === 'DeadlineExceeded') {
        return { exitCode: 137, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: true };
      }
      throw await this.notRunning(id, err);
    }
  }

  async exec(id: string, command: string[], streams: StreamOptions): Promise<number> {
    const want = { stdin: !!streams.stdin, stdout: !!streams.stdout, stderr: !!streams.stderr && !streams.tty };
    const res = await this.client.runtime('Exec', { containerId: id, cmd: command, tty: streams.tty, ...want }).catch(async (err) => {
      throw await this.notRunning(id, err);
    });
    return runRemoteCommand(res.url, streams, want);
  }

  async attach(id: string, streams: StreamOptions): Promise<void> {
    const want = { stdin: !!streams.stdin, stdout: !!streams.stdout, stderr: !!streams.stderr && !streams.tty };
    const res = await this.client.runtime('Attach', { containerId: id, tty: streams.tty, ...want }).catch(async (err) => {
      throw await this.notRunning(id, err);
    });
    await runRemoteCommand(res.url, streams, want);
  }

  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    const res = await this.client.runtime('PortForward', { podSandboxId: sandboxId, port: [port] });
    return openPortForward(res.url, port);
  }

  /** CPU and memory of one container, as the runtime measures them. */
  async containerStats(id: string): Promise<{ cpuUsageCoreNanoSeconds?: number; memoryWorkingSetBytes?: number; writableLayerBytes?: number }> {
    const res = await this.client.runtime('ContainerStats', { containerId: id });
    const s = res.stats ?? {};
    return {
      ...(s.cpu?.usageCoreNanoSeconds ? { cpuUsageCoreNanoSeconds: s.cpu.usageCoreNanoSeconds.value } : {}),
      ...(s.memory?.workingSetBytes ? { memoryWorkingSetBytes: s.memory.workingSetBytes.value } : {}),
      ...(s.writableLayer?.usedBytes ? { writableLayerBytes: s.writableLayer.usedBytes.value } : {}),
    };
  }

  async pullImage(image: string, auth?: PullAuth): Promise<string> {
    const authMessage = auth && {
      username: auth.username ?? '',
      password: auth.password ?? '',
      auth: auth.auth ?? '',
      // containerd 1.6 parses the address as a URL: a bare `host:port` (a docker config key) needs a scheme.
      serverAddress: auth.serverAddress && !auth.serverAddress.includes('://') ? `https://${auth.serverAddress}` : (auth.serverAddress ?? ''),
    };
    try {
      const res = await this.client.image('PullImage', { image: { image }, ...(authMessage ? { auth: authMessage } : {}) }, { timeoutMs: 30 * 60_000 });
      return res.imageRef;
    } catch (err) {
      if (err instanceof RuntimeError && err.code === 'InvalidArgument') throw err;
      throw new RuntimeError(err instanceof RuntimeError && err.code === 'NotFound' ? 'ImageNotFound' : 'ImagePullFailed', (err as Error).message);
    }
  }

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    const res = await this.client.image('ImageStatus', { image: { image } });
    return res.image?.id ? toImage(res.image) : undefined;
  }

  async listImages(): Promise<ImageInfo[]> {
    const res = await this.client.image('ListImages', {});
    return (res.images as CriMessage[]).map(toImage);
  }

  async removeImage(image: string): Promise<void> {
    await this.client.image('RemoveImage', { image: { image } });
  }

  /** Bytes and inodes the image filesystem uses. */
  async imageFsInfo(): Promise<{ mountpoint: string; usedBytes: number; inodesUsed: number }[]> {
    const res = await this.client.image('ImageFsInfo', {});
    return (res.imageFilesystems as CriMessage[]).map((f) => ({
      mountpoint: f.fsId?.mountpoint ?? '',
      usedBytes: f.usedBytes?.value ?? 0,
      inodesUsed: f.inodesUsed?.value ?? 0,
    }));
  }

  /** Stops and removes every sandbox of the runtime (containers go with them), and the pods' groups. */
  async removeAll(): Promise<void> {
    const sandboxes = await this.listPodSandboxes();
    await Promise.all(sandboxes.map((s) => this.removePodSandbox(s.id)));
    await this.cgroups?.removeAll();
  }

  /**
   * Container state changes over one stream (CRI GetContainerEvents, or containerd's own events
   * where CRI does not serve them), reopened with back-off when it breaks.
   */
  subscribeContainerEvents(listener: (event: RuntimeContainerEvent) => void): () => void {
    this.events ??= new ContainerEventStream({ client: this.client, settle: (event) => this.settle(event) });
    return this.events.subscribe((raw) => listener(this.withSandbox(raw)));
  }

  /** Where container events come from (`none`: the runtime serves neither stream; before any subscription: `cri`). */
  get containerEventSource(): EventSource {
    return this.events?.source ?? 'cri';
  }

  async close(): Promise<void> {
    this.events?.close();
    this.client.close();
  }

  /** Waits (briefly, bounded) until CRI reports a containerd-reported exit or removal as done. */
  private async settle(event: RawContainerEvent): Promise<void> {
    if (event.type !== 'ContainerStopped' && event.type !== 'ContainerDeleted') return;
    const sandbox = this.lastSandboxes.has(event.containerId) || this.podOfSandbox.has(event.containerId);
    const done = async () => {
      try {
        if (sandbox) return (await this.client.runtime('PodSandboxStatus', { podSandboxId: event.containerId })).status?.state !== SandboxStateValue.READY;
        const res = await this.client.runtime('ContainerStatus', { containerId: event.containerId });
        return event.type === 'ContainerStopped' && res.status?.state === ContainerStateValue.EXITED;
      } catch (err) {
        return err instanceof RuntimeError && err.code === 'NotFound';
      }
    };
    for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
      if (await done()) return;
      await new Promise((resolve) => setTimeout(resolve, SETTLE_INTERVAL_MS));
    }
  }

  /** Names the sandbox and pod of an event from what the runtime last saw (a sandbox's own events name itself). */
  private withSandbox(raw: RawContainerEvent): RuntimeContainerEvent {
    const known = this.lastContainers.get(raw.containerId) ?? this.exited.get(raw.containerId);
    const isSandbox = this.lastSandboxes.has(raw.containerId) || this.podOfSandbox.has(raw.containerId);
    const sandboxId = raw.sandboxId ?? known?.sandboxId ?? this.sandboxOfContainer.get(raw.containerId) ?? (isSandbox ? raw.containerId : '');
    const podUid = raw.podUid ?? this.lastSandboxes.get(sandboxId)?.podUid ?? this.podOfSandbox.get(sandboxId);
    return { type: raw.type, containerId: raw.containerId, sandboxId, ...(podUid ? { podUid } : {}) };
  }

  private podStateDir(config: { podUid: string }): string {
    // Never '', '.' or '..': the directory is removed recursively.
    return join(this.opts.stateDir, 'pods', config.podUid.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.*$/, (dots) => `_${dots}`));
  }

  private sandboxMessage(config: PodSandboxConfig): CriMessage {
    return {
      metadata: { name: config.name, uid: config.podUid, namespace: config.namespace, attempt: config.attempt },
      hostname: config.hostname,
      logDirectory: config.logDirectory,
      ...(config.dnsConfig ? { dnsConfig: config.dnsConfig } : {}),
      portMappings: config.portMappings.map((p) => ({
        protocol: ProtocolValue[p.protocol],
        containerPort: p.containerPort,
        hostPort: p.hostPort,
        hostIp: p.hostIp ?? '',
      })),
      labels: config.labels,
      annotations: config.annotations,
      linux: {
        cgroupParent: config.cgroupParent ?? '',
        securityContext: { namespaceOptions: namespaceOptions(config) },
      },
    };
  }

  private toContainer(s: CriMessage, sandboxId: string | undefined): RuntimeContainer {
    const state = STATES[s.state as number] ?? 'UNKNOWN';
    return {
      id: s.id,
      sandboxId: sandboxId ?? '',
      name: s.metadata?.name ?? '',
      attempt: s.metadata?.attempt ?? 0,
      state,
      createdAt: nsToMs(s.createdAt) ?? 0,
      ...(s.startedAt ? { startedAt: nsToMs(s.startedAt)! } : {}),
      ...(s.finishedAt ? { finishedAt: nsToMs(s.finishedAt)! } : {}),
      ...(state === 'EXITED' ? { exitCode: s.exitCode } : {}),
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.message ? { message: s.message } : {}),
      image: s.image?.image ?? '',
      imageRef: s.imageRef ?? '',
      logPath: s.logPath ?? '',
      labels: withoutInternal(s.labels ?? {}),
      annotations: s.annotations ?? {},
    };
  }

  /** A streaming or exec call refused because the container is not running is FailedPrecondition. */
  private async notRunning(id: string, err: unknown): Promise<unknown> {
    if (!(err instanceof RuntimeError) || err.code === 'NotFound') return err;
    const status = await this.containerStatus(id).catch(() => undefined);
    if (status && status.state !== 'RUNNING') {
      return new RuntimeError('FailedPrecondition', `container ${id} is not running (state ${status.state})`);
    }
    return err;
  }
}

/** ContainerStatus does not name the sandbox: we label each container with it at creation. */
const SANDBOX_LABEL = 'k8ts.io/pod-sandbox-id';

function withoutInternal(labels: Record<string, string>): Record<string, string> {
  if (!(SANDBOX_LABEL in labels)) return labels;
  const { [SANDBOX_LABEL]: _, ...rest } = labels;
  return rest;
}

/**
 * Whether a listing with this filter would have listed the cached sandbox, were it still there: a
 * state may have changed since it was cached, id and labels do not.
 */
function sandboxCovered(filter: PodSandboxFilter, id: string, cached: PodSandboxStatus | undefined): boolean {
  if (filter.state !== undefined) return false;
  if (filter.id !== undefined && filter.id !== id) return false;
  return !filter.labels || (cached !== undefined && labelsMatch(cached.labels, filter.labels));
}

function containerCovered(filter: ContainerFilter, cached: RuntimeContainer | undefined): boolean {
  if (filter.state !== undefined) return false;
  if (filter.sandboxId === undefined && !filter.labels) return true;
  if (!cached) return false;
  if (filter.sandboxId !== undefined && cached.sandboxId !== filter.sandboxId) return false;
  return !filter.labels || labelsMatch(cached.labels, filter.labels);
}

function namespaceOptions(config: PodSandboxConfig): CriMessage {
  return {
    network: config.hostNetwork ? NamespaceModeValue.NODE : NamespaceModeValue.POD,
    pid: config.hostPID ? NamespaceModeValue.NODE : config.shareProcessNamespace ? NamespaceModeValue.POD : NamespaceModeValue.CONTAINER,
    ipc: config.hostIPC ? NamespaceModeValue.NODE : NamespaceModeValue.POD,
  };
}

function toImage(i: CriMessage): ImageInfo {
  return { id: i.id, repoTags: i.repoTags ?? [], repoDigests: i.repoDigests ?? [], size: Number(i.size ?? 0) };
}

/** NotFound stays NotFound (or ImageNotFound for a missing image); other failures get `code`. */
function refine(err: unknown, code: string): unknown {
  if (!(err instanceof RuntimeError)) return err;
  if (err.code === 'NotFound') return /image/i.test(err.message) && !/sandbox/i.test(err.message) ? new RuntimeError('ImageNotFound', err.message) : err;
  if (err.code === 'InvalidArgument' || err.code === 'Unavailable' || err.code === 'AlreadyExists') return err;
  return new RuntimeError(code, err.message);
}
