// core/v1 Pod: its spec (scheduling, security, DNS), its status, the pod template and Binding.
import { LabelSelector, ObjectMeta, Quantity, Time, topLevel } from './meta.js';
import { LocalObjectReference, ObjectReference } from './core-refs.js';
import {
  AppArmorProfile,
  Container,
  EphemeralContainer,
  ResourceRequirements,
  SELinuxOptions,
  SeccompProfile,
  WindowsSecurityContextOptions,
} from './core-container.js';
import { Volume } from './core-volume.js';
import {
  atomicMap,
  atomicStruct,
  boolean,
  enumOf,
  int32,
  int64,
  keyed,
  list,
  map,
  ref,
  req,
  string,
  struct,
} from './dsl.js';

const CORE = 'io.k8s.api.core.v1';

// ---- node and pod affinity -------------------------------------------------------------------------

export const NodeSelectorRequirement = struct(
  `${CORE}.NodeSelectorRequirement`,
  'A term over one node label or field.',
  {
    key: req(string('The label key or field name.')),
    operator: req(
      enumOf(['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'], 'How the key relates to the values.'),
    ),
    values: list('string', 'Values: several for In and NotIn, none for Exists and DoesNotExist, one integer for Gt and Lt.'),
  },
);

export const NodeSelectorTerm = atomicStruct(struct(
  `${CORE}.NodeSelectorTerm`,
  'A set of requirements that must all hold; an empty term matches nothing.',
  {
    matchExpressions: list(NodeSelectorRequirement, 'Requirements over node labels.'),
    matchFields: list(NodeSelectorRequirement, 'Requirements over node fields.'),
  },
));

export const NodeSelector = atomicStruct(struct(`${CORE}.NodeSelector`, 'Matches nodes by any of its terms.', {
  nodeSelectorTerms: req(list(NodeSelectorTerm, 'The terms, ORed.')),
}));

export const PreferredSchedulingTerm = struct(
  `${CORE}.PreferredSchedulingTerm`,
  'A weighted node preference.',
  {
    preference: req(ref(NodeSelectorTerm, 'The nodes preferred.')),
    weight: req(int32('Weight of the preference, 1 to 100.')),
  },
);

export const NodeAffinity = struct(`${CORE}.NodeAffinity`, 'Rules that tie the pod to nodes.', {
  preferredDuringSchedulingIgnoredDuringExecution: list(
    PreferredSchedulingTerm,
    'Preferences; the nodes with the highest sum of matching weights win.',
  ),
  requiredDuringSchedulingIgnoredDuringExecution: ref(
    NodeSelector,
    'Requirements a node must meet for the pod to be scheduled there.',
  ),
});

export const PodAffinityTerm = struct(
  `${CORE}.PodAffinityTerm`,
  'A set of pods that this pod should (or should not) run in the same topology domain as.',
  {
    labelSelector: ref(LabelSelector, 'Label query over pods.'),
    matchLabelKeys: list('string', 'Label keys whose values, taken from this pod, are added to labelSelector.'),
    mismatchLabelKeys: list('string', 'Label keys whose values, taken from this pod, are excluded in labelSelector.'),
    namespaceSelector: ref(LabelSelector, 'Label query over namespaces to search; empty matches all.'),
    namespaces: list('string', 'Namespaces to search; defaults to the namespace of this pod.'),
    topologyKey: req(string('Node label whose value defines the topology domain, such as kubernetes.io/hostname.')),
  },
);

export const WeightedPodAffinityTerm = struct(
  `${CORE}.WeightedPodAffinityTerm`,
  'A weighted pod affinity term.',
  {
    podAffinityTerm: req(ref(PodAffinityTerm, 'The term.')),
    weight: req(int32('Weight of the term, 1 to 100.')),
  },
);

const podAffinityFields = (verb: string) => ({
  preferredDuringSchedulingIgnoredDuringExecution: list(
    WeightedPodAffinityTerm,
    `Preferences to ${verb} matching pods, weighed by the scheduler.`,
  ),
  requiredDuringSchedulingIgnoredDuringExecution: list(
    PodAffinityTerm,
    `Terms that must all hold, to ${verb} matching pods, for the pod to be scheduled.`,
  ),
});

export const PodAffinity = struct(
  `${CORE}.PodAffinity`,
  'Rules that place the pod near other pods.',
  podAffinityFields('be near'),
);
export const PodAntiAffinity = struct(
  `${CORE}.PodAntiAffinity`,
  'Rules that keep the pod away from other pods.',
  podAffinityFields('stay away from'),
);

