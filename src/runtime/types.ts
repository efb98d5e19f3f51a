// The runtime contract, shaped like the CRI v1 RuntimeService and ImageService so that the node
// agent drives host processes, containerd, or the fake runtime the same way. Times are
// milliseconds since the epoch; ids are opaque strings chosen by the runtime.

import type { Duplex, Readable, Writable } from 'node:stream';

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp?: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PodSandboxConfig {
  podUid: string;
  name: string;
  namespace: string;
  /** Increments each time the sandbox of the same pod is recreated. */
  attempt: number;
  hostname: string;
  /** Directory under which container log files are written (`<logDirectory>/<container>/<n>.log`). */
  logDirectory: string;
  dnsConfig?: DnsConfig;
  /** Extra lines for /etc/hosts (already rendered by the node agent), or absent to keep the runtime's. */
  hostsFile?: string;
  portMappings: PortMapping[];
  hostNetwork: boolean;
  hostPID: boolean;
  hostIPC: boolean;
  shareProcessNamespace: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Cgroup parent for the pod, when the runtime supports resource limits. */
  cgroupParent?: string;
}

export type SandboxState = 'READY' | 'NOTREADY';

export interface PodSandboxStatus {
  id: string;
  podUid: string;
  name: string;
  namespace: string;
  attempt: number;
  state: SandboxState;
  createdAt: number;
  /** The pod IP (absent for hostNetwork sandboxes; the node agent uses the node IP then). */
  ip?: string;
  additionalIps: string[];
  hostNetwork: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** What the runtime could not give this sandbox (e.g. isolation), for a Warning event on its pod. */
  warning?: { reason: string; message: string };
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readonly: boolean;
}

export interface ContainerResources {
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimitBytes?: number;
  oomScoreAdj?: number;
  pidsLimit?: number;
}

export interface ContainerConfig {
  name: string;
  /** Increments with each restart of the container in the same pod (the restart count). */
  attempt: number;
  image: string;
  /** The image's entrypoint is replaced by `command` when non-empty, its cmd by `args` when non-empty. */
  command: string[];
  args: string[];
  workingDir?: string;
  env: { name: string; value: string }[];
  mounts: Mount[];
  /** Relative to the sandbox's logDirectory. */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  resources?: ContainerResources;
  runAsUser?: number;
  runAsGroup?: number;
  privileged?: boolean;
  readonlyRootfs?: boolean;
  /** Signal sent by stopContainer before SIGKILL (default SIGTERM, or the image's). */
  stopSignal?: NodeJS.Signals;
}

export type ContainerState = 'CREATED' | 'RUNNING' | 'EXITED' | 'UNKNOWN';

export interface RuntimeContainer {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  state: ContainerState;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  /** Runtime's reason for an exit: `Completed`, `Error`, `OOMKilled`, `StartError`. */
  reason?: string;
  message?: string;
  image: string;
  imageRef: string;
  /** Absolute path of the container's log file. */
  logPath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A container's state change as the runtime saw it happen (CRI `GetContainerEvents`). */
export interface RuntimeContainerEvent {
  type: 'ContainerCreated' | 'ContainerStarted' | 'ContainerStopped' | 'ContainerDeleted';
  containerId: string;
  sandboxId: string;
  /** The pod's uid from the sandbox's labels, when the runtime knows it. */
  podUid?: string;
}

/** A runtime narrows its listing before it reads each sandbox's state (CRI's PodSandboxFilter). */
export interface PodSandboxFilter {
  id?: string;
  state?: SandboxState;
  labels?: Record<string, string>;
}

/** Whether `labels` hold every label of `selector` (no selector: every set does), as a filter's labels select. */
export function labelsMatch(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

export interface ContainerFilter {
  sandboxId?: string;
  state?: ContainerState;
  labels?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** The command did not finish within the timeout (it was killed). */
  timedOut: boolean;
}

export interface TerminalSize {
  width: number;
  height: number;
}

export interface StreamOptions {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
  /** Terminal size changes, for tty sessions. */
  resize?: AsyncIterable<TerminalSize>;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

export interface RuntimeVersion {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

/** One of the runtime's conditions (CRI `RuntimeCondition`): `RuntimeReady`, `NetworkReady`. */
export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export const RUNTIME_READY = 'RuntimeReady';
export const NETWORK_READY = 'NetworkReady';

export interface PullAuth {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
}

export class RuntimeError extends Error {
  constructor(
    /** `NotFound`, `InvalidArgument`, `ImageNotFound`, `ImagePullFailed`, `CreateFailed`, `StartFailed`, ... */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export interface Runtime {
  version(): Promise<RuntimeVersion>;
  /** The runtime's conditions (CRI `Status`); rejects when the runtime does not answer. */
  status(): Promise<RuntimeCondition[]>;

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stops every container of the sandbox (SIGKILL) and tears its network down; idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  listPodSandboxes(filter?: PodSandboxFilter): Promise<PodSandboxStatus[]>;

  createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Sends the stop signal, then SIGKILL after `timeoutSeconds` (0: at once); resolves when exited. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<RuntimeContainer>;
  listContainers(filter?: ContainerFilter): Promise<RuntimeContainer[]>;

  /** Runs a command in the container and collects its output; kills it after `timeoutSeconds`. */
  execSync(id: string, command: string[], timeoutSeconds: number): Promise<ExecResult>;
  /** Runs a command in the container with streams; resolves with its exit code. */
  exec(id: string, command: string[], streams: StreamOptions): Promise<number>;
  /** Attaches to the container's main process streams; resolves when the attachment ends. */
  attach(id: string, streams: StreamOptions): Promise<void>;
  /** A TCP connection to `port` inside the sandbox's network. */
  portForward(sandboxId: string, port: number): Promise<Duplex>;

  pullImage(image: string, auth?: PullAuth): Promise<string>;
  imageStatus(image: string): Promise<ImageInfo | undefined>;
  listImages(): Promise<ImageInfo[]>;
  removeImage(image: string): Promise<void>;

  /**
   * Subscribes to container state changes as they happen, so that the agent need not wait for its
   * next relist to notice an exit. Optional: without it (or between events) the relist is the truth.
   * Returns the unsubscribe function.
   */
  subscribeContainerEvents?(listener: (event: RuntimeContainerEvent) => void): () => void;

  /** Releases what the runtime holds in this process (not the containers themselves). */
  close(): Promise<void>;
}
