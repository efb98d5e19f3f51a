// core/v1 Container and what it is made of: environment, ports, mounts, probes, hooks, resources,
// security.
import { Quantity, IntOrString } from './meta.js';
import {
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
  type Field,
  type TypeDef,
} from './dsl.js';

const CORE = 'io.k8s.api.core.v1';

// ---- environment ---------------------------------------------------------------------------------

export const ConfigMapKeySelector = atomicStruct(struct(`${CORE}.ConfigMapKeySelector`, 'Selects one key of a ConfigMap.', {
  key: req(string('The key to select.')),
  name: string('Name of the ConfigMap.'),
  optional: boolean('Whether the ConfigMap or its key may be missing.'),
}));

export const SecretKeySelector = atomicStruct(struct(`${CORE}.SecretKeySelector`, 'Selects one key of a Secret.', {
  key: req(string('The key to select; must be a valid secret key.')),
  name: string('Name of the Secret.'),
  optional: boolean('Whether the Secret or its key may be missing.'),
}));

export const ObjectFieldSelector = atomicStruct(struct(`${CORE}.ObjectFieldSelector`, 'Selects a field of the pod.', {
  apiVersion: string('Version of the schema the path is written in; defaults to v1.'),
  fieldPath: req(string('Path of the field to select, such as metadata.name or status.podIP.')),
}));

export const ResourceFieldSelector = atomicStruct(struct(
  `${CORE}.ResourceFieldSelector`,
  'Selects a resource limit or request of a container.',
  {
    containerName: string('Container to read; optional for environment variables.'),
    divisor: ref(Quantity, 'Unit the value is divided by; defaults to 1.'),
    resource: req(string('The resource, such as limits.cpu or requests.memory.')),
  },
));

export const EnvVarSource = struct(`${CORE}.EnvVarSource`, 'Where the value of an environment variable comes from.', {
  configMapKeyRef: ref(ConfigMapKeySelector, 'A key of a ConfigMap.'),
  fieldRef: ref(
    ObjectFieldSelector,
    'A field of the pod: metadata.name, metadata.namespace, metadata.uid, labels, annotations, spec.nodeName, spec.serviceAccountName, status.hostIP(s), status.podIP(s).',
  ),
  resourceFieldRef: ref(ResourceFieldSelector, 'A resource limit or request of the container.'),
  secretKeyRef: ref(SecretKeySelector, 'A key of a Secret.'),
});

export const EnvVar = struct(`${CORE}.EnvVar`, 'An environment variable of a container.', {
  name: req(string('Name of the variable.')),
  value: string(
    'The value. $(VAR) references to earlier variables are expanded; $$(VAR) escapes the reference. Defaults to the empty string.',
  ),
  valueFrom: ref(EnvVarSource, 'Source of the value; cannot be used together with value.'),
});

export const ConfigMapEnvSource = struct(
  `${CORE}.ConfigMapEnvSource`,
  'Exposes the keys of a ConfigMap as environment variables.',
  {
    name: string('Name of the ConfigMap.'),
    optional: boolean('Whether the ConfigMap may be missing.'),
  },
);

export const SecretEnvSource = struct(`${CORE}.SecretEnvSource`, 'Exposes the keys of a Secret as environment variables.', {
  name: string('Name of the Secret.'),
  optional: boolean('Whether the Secret may be missing.'),
});

export const EnvFromSource = struct(`${CORE}.EnvFromSource`, 'A set of environment variables taken from one source.', {
  configMapRef: ref(ConfigMapEnvSource, 'The ConfigMap to read.'),
  prefix: string('Prefix added to every variable name.'),
  secretRef: ref(SecretEnvSource, 'The Secret to read.'),
});

// ---- ports, mounts, devices ----------------------------------------------------------------------

const protocols = ['SCTP', 'TCP', 'UDP'];

export const ContainerPort = struct(`${CORE}.ContainerPort`, 'A network port of a container.', {
  containerPort: req(int32('Port number on the pod IP, 0 < x < 65536.')),
  hostIP: string('Host IP to bind the host port to.'),
  hostPort: int32('Port number on the host; rarely needed. Must be 0 < x < 65536 when set.'),
  name: string('IANA service name of the port, unique in the pod, that services can refer to.'),
  protocol: enumOf(protocols, 'Protocol of the port: TCP (default), UDP or SCTP.'),
});

