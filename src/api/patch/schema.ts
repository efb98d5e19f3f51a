// The shape facts that patching needs, per served kind: which lists merge by which key, which lists
// are sets or atomic, which maps and structs are atomic, where `retainKeys` applies, and which
// structs are Go values (always present, even when empty). They follow the patchStrategy /
// patchMergeKey tags and the +listType / +listMapKey / +mapType / +structType markers of
// k8s.io/api v1.33. Fields not described here are treated by value: objects as open structs,
// arrays as atomic lists, everything else as scalars.

export type TypeNode = ScalarNode | StructNode | MapNode | ListNode | DeducedNode;

export interface ScalarNode {
  kind: 'scalar';
}

export interface StructNode {
  kind: 'struct';
  fields: Readonly<Record<string, TypeNode>>;
  /** +structType=atomic: owned and replaced as one value by server-side apply. */
  atomic?: boolean;
  /** patchStrategy:"retainKeys" on the field holding this struct. */
  retainKeys?: boolean;
  /** A Go value (non-pointer) struct: present as `{}` in the zero object. */
  value?: boolean;
  /** The type of fields not listed; by value when absent. */
  rest?: TypeNode;
}

/** map[string]X: keys are data, not field names. */
export interface MapNode {
  kind: 'map';
  values: TypeNode;
  atomic?: boolean;
}

export interface ListNode {
  kind: 'list';
  items: TypeNode;
  listType: 'atomic' | 'set' | 'map';
  /** +listMapKey values, for listType map. */
  keys?: readonly string[];
  /** Schema defaults of key fields, used when an item omits them. */
  keyDefaults?: Readonly<Record<string, unknown>>;
  /** patchStrategy:"merge"; with mergeKey for lists of objects. Without it strategic merge replaces the list. */
  merge?: boolean;
  mergeKey?: string;
  /** patchStrategy:"merge,retainKeys": each item is patched with retainKeys. */
  retainKeys?: boolean;
  /** Serialized even when empty (no omitempty): null in the zero object. */
  zeroNull?: boolean;
}

/** Schema-less data (custom resources): objects are granular maps, arrays atomic. */
export interface DeducedNode {
  kind: 'deduced';
}

export const scalar: ScalarNode = { kind: 'scalar' };
export const deduced: DeducedNode = { kind: 'deduced' };
const open: StructNode = { kind: 'struct', fields: {} };

function struct(fields: Record<string, TypeNode> = {}, opts: Omit<StructNode, 'kind' | 'fields'> = {}): StructNode {
  return { kind: 'struct', fields, ...opts };
}
const value = (node: StructNode): StructNode => ({ ...node, value: true });
const atomicStruct = (fields: Record<string, TypeNode> = {}): StructNode => struct(fields, { atomic: true });
const mapOf = (values: TypeNode = scalar, atomic = false): MapNode => ({ kind: 'map', values, ...(atomic ? { atomic } : {}) });
const atomicList = (items: TypeNode = scalar): ListNode => ({ kind: 'list', items, listType: 'atomic' });
const set = (merge: boolean): ListNode => ({ kind: 'list', items: scalar, listType: 'set', ...(merge ? { merge } : {}) });
/** A list map; `mergeKey` given means strategic merge merges items by it. */
function listMap(items: TypeNode, keys: string[], mergeKey?: string, retainKeys = false, keyDefaults?: Record<string, unknown>): ListNode {
  return {
    kind: 'list',
    items,
    listType: 'map',
    keys,
    ...(keyDefaults ? { keyDefaults } : {}),
    ...(mergeKey ? { merge: true, mergeKey } : {}),
    ...(retainKeys ? { retainKeys } : {}),
  };
}
/** Atomic for apply, but merged by key by strategic merge. */
function atomicMergeList(items: TypeNode, mergeKey: string): ListNode {
  return { kind: 'list', items, listType: 'atomic', merge: true, mergeKey };
}

// ---- meta/v1 ------------------------------------------------------------------------------------

const labelSelector = atomicStruct({ matchLabels: mapOf(), matchExpressions: atomicList(open) });

const ownerReference = struct();
const objectMeta = value(
  struct({
    labels: mapOf(),
    annotations: mapOf(),
    finalizers: set(true),
    ownerReferences: listMap(ownerReference, ['uid'], 'uid'),
    managedFields: atomicList(open),
  }),
);

const condition = struct();
const conditionsByType = listMap(condition, ['type'], 'type');

// ---- core/v1 pod ------------------------------------------------------------------------------

const objectReference = atomicStruct();
const localObjectReference = atomicStruct();
const resourceList = mapOf();

const envVar = struct({
  valueFrom: struct({
    fieldRef: atomicStruct(),
    resourceFieldRef: atomicStruct(),
    configMapKeyRef: atomicStruct(),
    secretKeyRef: atomicStruct(),
  }),
});

const resourceRequirements = struct({
  limits: resourceList,
  requests: resourceList,
  claims: listMap(struct(), ['name']),
});