export const Affinity = struct(`${CORE}.Affinity`, 'Scheduling constraints of the pod.', {
  nodeAffinity: ref(NodeAffinity, 'Node affinity rules.'),
  podAffinity: ref(PodAffinity, 'Pod affinity rules.'),
  podAntiAffinity: ref(PodAntiAffinity, 'Pod anti-affinity rules.'),
});

export const Toleration = struct(
  `${CORE}.Toleration`,
  'Lets the pod be scheduled onto, or stay on, nodes with a matching taint.',
  {
    effect: enumOf(['NoExecute', 'NoSchedule', 'PreferNoSchedule'], 'Taint effect to match; empty matches all.'),
    key: string('Taint key to match; empty with operator Exists matches every taint.'),
    operator: enumOf(['Equal', 'Exists'], 'Equal (default) compares the value; Exists matches any value.'),
    tolerationSeconds: int64(
      'For NoExecute: how long the pod stays bound after the taint appears. Unset means forever.',
    ),
    value: string('Taint value to match; empty for Exists.'),
  },
);

export const TopologySpreadConstraint = struct(
  `${CORE}.TopologySpreadConstraint`,
  'How matching pods are spread over a topology.',
  {
    labelSelector: ref(LabelSelector, 'Selects the pods that are counted.'),
    matchLabelKeys: list('string', 'Label keys whose values, taken from this pod, are added to labelSelector.'),
    maxSkew: req(int32('Most the number of matching pods may differ between domains; at least 1.')),
    minDomains: int32('Least number of eligible domains; needs whenUnsatisfiable DoNotSchedule.'),
    nodeAffinityPolicy: enumOf(['Honor', 'Ignore'], 'Whether node affinity and selector limit the domains; Honor by default.'),
    nodeTaintsPolicy: enumOf(['Honor', 'Ignore'], 'Whether node taints limit the domains; Ignore by default.'),
    topologyKey: req(string('Node label whose value defines a domain.')),
    whenUnsatisfiable: req(
      enumOf(['DoNotSchedule', 'ScheduleAnyway'], 'What to do with a pod that would break the constraint.'),
    ),
  },
);

// ---- pod-level settings --------------------------------------------------------------------------

export const Sysctl = struct(`${CORE}.Sysctl`, 'A kernel parameter to set.', {
  name: req(string('Name of the parameter.')),
  value: req(string('Value to set.')),
});

export const PodSecurityContext = struct(
  `${CORE}.PodSecurityContext`,
  'Security settings for all containers of the pod; container settings win where both exist.',
  {
    appArmorProfile: ref(AppArmorProfile, 'AppArmor profile of the containers.'),
    fsGroup: int64('Group that owns the volumes and is added to every container process.'),
    fsGroupChangePolicy: enumOf(
      ['Always', 'OnRootMismatch'],
      'When volume ownership and permissions are changed: Always or OnRootMismatch.',
    ),
    runAsGroup: int64('Group ID of the entry point processes.'),
    runAsNonRoot: boolean('Refuse to start containers that would run as UID 0.'),
    runAsUser: int64('User ID of the entry point processes; defaults to the image user.'),
    seLinuxChangePolicy: string('How volumes get their SELinux label: MountOption or Recursive.'),
    seLinuxOptions: ref(SELinuxOptions, 'SELinux context of the containers.'),
    seccompProfile: ref(SeccompProfile, 'Seccomp profile of the containers.'),
    supplementalGroups: list('int64', 'Extra groups of the first process of each container.'),
    supplementalGroupsPolicy: enumOf(['Merge', 'Strict'], 'Whether groups from the image are merged in; Merge by default.'),
    sysctls: list(Sysctl, 'Namespaced kernel parameters.'),
    windowsOptions: ref(WindowsSecurityContextOptions, 'Windows-specific settings.'),
  },
);

export const PodDNSConfigOption = struct(`${CORE}.PodDNSConfigOption`, 'A resolver option.', {
  name: string('Name of the option.'),
  value: string('Value of the option.'),
});

export const PodDNSConfig = struct(`${CORE}.PodDNSConfig`, 'DNS settings merged with those from dnsPolicy.', {
  nameservers: list('string', 'Extra name server IPs.'),
  options: list(PodDNSConfigOption, 'Resolver options; later ones override earlier ones with the same name.'),
  searches: list('string', 'Extra search domains.'),
});

