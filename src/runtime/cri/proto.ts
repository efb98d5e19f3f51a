// The part of the CRI v1 API (package runtime.v1) that k8ts speaks, as protobufjs reflection built
// from our own compact field lists: only the messages and fields we send or read. Field numbers
// follow the published CRI API; names are camelCase since only numbers travel on the wire.

import protobuf from 'protobufjs';

/** `[rule] type name = number` per line, where rule is `repeated` or `map<K,V>` stands for type. */
const MESSAGES: Record<string, string> = {
  VersionRequest: 'string version = 1',
  VersionResponse: 'string version = 1; string runtimeName = 2; string runtimeVersion = 3; string runtimeApiVersion = 4',
  RuntimeCondition: 'string type = 1; bool status = 2; string reason = 3; string message = 4',
  RuntimeStatus: 'repeated RuntimeCondition conditions = 1',
  StatusRequest: 'bool verbose = 1',
  StatusResponse: 'RuntimeStatus status = 1; map<string,string> info = 2',

  DNSConfig: 'repeated string servers = 1; repeated string searches = 2; repeated string options = 3',
  PortMapping: 'int32 protocol = 1; int32 containerPort = 2; int32 hostPort = 3; string hostIp = 4',
  Mount: 'string containerPath = 1; string hostPath = 2; bool readonly = 3; bool selinuxRelabel = 4; int32 propagation = 5',
  NamespaceOption: 'int32 network = 1; int32 pid = 2; int32 ipc = 3; string targetId = 4',
  Int64Value: 'int64 value = 1',
  UInt64Value: 'uint64 value = 1',
  LinuxSandboxSecurityContext:
    'NamespaceOption namespaceOptions = 1; Int64Value runAsUser = 3; bool readonlyRootfs = 4; repeated int64 supplementalGroups = 5; bool privileged = 6; Int64Value runAsGroup = 8',
  LinuxPodSandboxConfig: 'string cgroupParent = 1; LinuxSandboxSecurityContext securityContext = 2; map<string,string> sysctls = 3',
  PodSandboxMetadata: 'string name = 1; string uid = 2; string namespace = 3; uint32 attempt = 4',
  PodSandboxConfig:
    'PodSandboxMetadata metadata = 1; string hostname = 2; string logDirectory = 3; DNSConfig dnsConfig = 4; repeated PortMapping portMappings = 5; ' +
    'map<string,string> labels = 6; map<string,string> annotations = 7; LinuxPodSandboxConfig linux = 8',
  RunPodSandboxRequest: 'PodSandboxConfig config = 1; string runtimeHandler = 2',
  RunPodSandboxResponse: 'string podSandboxId = 1',
  StopPodSandboxRequest: 'string podSandboxId = 1',
  StopPodSandboxResponse: '',
  RemovePodSandboxRequest: 'string podSandboxId = 1',
  RemovePodSandboxResponse: '',
  PodSandboxStatusRequest: 'string podSandboxId = 1; bool verbose = 2',
  PodIP: 'string ip = 1',
  PodSandboxNetworkStatus: 'string ip = 1; repeated PodIP additionalIps = 2',
  Namespace: 'NamespaceOption options = 2',
  LinuxPodSandboxStatus: 'Namespace namespaces = 1',
  PodSandboxStatus:
    'string id = 1; PodSandboxMetadata metadata = 2; int32 state = 3; int64 createdAt = 4; PodSandboxNetworkStatus network = 5; ' +
    'LinuxPodSandboxStatus linux = 6; map<string,string> labels = 7; map<string,string> annotations = 8; string runtimeHandler = 9',
  PodSandboxStatusResponse: 'PodSandboxStatus status = 1; map<string,string> info = 2',
  PodSandboxStateValue: 'int32 state = 1',
  PodSandboxFilter: 'string id = 1; PodSandboxStateValue state = 2; map<string,string> labelSelector = 3',
  ListPodSandboxRequest: 'PodSandboxFilter filter = 1',
  PodSandbox:
    'string id = 1; PodSandboxMetadata metadata = 2; int32 state = 3; int64 createdAt = 4; map<string,string> labels = 5; map<string,string> annotations = 6; string runtimeHandler = 7',
  ListPodSandboxResponse: 'repeated PodSandbox items = 1',

  ImageSpec: 'string image = 1; map<string,string> annotations = 2',
  KeyValue: 'string key = 1; string value = 2',
  LinuxContainerResources:
    'int64 cpuPeriod = 1; int64 cpuQuota = 2; int64 cpuShares = 3; int64 memoryLimitInBytes = 4; int64 oomScoreAdj = 5; string cpusetCpus = 6; string cpusetMems = 7; ' +
    'map<string,string> unified = 9; int64 memorySwapLimitInBytes = 10',
  Capability: 'repeated string addCapabilities = 1; repeated string dropCapabilities = 2',
  LinuxContainerSecurityContext:
    'Capability capabilities = 1; bool privileged = 2; NamespaceOption namespaceOptions = 3; Int64Value runAsUser = 5; string runAsUsername = 6; ' +
    'bool readonlyRootfs = 7; repeated int64 supplementalGroups = 8; bool noNewPrivs = 11; Int64Value runAsGroup = 12; repeated string maskedPaths = 13; repeated string readonlyPaths = 14',
  LinuxContainerConfig: 'LinuxContainerResources resources = 1; LinuxContainerSecurityContext securityContext = 2',
  ContainerMetadata: 'string name = 1; uint32 attempt = 2',
  ContainerConfig:
    'ContainerMetadata metadata = 1; ImageSpec image = 2; repeated string command = 3; repeated string args = 4; string workingDir = 5; repeated KeyValue envs = 6; ' +
    'repeated Mount mounts = 7; map<string,string> labels = 9; map<string,string> annotations = 10; string logPath = 11; bool stdin = 12; bool stdinOnce = 13; bool tty = 14; ' +
    'LinuxContainerConfig linux = 15; int32 stopSignal = 18',
  CreateContainerRequest: 'string podSandboxId = 1; ContainerConfig config = 2; PodSandboxConfig sandboxConfig = 3',
  CreateContainerResponse: 'string containerId = 1',
  StartContainerRequest: 'string containerId = 1',
  StartContainerResponse: '',
  StopContainerRequest: 'string containerId = 1; int64 timeout = 2',
  StopContainerResponse: '',
  RemoveContainerRequest: 'string containerId = 1',
  RemoveContainerResponse: '',
  ContainerStateValue: 'int32 state = 1',
  ContainerFilter: 'string id = 1; ContainerStateValue state = 2; string podSandboxId = 3; map<string,string> labelSelector = 4',
  ListContainersRequest: 'ContainerFilter filter = 1',
  Container:
    'string id = 1; string podSandboxId = 2; ContainerMetadata metadata = 3; ImageSpec image = 4; string imageRef = 5; int32 state = 6; int64 createdAt = 7; ' +
    'map<string,string> labels = 8; map<string,string> annotations = 9',
  ListContainersResponse: 'repeated Container containers = 1',
  ContainerStatusRequest: 'string containerId = 1; bool verbose = 2',
  ContainerStatus:
    'string id = 1; ContainerMetadata metadata = 2; int32 state = 3; int64 createdAt = 4; int64 startedAt = 5; int64 finishedAt = 6; int32 exitCode = 7; ' +
    'ImageSpec image = 8; string imageRef = 9; string reason = 10; string message = 11; map<string,string> labels = 12; map<string,string> annotations = 13; ' +
    'repeated Mount mounts = 14; string logPath = 15',
  ContainerStatusResponse: 'ContainerStatus status = 1; map<string,string> info = 2',

  ExecSyncRequest: 'string containerId = 1; repeated string cmd = 2; int64 timeout = 3',
  ExecSyncResponse: 'bytes stdout = 1; bytes stderr = 2; int32 exitCode = 3',
  ExecRequest: 'string containerId = 1; repeated string cmd = 2; bool tty = 3; bool stdin = 4; bool stdout = 5; bool stderr = 6',
  ExecResponse: 'string url = 1',
  AttachRequest: 'string containerId = 1; bool stdin = 2; bool tty = 3; bool stdout = 4; bool stderr = 5',
  AttachResponse: 'string url = 1',
  PortForwardRequest: 'string podSandboxId = 1; repeated int32 port = 2',
  PortForwardResponse: 'string url = 1',

  ContainerStatsRequest: 'string containerId = 1',
  ContainerAttributes: 'string id = 1; ContainerMetadata metadata = 2; map<string,string> labels = 3; map<string,string> annotations = 4',
  CpuUsage: 'int64 timestamp = 1; UInt64Value usageCoreNanoSeconds = 2; UInt64Value usageNanoCores = 3',
  MemoryUsage:
    'int64 timestamp = 1; UInt64Value workingSetBytes = 2; UInt64Value availableBytes = 3; UInt64Value usageBytes = 4; UInt64Value rssBytes = 5; UInt64Value pageFaults = 6; UInt64Value majorPageFaults = 7',
  FilesystemIdentifier: 'string mountpoint = 1',
  FilesystemUsage: 'int64 timestamp = 1; FilesystemIdentifier fsId = 2; UInt64Value usedBytes = 3; UInt64Value inodesUsed = 4',
  ContainerStats: 'ContainerAttributes attributes = 1; CpuUsage cpu = 2; MemoryUsage memory = 3; FilesystemUsage writableLayer = 4',
  ContainerStatsResponse: 'ContainerStats stats = 1',

  ImageFilter: 'ImageSpec image = 1',
  ListImagesRequest: 'ImageFilter filter = 1',
  Image: 'string id = 1; repeated string repoTags = 2; repeated string repoDigests = 3; uint64 size = 4; Int64Value uid = 5; string username = 6; ImageSpec spec = 7; bool pinned = 8',
  ListImagesResponse: 'repeated Image images = 1',
  ImageStatusRequest: 'ImageSpec image = 1; bool verbose = 2',
  ImageStatusResponse: 'Image image = 1; map<string,string> info = 2',
  AuthConfig: 'string username = 1; string password = 2; string auth = 3; string serverAddress = 4; string identityToken = 5; string registryToken = 6',
  PullImageRequest: 'ImageSpec image = 1; AuthConfig auth = 2; PodSandboxConfig sandboxConfig = 3',
  PullImageResponse: 'string imageRef = 1',
  RemoveImageRequest: 'ImageSpec image = 1',
  RemoveImageResponse: '',
  ImageFsInfoRequest: '',
  ImageFsInfoResponse: 'repeated FilesystemUsage imageFilesystems = 1; repeated FilesystemUsage containerFilesystems = 2',

  GetEventsRequest: '',
  ContainerEventResponse:
    'string containerId = 1; int32 containerEventType = 2; int64 createdAt = 3; PodSandboxStatus podSandboxStatus = 4; repeated ContainerStatus containersStatuses = 5',
};