export const VolumeMount = struct(`${CORE}.VolumeMount`, 'Mounts a volume of the pod into a container.', {
  mountPath: req(string('Path in the container where the volume is mounted; must not contain a colon.')),
  mountPropagation: enumOf(
    ['Bidirectional', 'HostToContainer', 'None'],
    'How mounts propagate between host and container; defaults to None.',
  ),
  name: req(string('Name of the volume, as listed in spec.volumes.')),
  readOnly: boolean('Mount read-only when true; defaults to false.'),
  recursiveReadOnly: string(
    'Whether a read-only mount is read-only on its submounts too: Disabled (default), IfPossible or Enabled.',
  ),
  subPath: string("Path inside the volume to mount instead of its root; defaults to the volume's root."),
  subPathExpr: string('Like subPath, with $(VAR) references to the environment expanded. Exclusive with subPath.'),
});

export const VolumeDevice = struct(`${CORE}.VolumeDevice`, 'Maps a raw block volume into a container.', {
  devicePath: req(string('Path in the container the device is mapped to.')),
  name: req(string('Name of a persistentVolumeClaim volume of the pod.')),
});

// ---- probes and hooks ----------------------------------------------------------------------------

export const ExecAction = struct(`${CORE}.ExecAction`, 'Runs a command inside the container.', {
  command: list(
    'string',
    'Command line to run, not in a shell, with the working directory at the root of the container. Exit status 0 is success.',
  ),
});

export const HTTPHeader = struct(`${CORE}.HTTPHeader`, 'A header of an HTTP probe request.', {
  name: req(string('Header name; canonicalized when sent.')),
  value: req(string('Header value.')),
});

export const HTTPGetAction = struct(`${CORE}.HTTPGetAction`, 'Sends an HTTP GET request.', {
  host: string('Host name to connect to; defaults to the pod IP. Use a Host header to set a virtual host.'),
  httpHeaders: list(HTTPHeader, 'Extra request headers; repeated headers are allowed.'),
  path: string('Path to request.'),
  port: req(ref(IntOrString, 'Port number or name of a container port.')),
  scheme: enumOf(['HTTP', 'HTTPS'], 'Scheme to connect with; defaults to HTTP.'),
});

export const TCPSocketAction = struct(`${CORE}.TCPSocketAction`, 'Opens a TCP connection.', {
  host: string('Host name to connect to; defaults to the pod IP.'),
  port: req(ref(IntOrString, 'Port number or name of a container port.')),
});

export const GRPCAction = struct(`${CORE}.GRPCAction`, 'Calls the standard gRPC health checking service.', {
  port: req(int32('Port number of the gRPC service, 1 to 65535.')),
  service: string('Service name sent in the health check request; empty means the server as a whole.'),
});

export const SleepAction = struct(`${CORE}.SleepAction`, 'Waits for a while.', {
  seconds: req(int64('Seconds to sleep.')),
});

export const Probe = struct(
  `${CORE}.Probe`,
  'A periodic health check of a container, telling whether it is alive, ready, or started.',
  {
    exec: ref(ExecAction, 'Run a command in the container.'),
    failureThreshold: int32('Consecutive failures after a success that count as failed; defaults to 3, minimum 1.'),
    grpc: ref(GRPCAction, 'Call a gRPC health service.'),
    httpGet: ref(HTTPGetAction, 'Send an HTTP GET; 200-399 is success.'),
    initialDelaySeconds: int32('Seconds after the container started before the first probe.'),
    periodSeconds: int32('Seconds between probes; defaults to 10, minimum 1.'),
    successThreshold: int32(
      'Consecutive successes after a failure that count as success; defaults to 1, and must be 1 for liveness and startup.',
    ),
    tcpSocket: ref(TCPSocketAction, 'Open a TCP connection; connecting is success.'),
    terminationGracePeriodSeconds: int64(
      "Grace period when a failed probe kills the container; overrides the pod's value when set.",
    ),
    timeoutSeconds: int32('Seconds before a probe attempt times out; defaults to 1, minimum 1.'),
  },
);