const httpGet = struct({ httpHeaders: atomicList(open) });
const handler = struct({ exec: struct({ command: atomicList() }), httpGet });
const probe = struct({ exec: struct({ command: atomicList() }), httpGet });

const containerFields = {
  command: atomicList(),
  args: atomicList(),
  ports: listMap(struct(), ['containerPort', 'protocol'], 'containerPort', false, { protocol: 'TCP' }),
  envFrom: atomicList(open),
  env: listMap(envVar, ['name'], 'name'),
  resources: value(resourceRequirements),
  resizePolicy: atomicList(open),
  volumeMounts: listMap(struct(), ['mountPath'], 'mountPath'),
  volumeDevices: listMap(struct(), ['devicePath'], 'devicePath'),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: struct({ postStart: handler, preStop: handler }),
  securityContext: struct({ capabilities: struct({ add: atomicList(), drop: atomicList() }) }),
};
const container = struct(containerFields);

const volume = struct({
  configMap: struct({ items: atomicList(open) }),
  secret: struct({ items: atomicList(open) }),
  downwardAPI: struct({ items: atomicList(open) }),
  projected: struct({ sources: atomicList(open) }),
  persistentVolumeClaim: struct(),
  emptyDir: struct(),
  hostPath: struct(),
});

const nodeSelector = atomicStruct();
const affinity = struct({
  nodeAffinity: struct({
    requiredDuringSchedulingIgnoredDuringExecution: nodeSelector,
    preferredDuringSchedulingIgnoredDuringExecution: atomicList(open),
  }),
  podAffinity: struct({
    requiredDuringSchedulingIgnoredDuringExecution: atomicList(open),
    preferredDuringSchedulingIgnoredDuringExecution: atomicList(open),
  }),
  podAntiAffinity: struct({
    requiredDuringSchedulingIgnoredDuringExecution: atomicList(open),
    preferredDuringSchedulingIgnoredDuringExecution: atomicList(open),
  }),
});

const podSpec = value(
  struct({
    volumes: listMap(volume, ['name'], 'name', true),
    initContainers: listMap(container, ['name'], 'name'),
    containers: { ...listMap(container, ['name'], 'name'), zeroNull: true },
    ephemeralContainers: listMap(container, ['name'], 'name'),
    imagePullSecrets: listMap(localObjectReference, ['name'], 'name'),
    nodeSelector: mapOf(scalar, true),
    tolerations: atomicList(open),
    hostAliases: listMap(struct({ hostnames: atomicList() }), ['ip'], 'ip'),
    readinessGates: atomicList(open),
    topologySpreadConstraints: listMap(struct({ labelSelector, matchLabelKeys: atomicList() }), ['topologyKey', 'whenUnsatisfiable'], 'topologyKey'),
    schedulingGates: listMap(struct(), ['name'], 'name'),
    resourceClaims: listMap(struct(), ['name'], 'name', true),
    securityContext: struct({ supplementalGroups: atomicList(), sysctls: atomicList(open) }),
    affinity,
    dnsConfig: struct({ nameservers: atomicList(), searches: atomicList(), options: atomicList(open) }),
    overhead: resourceList,
    resources: resourceRequirements,
  }),
);

const podStatus = value(
  struct({
    conditions: conditionsByType,
    hostIPs: atomicMergeList(struct(), 'ip'),
    podIPs: listMap(struct(), ['ip'], 'ip'),
    initContainerStatuses: atomicList(open),
    containerStatuses: atomicList(open),
    ephemeralContainerStatuses: atomicList(open),
    resourceClaimStatuses: listMap(struct(), ['name'], 'name', true),
  }),
);

const podTemplateSpec = value(struct({ metadata: objectMeta, spec: podSpec }));

// ---- kinds --------------------------------------------------------------------------------------

const object = (fields: Record<string, TypeNode>): StructNode => struct({ metadata: objectMeta, ...fields });

const pod = object({ spec: podSpec, status: podStatus });

const service = object({
  spec: value(
    struct({
      ports: listMap(struct(), ['port', 'protocol'], 'port', false, { protocol: 'TCP' }),
      selector: mapOf(scalar, true),
      clusterIPs: atomicList(),
      externalIPs: atomicList(),
      loadBalancerSourceRanges: atomicList(),
      ipFamilies: atomicList(),
    }),
  ),
  status: value(
    struct({
      loadBalancer: value(struct({ ingress: atomicList(open) })),
      conditions: conditionsByType,
    }),
  ),
});

const node = object({
  spec: value(struct({ podCIDRs: set(true), taints: atomicList(open) })),
  status: value(
    struct({
      capacity: resourceList,
      allocatable: resourceList,
      conditions: conditionsByType,
      addresses: listMap(struct(), ['type'], 'type'),
      daemonEndpoints: value(struct({ kubeletEndpoint: value(struct()) })),
      nodeInfo: value(struct()),
      images: atomicList(open),
      volumesInUse: atomicList(),
      volumesAttached: atomicList(open),
      runtimeHandlers: atomicList(open),
    }),
  ),
});

const namespace = object({
  spec: value(struct({ finalizers: atomicList() })),
  status: value(struct({ conditions: conditionsByType })),
});