/**
 * containerd's own event service (package containerd.services.events.v1, served on the same socket
 * as CRI), for runtimes without `GetContainerEvents`: the envelope, and the task and container
 * events whose first field names the container.
 */
const CONTAINERD_MESSAGES: Record<string, string> = {
  SubscribeRequest: 'repeated string filters = 1',
  Any: 'string typeUrl = 1; bytes value = 2',
  Envelope: 'string namespace = 2; string topic = 3; Any event = 4',
  TaskStart: 'string containerId = 1; uint32 pid = 2',
  TaskExit: 'string containerId = 1; string id = 2; uint32 pid = 3; uint32 exitStatus = 4',
  ContainerCreate: 'string id = 1; string image = 2',
  ContainerDelete: 'string id = 1',
};

/** Method name → [request, response] message names, per service. */
export const RUNTIME_SERVICE = {
  Version: ['VersionRequest', 'VersionResponse'],
  Status: ['StatusRequest', 'StatusResponse'],
  RunPodSandbox: ['RunPodSandboxRequest', 'RunPodSandboxResponse'],
  StopPodSandbox: ['StopPodSandboxRequest', 'StopPodSandboxResponse'],
  RemovePodSandbox: ['RemovePodSandboxRequest', 'RemovePodSandboxResponse'],
  PodSandboxStatus: ['PodSandboxStatusRequest', 'PodSandboxStatusResponse'],
  ListPodSandbox: ['ListPodSandboxRequest', 'ListPodSandboxResponse'],
  CreateContainer: ['CreateContainerRequest', 'CreateContainerResponse'],
  StartContainer: ['StartContainerRequest', 'StartContainerResponse'],
  StopContainer: ['StopContainerRequest', 'StopContainerResponse'],
  RemoveContainer: ['RemoveContainerRequest', 'RemoveContainerResponse'],
  ListContainers: ['ListContainersRequest', 'ListContainersResponse'],
  ContainerStatus: ['ContainerStatusRequest', 'ContainerStatusResponse'],
  ExecSync: ['ExecSyncRequest', 'ExecSyncResponse'],
  Exec: ['ExecRequest', 'ExecResponse'],
  Attach: ['AttachRequest', 'AttachResponse'],
  PortForward: ['PortForwardRequest', 'PortForwardResponse'],
  ContainerStats: ['ContainerStatsRequest', 'ContainerStatsResponse'],
} as const;