export const LifecycleHandler = struct(`${CORE}.LifecycleHandler`, 'The action of a lifecycle hook.', {
  exec: ref(ExecAction, 'Run a command in the container.'),
  httpGet: ref(HTTPGetAction, 'Send an HTTP GET.'),
  sleep: ref(SleepAction, 'Sleep for a while.'),
  tcpSocket: ref(TCPSocketAction, 'Deprecated, kept for compatibility; not run.'),
});

export const Lifecycle = struct(`${CORE}.Lifecycle`, 'Actions run around the life of a container.', {
  postStart: ref(
    LifecycleHandler,
    'Run right after the container is created. If it fails, the container is killed and handled by the restart policy.',
  ),
  preStop: ref(
    LifecycleHandler,
    'Run before the container is stopped for any reason other than its own exit; the grace period covers it.',
  ),
  stopSignal: string('Signal sent to stop the container; defaults to what the image or runtime says.'),
});

// ---- resources -----------------------------------------------------------------------------------

export const ResourceClaim = struct(`${CORE}.ResourceClaim`, 'A reference to one resource claim of the pod.', {
  name: req(string('Name of an entry in spec.resourceClaims of the pod.')),
  request: string('Name of one request in the claim; empty means the whole claim.'),
});

export const ResourceRequirements = struct(`${CORE}.ResourceRequirements`, 'Compute resources asked for and capped.', {
  claims: list(ResourceClaim, 'Dynamically allocated resources the container uses.', { type: 'map', keys: ['name'] }),
  limits: map(Quantity, 'Most of each resource the container may use.'),
  requests: map(
    Quantity,
    'Least of each resource the container needs; used for scheduling. Defaults to the limits when those are set.',
  ),
});

export const ContainerResizePolicy = struct(
  `${CORE}.ContainerResizePolicy`,
  'What happens to a container when one of its resources is resized.',
  {
    resourceName: req(string('Resource the policy applies to: cpu or memory.')),
    restartPolicy: req(string('NotRequired (default) or RestartContainer.')),
  },
);

// ---- security --------------------------------------------------------------------------------------

export const Capabilities = struct(`${CORE}.Capabilities`, 'Linux capabilities to add and drop.', {
  add: list('string', 'Capabilities to add.'),
  drop: list('string', 'Capabilities to drop.'),
});

export const SELinuxOptions = struct(`${CORE}.SELinuxOptions`, 'SELinux labels applied to a container.', {
  level: string('SELinux level label.'),
  role: string('SELinux role label.'),
  type: string('SELinux type label.'),
  user: string('SELinux user label.'),
});

const profileTypes = ['Localhost', 'RuntimeDefault', 'Unconfined'];

export const SeccompProfile = struct(`${CORE}.SeccompProfile`, 'The seccomp profile of a pod or container.', {
  localhostProfile: string('Path of a profile on the node, relative to the kubelet seccomp directory; for Localhost only.'),
  type: req(enumOf(profileTypes, 'Kind of profile: Localhost, RuntimeDefault or Unconfined.')),
});

export const AppArmorProfile = struct(`${CORE}.AppArmorProfile`, 'The AppArmor profile of a pod or container.', {
  localhostProfile: string('Name of a profile loaded on the node; for Localhost only.'),
  type: req(enumOf(profileTypes, 'Kind of profile: Localhost, RuntimeDefault or Unconfined.')),
});

export const WindowsSecurityContextOptions = struct(
  `${CORE}.WindowsSecurityContextOptions`,
  'Settings for Windows containers.',
  {
    gmsaCredentialSpec: string('Inline GMSA credential spec, filled by the GMSA admission webhook.'),
    gmsaCredentialSpecName: string('Name of the GMSA credential spec to use.'),
    hostProcess: boolean('Run as a host process container.'),
    runAsUserName: string('User name that runs the entry point.'),
  },
);

