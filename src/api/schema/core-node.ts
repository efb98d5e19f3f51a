// core/v1 Node: spec (taints, CIDRs) and status (conditions, addresses, capacity, system info).
import { Quantity, Time, topLevel } from './meta.js';
import { boolean, enumOf, int32, int64, keyed, list, map, ref, req, string, struct } from './dsl.js';

const CORE = 'io.k8s.api.core.v1';

export const Taint = struct(`${CORE}.Taint`, 'Keeps pods that do not tolerate it off the node.', {
  effect: req(enumOf(['NoExecute', 'NoSchedule', 'PreferNoSchedule'], 'Effect on pods that do not tolerate the taint.')),
  key: req(string('Key of the taint.')),
  timeAdded: ref(Time, 'When a NoExecute taint was added.'),
  value: string('Value of the taint.'),
});

export const ConfigMapNodeConfigSource = struct(
  `${CORE}.ConfigMapNodeConfigSource`,
  'A ConfigMap holding node configuration. Deprecated.',
  {
    kubeletConfigKey: req(string('Key of the kubelet configuration in the ConfigMap.')),
    name: req(string('Name of the ConfigMap.')),
    namespace: req(string('Namespace of the ConfigMap.')),
    resourceVersion: string('Version of the ConfigMap.'),
    uid: string('UID of the ConfigMap.'),
  },
);

export const NodeConfigSource = struct(`${CORE}.NodeConfigSource`, 'Where node configuration comes from. Deprecated.', {
  configMap: ref(ConfigMapNodeConfigSource, 'A ConfigMap source.'),
});

export const NodeSpec = struct(`${CORE}.NodeSpec`, 'The desired state of a node.', {
  configSource: ref(NodeConfigSource, 'Deprecated; ignored.'),
  externalID: string('Deprecated; ignored.'),
  podCIDR: string('Pod IP range of the node.'),
  podCIDRs: list('string', 'Pod IP ranges of the node, one per family; the first equals podCIDR.', {
    type: 'set',
    strategy: 'merge',
  }),
  providerID: string('ID of the node at its cloud provider.'),
  taints: list(Taint, 'Taints of the node.'),
  unschedulable: boolean('Whether new pods are kept off the node.'),
});

export const NodeAddress = struct(`${CORE}.NodeAddress`, 'An address of a node.', {
  address: req(string('The address.')),
  type: req(string('Type: Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.')),
});

export const NodeCondition = struct(`${CORE}.NodeCondition`, 'One condition of a node.', {
  lastHeartbeatTime: ref(Time, 'When the condition was last reported.'),
  lastTransitionTime: ref(Time, 'When the status last changed.'),
  message: string('Human-readable details.'),
  reason: string('CamelCase reason for the last transition.'),
  status: req(string('True, False or Unknown.')),
  type: req(string('Type: Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable.')),
});

export const NodeConfigStatus = struct(`${CORE}.NodeConfigStatus`, 'State of dynamic node configuration. Deprecated.', {
  active: ref(NodeConfigSource, 'Configuration in use.'),
  assigned: ref(NodeConfigSource, 'Configuration the node was told to use.'),
  error: string('Problem applying the configuration.'),
  lastKnownGood: ref(NodeConfigSource, 'Configuration to fall back to.'),
});

export const DaemonEndpoint = struct(`${CORE}.DaemonEndpoint`, 'A port a node daemon listens on.', {
  Port: req(int32('Port number.')),
});

export const NodeDaemonEndpoints = struct(`${CORE}.NodeDaemonEndpoints`, 'Ports of the daemons on a node.', {
  kubeletEndpoint: ref(DaemonEndpoint, 'Port of the node agent.'),
});

export const NodeFeatures = struct(`${CORE}.NodeFeatures`, 'Optional features the node supports.', {
  supplementalGroupsPolicy: boolean('Whether supplementalGroupsPolicy is honoured.'),
});

export const ContainerImage = struct(`${CORE}.ContainerImage`, 'An image present on a node.', {
  names: list('string', 'Names the image is known by.'),
  sizeBytes: int64('Size of the image in bytes.'),
});

export const NodeSwapStatus = struct(`${CORE}.NodeSwapStatus`, 'Swap memory of a node.', {
  capacity: int64('Total swap in bytes.'),
});

export const NodeSystemInfo = struct(`${CORE}.NodeSystemInfo`, 'Identity and versions of a node.', {
  architecture: req(string('CPU architecture.')),
  bootID: req(string('ID of the current boot.')),
  containerRuntimeVersion: req(string('Container runtime and version, as <runtime>://<version>.')),
  kernelVersion: req(string('Kernel release.')),
  kubeProxyVersion: req(string('Deprecated: version of the service proxy.')),
  kubeletVersion: req(string('Version of the node agent.')),
  machineID: req(string('Machine ID of the node.')),
  operatingSystem: req(string('Operating system, such as linux.')),
  osImage: req(string('Operating system image, from /etc/os-release.')),
  swap: ref(NodeSwapStatus, 'Swap memory.'),
  systemUUID: req(string('System UUID of the node.')),
});

export const NodeRuntimeHandlerFeatures = struct(
  `${CORE}.NodeRuntimeHandlerFeatures`,
  'Features of a runtime handler.',
  {
    recursiveReadOnlyMounts: boolean('Whether recursive read-only mounts work.'),
    userNamespaces: boolean('Whether user namespaces work.'),
  },
);

export const NodeRuntimeHandler = struct(`${CORE}.NodeRuntimeHandler`, 'A runtime handler of a node.', {
  features: ref(NodeRuntimeHandlerFeatures, 'Features of the handler.'),
  name: string('Name of the handler; empty for the default.'),
});

export const AttachedVolume = struct(`${CORE}.AttachedVolume`, 'A volume attached to a node.', {
  devicePath: req(string('Where the device is available.')),
  name: req(string('Name of the volume.')),
});

export const NodeStatus = struct(`${CORE}.NodeStatus`, 'The observed state of a node.', {
  addresses: list(NodeAddress, 'Addresses of the node.', keyed('type')),
  allocatable: map(Quantity, 'Resources available to pods; defaults to the capacity.'),
  capacity: map(Quantity, 'Total resources of the node.'),
  conditions: list(NodeCondition, 'Current conditions of the node.', keyed('type')),
  config: ref(NodeConfigStatus, 'Deprecated dynamic configuration state.'),
  daemonEndpoints: ref(NodeDaemonEndpoints, 'Ports of the daemons on the node.'),
  features: ref(NodeFeatures, 'Optional features the node supports.'),
  images: list(ContainerImage, 'Images on the node.'),
  nodeInfo: ref(NodeSystemInfo, 'Identity and versions of the node.'),
  phase: enumOf(['Pending', 'Running', 'Terminated'], 'Deprecated lifecycle phase.'),
  runtimeHandlers: list(NodeRuntimeHandler, 'Runtime handlers available.'),
  volumesAttached: list(AttachedVolume, 'Volumes attached to the node.'),
  volumesInUse: list('string', 'Volumes in use by pods on the node.'),
});

export const Node = topLevel('', 'v1', 'Node', 'A machine that runs pods.', {
  spec: ref(NodeSpec, 'Desired state of the node.'),
  status: ref(NodeStatus, 'Observed state of the node. Read-only.'),
});