export const HostAlias = struct(`${CORE}.HostAlias`, 'An entry of the /etc/hosts file of the pod.', {
  hostnames: list('string', 'Host names for the IP.'),
  ip: req(string('The IP address.')),
});

export const PodOS = struct(`${CORE}.PodOS`, 'The operating system of the containers.', {
  name: req(string('Operating system name: linux or windows.')),
});

export const PodReadinessGate = struct(`${CORE}.PodReadinessGate`, 'An extra condition the pod must meet to be ready.', {
  conditionType: req(string('Type of a condition in the pod status.')),
});

export const PodSchedulingGate = struct(`${CORE}.PodSchedulingGate`, 'Holds the pod back from scheduling.', {
  name: req(string('Name of the gate, unique in the pod.')),
});

export const PodResourceClaim = struct(
  `${CORE}.PodResourceClaim`,
  'A resource claim the pod uses, by claim or template.',
  {
    name: req(string('Name of the claim in the pod, a DNS label.')),
    resourceClaimName: string('Name of an existing ResourceClaim.'),
    resourceClaimTemplateName: string('Name of a ResourceClaimTemplate to create a claim for this pod from.'),
  },
);

// ---- the spec --------------------------------------------------------------------------------------

export const PodSpec = struct(`${CORE}.PodSpec`, 'The desired state of a pod.', {
  activeDeadlineSeconds: int64('Seconds the pod may be active, counted from its start, before the system fails it.'),
  affinity: ref(Affinity, 'Scheduling constraints.'),
  automountServiceAccountToken: boolean('Whether a service account token is mounted automatically.'),
  containers: req(
    list(Container, 'The containers of the pod; at least one. Cannot be added or removed.', keyed('name')),
  ),
  dnsConfig: ref(PodDNSConfig, 'DNS parameters merged with those from dnsPolicy.'),
  dnsPolicy: enumOf(
    ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'],
    'DNS policy: ClusterFirst (default), ClusterFirstWithHostNet, Default or None.',
  ),
  enableServiceLinks: boolean('Inject environment variables for the services in the namespace; defaults to true.'),
  ephemeralContainers: list(
    EphemeralContainer,
    'Debugging containers added to the running pod through the ephemeralcontainers subresource.',
    keyed('name'),
  ),
  hostAliases: list(HostAlias, 'Extra entries of the /etc/hosts file.', keyed('ip')),
  hostIPC: boolean("Use the host's IPC namespace; defaults to false."),
  hostNetwork: boolean("Use the host's network namespace; defaults to false."),
  hostPID: boolean("Use the host's PID namespace; defaults to false."),
  hostUsers: boolean("Use the host's user namespace; defaults to true."),
  hostname: string('Host name of the pod; defaults to the pod name.'),
  imagePullSecrets: list(
    LocalObjectReference,
    'Secrets in the namespace used to pull the images.',
    keyed('name'),
  ),
  initContainers: list(
    Container,
    'Containers run one after another, each to completion, before the main containers start. Those with restartPolicy Always are sidecars.',
    keyed('name'),
  ),
  nodeName: string('Node the pod runs on; setting it skips the scheduler.'),
  nodeSelector: atomicMap('string', 'Labels a node must have for the pod to fit there.'),
  os: ref(PodOS, 'Operating system the containers need.'),
  overhead: map(Quantity, 'Resources the runtime itself uses for the pod; set by admission from the RuntimeClass.'),
  preemptionPolicy: enumOf(
    ['Never', 'PreemptLowerPriority'],
    'Whether the pod may preempt lower-priority pods; PreemptLowerPriority by default.',
  ),
  priority: int32('Priority value, resolved from priorityClassName by admission.'),
  priorityClassName: string('Name of the PriorityClass of the pod.'),
  readinessGates: list(PodReadinessGate, 'Extra conditions that must be True for the pod to be ready.'),
  resourceClaims: list(
    PodResourceClaim,
    'Resource claims the containers may use. Cannot be updated.',
    keyed('name', 'merge,retainKeys'),
  ),
  resources: ref(ResourceRequirements, 'Resources of the pod as a whole (cpu, memory, hugepages).'),
  restartPolicy: enumOf(
    ['Always', 'Never', 'OnFailure'],
    'Restart policy of the containers: Always (default), OnFailure or Never.',
  ),
  runtimeClassName: string('RuntimeClass to run the pod with.'),
  schedulerName: string('Scheduler that places the pod; the default scheduler when empty.'),
  schedulingGates: list(PodSchedulingGate, 'Gates that must all be removed before the pod is scheduled.', keyed('name')),
  securityContext: ref(PodSecurityContext, 'Pod-level security settings.'),
  serviceAccount: string('Deprecated alias of serviceAccountName.'),
  serviceAccountName: string('Service account the pod runs as.'),
  setHostnameAsFQDN: boolean('Use the fully qualified domain name as the host name; defaults to false.'),
  shareProcessNamespace: boolean('Share one PID namespace among all containers; defaults to false.'),
  subdomain: string('Subdomain: the pod gets the name <hostname>.<subdomain>.<namespace>.svc.<cluster domain>.'),
  terminationGracePeriodSeconds: int64(
    'Seconds between the termination signal and the kill; defaults to 30. Zero kills at once.',
  ),
  tolerations: list(Toleration, 'Taints the pod tolerates.'),
  topologySpreadConstraints: list(
    TopologySpreadConstraint,
    'How the pod is spread over topology domains.',
    keyed(['topologyKey', 'whenUnsatisfiable']),
  ),
  volumes: list(Volume, 'Volumes the containers can mount.', keyed('name', 'merge,retainKeys')),
});