export const SecurityContext = struct(
  `${CORE}.SecurityContext`,
  'Security settings of a container; they override the pod-level ones where both exist.',
  {
    allowPrivilegeEscalation: boolean('Whether a process may gain more privileges than its parent (no_new_privs).'),
    appArmorProfile: ref(AppArmorProfile, 'AppArmor profile; overrides the pod profile.'),
    capabilities: ref(Capabilities, 'Capabilities to add to or drop from the runtime default set.'),
    privileged: boolean('Run privileged, as root on the host; defaults to false.'),
    procMount: enumOf(['Default', 'Unmasked'], 'Kind of /proc mount; defaults to Default.'),
    readOnlyRootFilesystem: boolean('Mount the root filesystem read-only; defaults to false.'),
    runAsGroup: int64('Group ID of the entry point process.'),
    runAsNonRoot: boolean('Refuse to start the container when it would run as UID 0.'),
    runAsUser: int64('User ID of the entry point process; defaults to the image user.'),
    seLinuxOptions: ref(SELinuxOptions, 'SELinux context; random when unset.'),
    seccompProfile: ref(SeccompProfile, 'Seccomp profile; overrides the pod profile.'),
    windowsOptions: ref(WindowsSecurityContextOptions, 'Windows-specific settings.'),
  },
);

// ---- containers ------------------------------------------------------------------------------------

function containerFields(extra: Record<string, Field>): Record<string, Field> {
  return {
    args: list(
      'string',
      "Arguments to the entry point; the image's CMD when unset. $(VAR) references are expanded. Cannot be updated.",
    ),
    command: list(
      'string',
      "Entry point, not run in a shell; the image's ENTRYPOINT when unset. $(VAR) references are expanded. Cannot be updated.",
    ),
    env: list(EnvVar, 'Environment variables to set. Cannot be updated.', keyed('name')),
    envFrom: list(
      EnvFromSource,
      'Sources whose keys become environment variables; env entries win over them. Cannot be updated.',
    ),
    image: string('Container image reference.'),
    imagePullPolicy: enumOf(
      ['Always', 'IfNotPresent', 'Never'],
      'When to pull the image: Always, Never or IfNotPresent. Defaults to Always for :latest tags, else IfNotPresent.',
    ),
    lifecycle: ref(Lifecycle, 'Hooks run after start and before stop.'),
    livenessProbe: ref(Probe, 'Restarts the container when it fails.'),
    name: req(string('Name of the container, a DNS label unique in the pod. Cannot be updated.')),
    ports: list(
      ContainerPort,
      'Ports the container exposes; informational, any port the process listens on is reachable. Cannot be updated.',
      keyed(['containerPort', 'protocol']),
    ),
    readinessProbe: ref(Probe, 'Removes the pod from service endpoints while it fails.'),
    resizePolicy: list(ContainerResizePolicy, 'How each resource may be resized in place.'),
    resources: ref(ResourceRequirements, 'Compute resources the container needs and may use.'),
    restartPolicy: string(
      'Only for init containers: Always makes it a sidecar that starts before, and runs alongside, the main containers.',
    ),
    securityContext: ref(SecurityContext, 'Security options of the container.'),
    startupProbe: ref(Probe, 'Holds back the other probes until it succeeds; failing restarts the container.'),
    stdin: boolean('Keep a stdin buffer open for the container; defaults to false.'),
    stdinOnce: boolean('Close stdin after the first attach session ends; defaults to false.'),
    terminationMessagePath: string(
      'File whose content becomes the termination message; defaults to /dev/termination-log. Cannot be updated.',
    ),
    terminationMessagePolicy: enumOf(
      ['FallbackToLogsOnError', 'File'],
      'File (default) reads the message file; FallbackToLogsOnError uses the end of the log on error when the file is empty.',
    ),
    tty: boolean('Allocate a TTY; needs stdin. Defaults to false.'),
    volumeDevices: list(VolumeDevice, 'Raw block devices the container uses.', keyed('devicePath')),
    volumeMounts: list(VolumeMount, 'Volumes to mount into the filesystem. Cannot be updated.', keyed('mountPath')),
    workingDir: string("Working directory; the image's when unset. Cannot be updated."),
    ...extra,
  };
}

function sorted(fields: Record<string, Field>): Record<string, Field> {
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export const Container: TypeDef = struct(
  `${CORE}.Container`,
  'A single application container of a pod.',
  containerFields({}),
);

export const EphemeralContainer: TypeDef = struct(
  `${CORE}.EphemeralContainer`,
  'A temporary container added to a running pod for troubleshooting. It has no resources, ports or probes and is never restarted.',
  sorted(
    containerFields({
      targetContainerName: string(
        'Container whose namespaces (IPC, PID) this one joins; needs runtime support. Cannot be changed once set.',
      ),
    }),
  ),
);