export const IMAGE_SERVICE = {
  ListImages: ['ListImagesRequest', 'ListImagesResponse'],
  ImageStatus: ['ImageStatusRequest', 'ImageStatusResponse'],
  PullImage: ['PullImageRequest', 'PullImageResponse'],
  RemoveImage: ['RemoveImageRequest', 'RemoveImageResponse'],
  ImageFsInfo: ['ImageFsInfoRequest', 'ImageFsInfoResponse'],
} as const;

/** Server-streaming RuntimeService methods → [request, response]. */
export const RUNTIME_STREAMS = {
  GetContainerEvents: ['GetEventsRequest', 'ContainerEventResponse'],
} as const;

/** CRI enum values we use (the enums travel as varints; we declare them as int32). */
export const SandboxStateValue = { READY: 0, NOTREADY: 1 } as const;
export const ContainerStateValue = { CREATED: 0, RUNNING: 1, EXITED: 2, UNKNOWN: 3 } as const;
export const NamespaceModeValue = { POD: 0, CONTAINER: 1, NODE: 2, TARGET: 3 } as const;
export const ProtocolValue = { TCP: 0, UDP: 1, SCTP: 2 } as const;
export const ContainerEventTypeValue = { CREATED: 0, STARTED: 1, STOPPED: 2, DELETED: 3 } as const;