export const PodTemplateSpec = struct(`${CORE}.PodTemplateSpec`, 'A template from which pods are created.', {
  metadata: ref(ObjectMeta, 'Metadata of the created pods.'),
  spec: ref(PodSpec, 'Spec of the created pods.'),
});

// ---- the status ------------------------------------------------------------------------------------

export const PodCondition = struct(`${CORE}.PodCondition`, 'One condition of a pod.', {
  lastProbeTime: ref(Time, 'When the condition was last probed.'),
  lastTransitionTime: ref(Time, 'When the status last changed.'),
  message: string('Human-readable details.'),
  observedGeneration: int64('The metadata.generation the condition was set from.'),
  reason: string('CamelCase reason for the last transition.'),
  status: req(string('True, False or Unknown.')),
  type: req(string('Type: PodScheduled, Initialized, ContainersReady, Ready, PodReadyToStartContainers, ...')),
});

export const ContainerStateWaiting = struct(`${CORE}.ContainerStateWaiting`, 'A container that is not running yet.', {
  message: string('Why the container is not running yet.'),
  reason: string('Short reason, such as ContainerCreating or CrashLoopBackOff.'),
});

export const ContainerStateRunning = struct(`${CORE}.ContainerStateRunning`, 'A running container.', {
  startedAt: ref(Time, 'When the container last (re)started.'),
});

export const ContainerStateTerminated = struct(`${CORE}.ContainerStateTerminated`, 'A container that ended.', {
  containerID: string('Runtime ID of the container, as <type>://<id>.'),
  exitCode: req(int32('Exit status of the last run.')),
  finishedAt: ref(Time, 'When the container last ended.'),
  message: string('Termination message.'),
  reason: string('Short reason, such as Completed, Error or OOMKilled.'),
  signal: int32('Signal that ended the container.'),
  startedAt: ref(Time, 'When the last run started.'),
});

export const ContainerState = struct(
  `${CORE}.ContainerState`,
  'The state of a container: exactly one member is set; waiting when none is.',
  {
    running: ref(ContainerStateRunning, 'The container is running.'),
    terminated: ref(ContainerStateTerminated, 'The container ended.'),
    waiting: ref(ContainerStateWaiting, 'The container is waiting to run.'),
  },
);

export const ResourceHealth = struct(`${CORE}.ResourceHealth`, 'Health of one allocated device.', {
  health: string('Healthy, Unhealthy or Unknown.'),
  resourceID: req(string('Identifier of the device.')),
});

export const ResourceStatus = struct(`${CORE}.ResourceStatus`, 'Health of the devices of one resource.', {
  name: req(string('Resource name, as in the container resources.')),
  resources: list(ResourceHealth, 'Devices and their health.', { type: 'map', keys: ['resourceID'] }),
});

export const LinuxContainerUser = struct(`${CORE}.LinuxContainerUser`, 'The Linux identity of the first process.', {
  gid: req(int64('Primary group ID.')),
  supplementalGroups: list('int64', 'Supplemental group IDs.'),
  uid: req(int64('User ID.')),
});

export const ContainerUser = struct(`${CORE}.ContainerUser`, 'The identity the first process runs as.', {
  linux: ref(LinuxContainerUser, 'Linux identity.'),
});