const workloadStatus = value(struct({ conditions: conditionsByType }));

const deployment = object({
  spec: value(
    struct({
      selector: labelSelector,
      template: podTemplateSpec,
      strategy: value(struct({}, { retainKeys: true })),
    }),
  ),
  status: workloadStatus,
});

const replicaSet = object({
  spec: value(struct({ selector: labelSelector, template: podTemplateSpec })),
  status: workloadStatus,
});

const daemonSet = object({
  spec: value(struct({ selector: labelSelector, template: podTemplateSpec, updateStrategy: value(struct()) })),
  status: workloadStatus,
});

const jobSpec = value(
  struct({
    selector: labelSelector,
    template: podTemplateSpec,
    podFailurePolicy: struct({ rules: atomicList(open) }),
    successPolicy: struct({ rules: atomicList(open) }),
  }),
);
const job = object({
  spec: jobSpec,
  status: value(
    struct({
      conditions: atomicMergeList(condition, 'type'),
      uncountedTerminatedPods: struct({ failed: set(false), succeeded: set(false) }),
    }),
  ),
});

const cronJob = object({
  spec: value(struct({ jobTemplate: value(struct({ metadata: objectMeta, spec: jobSpec })) })),
  status: value(struct({ active: atomicList(objectReference) })),
});

const configMap = object({ data: mapOf(), binaryData: mapOf() });
const secret = object({ data: mapOf(), stringData: mapOf() });
const serviceAccount = object({
  secrets: listMap(objectReference, ['name'], 'name'),
  imagePullSecrets: atomicList(localObjectReference),
});
const endpoints = object({ subsets: atomicList(open) });
const endpointSlice = object({ endpoints: atomicList(open), ports: atomicList(open) });
const coreEvent = object({ involvedObject: value(objectReference), related: objectReference, source: value(struct()) });
const event = object({ regarding: value(objectReference), related: objectReference, deprecatedSource: value(struct()) });
const lease = object({ spec: value(struct()) });
const podDisruptionBudget = object({
  spec: value(struct({ selector: labelSelector })),
  status: value(struct({ disruptedPods: mapOf(), conditions: conditionsByType })),
});
const controllerRevision = object({});

const byKind: ReadonlyMap<string, StructNode> = new Map([
  ['v1/Pod', pod],
  ['v1/Service', service],
  ['v1/Node', node],
  ['v1/Namespace', namespace],
  ['v1/ConfigMap', configMap],
  ['v1/Secret', secret],
  ['v1/ServiceAccount', serviceAccount],
  ['v1/Endpoints', endpoints],
  ['v1/Event', coreEvent],
  ['apps/v1/Deployment', deployment],
  ['apps/v1/ReplicaSet', replicaSet],
  ['apps/v1/DaemonSet', daemonSet],
  ['apps/v1/ControllerRevision', controllerRevision],
  ['batch/v1/Job', job],
  ['batch/v1/CronJob', cronJob],
  ['coordination.k8s.io/v1/Lease', lease],
  ['discovery.k8s.io/v1/EndpointSlice', endpointSlice],
  ['events.k8s.io/v1/Event', event],
  ['policy/v1/PodDisruptionBudget', podDisruptionBudget],
  ['autoscaling/v1/Scale', object({ spec: value(struct()), status: value(struct()) })],
]);

/** The schema of a served kind, or undefined for kinds without one (custom resources). */
export function schemaFor(apiVersion: string, kind: string): StructNode | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

/** The schema of a kind for server-side apply: schema-less kinds still have typed metadata. */
export function applySchemaFor(apiVersion: string, kind: string): StructNode {
  return schemaFor(apiVersion, kind) ?? customResource;
}
const customResource = struct({ metadata: objectMeta }, { rest: deduced });

/** The type of `value` found under `name` of a node. */
export function childType(parent: TypeNode, name: string, value: unknown): TypeNode {
  switch (parent.kind) {
    case 'struct':
      return parent.fields[name] ?? parent.rest ?? byValue(value);
    case 'map':
      return parent.values;
    case 'list':
      return parent.items;
    case 'deduced':
      return deduced;
    default:
      return byValue(value);
  }
}

/** The type under a path element of a field set, where no value is at hand. */
export function elementType(parent: TypeNode, pe: string): TypeNode {
  if (pe.startsWith('f:')) {
    if (parent.kind === 'struct') return parent.fields[pe.slice(2)] ?? parent.rest ?? open;
    if (parent.kind === 'map') return parent.values;
    return deduced;
  }
  return parent.kind === 'list' ? parent.items : deduced;
}

/** The type of an undescribed field inside a typed object. */
export function byValue(value: unknown): TypeNode {
  if (Array.isArray(value)) return atomicOpenList;
  if (value !== null && typeof value === 'object') return open;
  return scalar;
}
const atomicOpenList = atomicList(open);

/** The type of a list's items. */
export function itemType(list: TypeNode, item: unknown): TypeNode {
  if (list.kind === 'list') return list.items;
  if (list.kind === 'deduced') return deduced;
  return byValue(item);
}