const FIELD = /^(repeated\s+)?(map<(\w+),(\w+)>|\w+)\s+(\w+)\s*=\s*(\d+)$/;

function types(messages: Record<string, string>): Record<string, protobuf.IType> {
  const nested: Record<string, protobuf.IType> = {};
  for (const [name, spec] of Object.entries(messages)) {
    const fields: Record<string, protobuf.IField & { keyType?: string }> = {};
    for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
      const m = FIELD.exec(part);
      if (!m) throw new Error(`CRI descriptor: cannot read field "${part}" of ${name}`);
      const [, repeated, type, keyType, valueType, field, id] = m;
      fields[field!] = keyType
        ? { type: valueType!, id: Number(id), keyType }
        : { type: type!, id: Number(id), ...(repeated ? { rule: 'repeated' } : {}) };
    }
    nested[name] = { fields };
  }
  return nested;
}

function descriptor(): protobuf.INamespace {
  return {
    nested: {
      runtime: { nested: { v1: { nested: types(MESSAGES) } } },
      containerd: { nested: { wire: { nested: types(CONTAINERD_MESSAGES) } } },
    },
  };
}

const root = protobuf.Root.fromJSON(descriptor());

export type CriMessage = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface MessageCodec {
  encode(value: CriMessage): Buffer;
  decode(bytes: Buffer): CriMessage;
}

const codecs = new Map<string, MessageCodec>();

/**
 * Encoder and decoder of one runtime.v1 message (or, `containerd:Name`, of containerd's); int64
 * fields decode to numbers, bytes to Buffers.
 */
export function codec(name: string): MessageCodec {
  let c = codecs.get(name);
  if (!c) {
    const type = root.lookupType(name.startsWith('containerd:') ? `containerd.wire.${name.slice('containerd:'.length)}` : `runtime.v1.${name}`);
    c = {
      encode: (value) => Buffer.from(type.encode(type.fromObject(value)).finish()),
      decode: (bytes) => type.toObject(type.decode(bytes), { longs: Number, defaults: true, arrays: true, objects: true }),
    };
    codecs.set(name, c);
  }
  return c;
}
