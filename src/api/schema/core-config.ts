// core/v1 Namespace, ConfigMap, Secret, ServiceAccount and Event.
import { MicroTime, Time, topLevel } from './meta.js';
import { LocalObjectReference, ObjectReference } from './core-refs.js';
import { boolean, enumOf, int32, keyed, list, map, ref, req, string, struct } from './dsl.js';

const CORE = 'io.k8s.api.core.v1';

export const NamespaceSpec = struct(`${CORE}.NamespaceSpec`, 'The desired state of a namespace.', {
  finalizers: list('string', 'Values that must be cleared before the namespace is removed.'),
});

export const NamespaceCondition = struct(`${CORE}.NamespaceCondition`, 'One condition of a namespace.', {
  lastTransitionTime: ref(Time, 'When the status last changed.'),
  message: string('Human-readable details.'),
  reason: string('CamelCase reason for the last transition.'),
  status: req(string('True, False or Unknown.')),
  type: req(string('Type of the condition, such as NamespaceDeletionContentFailure.')),
});

export const NamespaceStatus = struct(`${CORE}.NamespaceStatus`, 'The observed state of a namespace.', {
  conditions: list(NamespaceCondition, 'Current conditions of the namespace.', keyed('type')),
  phase: enumOf(['Active', 'Terminating'], 'Active, or Terminating while its content is deleted.'),
});

export const Namespace = topLevel('', 'v1', 'Namespace', 'A scope for names; most objects live in one.', {
  spec: ref(NamespaceSpec, 'Desired state of the namespace.'),
  status: ref(NamespaceStatus, 'Observed state of the namespace. Read-only.'),
});

export const ConfigMap = topLevel('', 'v1', 'ConfigMap', 'Configuration data for pods, as key/value pairs.', {
  binaryData: map('byte', 'Binary values, base64-encoded; keys must not repeat those of data.'),
  data: map('string', 'UTF-8 values; keys are letters, digits, -, _ or .'),
  immutable: boolean('When true, the data can no longer be changed; only deleting is possible.'),
});

export const Secret = topLevel('', 'v1', 'Secret', 'Sensitive data such as passwords, tokens or keys.', {
  data: map('byte', 'Values, base64-encoded; keys are letters, digits, -, _ or .'),
  immutable: boolean('When true, the data can no longer be changed; only deleting is possible.'),
  stringData: map('string', 'Write-only plain-text values, merged into data on write; they win over data.'),
  type: string('How the data is used, such as Opaque or kubernetes.io/tls.'),
});

export const ServiceAccount = topLevel(
  '',
  'v1',
  'ServiceAccount',
  'An identity for the processes of pods, with the secrets they may use.',
  {
    automountServiceAccountToken: boolean('Whether pods mount a token of this account by default.'),
    imagePullSecrets: list(LocalObjectReference, 'Secrets pods of this account use to pull images.'),
    secrets: list(ObjectReference, 'Deprecated: secrets pods of this account may use.', keyed('name')),
  },
);

export const EventSource = struct(`${CORE}.EventSource`, 'Who reported an event.', {
  component: string('Component that reported the event.'),
  host: string('Node the event came from.'),
});

export const EventSeries = struct(`${CORE}.EventSeries`, 'A series of repeated events.', {
  count: int32('Number of occurrences so far.'),
  lastObservedTime: ref(MicroTime, 'When the last occurrence was seen.'),
});

export const Event = topLevel(
  '',
  'v1',
  'Event',
  'A report of something that happened in the cluster.',
  {
    action: string('What was done, or failed, about the object.'),
    count: int32('How many times the event occurred.'),
    eventTime: ref(MicroTime, 'When the event first occurred.'),
    firstTimestamp: ref(Time, 'When the event was first recorded.'),
    involvedObject: req(ref(ObjectReference, 'The object the event is about.')),
    lastTimestamp: ref(Time, 'When the event was last recorded.'),
    message: string('Human-readable description of the event.'),
    reason: string('Short CamelCase reason, such as Scheduled or BackOff.'),
    related: ref(ObjectReference, 'A second object involved, if any.'),
    reportingComponent: string('Controller that emitted the event, such as kubernetes.io/kubelet.'),
    reportingInstance: string('Instance of that controller, such as the node name.'),
    series: ref(EventSeries, 'Data about a series of occurrences.'),
    source: ref(EventSource, 'Component that reported the event.'),
    type: string('Normal or Warning.'),
  },
  { metadataRequired: true },
);