export const VolumeMountStatus = struct(`${CORE}.VolumeMountStatus`, 'The state of one volume mount.', {
  mountPath: req(string('Path of the mount.')),
  name: req(string('Name of the volume.')),
  readOnly: boolean('Whether the mount is read-only.'),
  recursiveReadOnly: string('Whether submounts are read-only: Disabled or Enabled.'),
});

export const ContainerStatus = struct(`${CORE}.ContainerStatus`, 'The observed state of one container.', {
  allocatedResources: map(Quantity, 'Resources the node allocated to the container.'),
  allocatedResourcesStatus: list(
    ResourceStatus,
    'Health of the devices allocated to the container.',
    keyed('name'),
  ),
  containerID: string('Runtime ID of the container, as <type>://<id>.'),
  image: req(string('Image the container runs.')),
  imageID: req(string('Digest-qualified ID of that image.')),
  lastState: ref(ContainerState, 'State of the previous run, which tells why it ended.'),
  name: req(string('Name of the container, as in the spec.')),
  ready: req(boolean('Whether the container passes its readiness probe.')),
  resources: ref(ResourceRequirements, 'Resources the runtime applied to the running container.'),
  restartCount: req(int32('Times the container has been restarted.')),
  started: boolean('Whether the container has started and passed its startup probe.'),
  state: ref(ContainerState, 'Current state.'),
  stopSignal: string('Signal that will stop the container.'),
  user: ref(ContainerUser, 'Identity of the first process.'),
  volumeMounts: list(VolumeMountStatus, 'State of the volume mounts.', keyed('mountPath')),
});

export const HostIP = struct(`${CORE}.HostIP`, 'An IP address of the node the pod runs on.', {
  ip: req(string('The address.')),
});

export const PodIP = struct(`${CORE}.PodIP`, 'An IP address of the pod.', {
  ip: req(string('The address.')),
});

export const PodResourceClaimStatus = struct(
  `${CORE}.PodResourceClaimStatus`,
  'Which ResourceClaim was made for one entry of spec.resourceClaims.',
  {
    name: req(string('Name of the entry in spec.resourceClaims.')),
    resourceClaimName: string('Name of the generated ResourceClaim.'),
  },
);

export const PodStatus = struct(`${CORE}.PodStatus`, 'The observed state of a pod.', {
  conditions: list(PodCondition, 'Current conditions of the pod.', keyed('type')),
  containerStatuses: list(ContainerStatus, 'Status of each container of the spec.'),
  ephemeralContainerStatuses: list(ContainerStatus, 'Status of each ephemeral container.'),
  hostIP: string('Primary IP of the node the pod runs on.'),
  hostIPs: list(HostIP, 'IPs of the node, the first equal to hostIP.', keyed('ip')),
  initContainerStatuses: list(ContainerStatus, 'Status of each init container.'),
  message: string('Human-readable detail of why the pod is in this state.'),
  nominatedNodeName: string('Node where the pod will run once preemption there completes.'),
  observedGeneration: int64('The metadata.generation this status was computed from.'),
  phase: enumOf(
    ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown'],
    'Summary of where the pod is in its lifecycle: Pending, Running, Succeeded, Failed or Unknown.',
  ),
  podIP: string('Primary IP of the pod.'),
  podIPs: list(PodIP, 'IPs of the pod, one per family, the first equal to podIP.', keyed('ip')),
  qosClass: enumOf(['BestEffort', 'Burstable', 'Guaranteed'], 'Quality of service class, from the resources.'),
  reason: string('CamelCase reason for this state, such as Evicted.'),
  resize: string('Deprecated: state of an in-place resize.'),
  resourceClaimStatuses: list(
    PodResourceClaimStatus,
    'The ResourceClaims made for the pod.',
    keyed('name', 'merge,retainKeys'),
  ),
  startTime: ref(Time, 'When the kubelet accepted the pod, before pulling images.'),
});

// ---- kinds -----------------------------------------------------------------------------------------

export const Pod = topLevel('', 'v1', 'Pod', 'A group of containers that run together on one node.', {
  spec: ref(PodSpec, 'Desired state of the pod.'),
  status: ref(PodStatus, 'Observed state of the pod; may lag. Read-only.'),
});

export const Binding = topLevel('', 'v1', 'Binding', 'Binds a pod to a node; used by schedulers.', {
  target: req(ref(ObjectReference, 'The node to bind to.')),
});
