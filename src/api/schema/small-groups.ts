// The small groups: coordination, discovery, events, autoscaling (Scale) and authentication
// (TokenRequest).
import { MicroTime, Time, topLevel } from './meta.js';
import { ObjectReference } from './core-refs.js';
import { EventSource } from './core-config.js';
import { boolean, enumOf, int32, int64, list, map, ref, req, set, string, struct } from './dsl.js';

// ---- coordination.k8s.io/v1 ------------------------------------------------------------------------

export const LeaseSpec = struct('io.k8s.api.coordination.v1.LeaseSpec', 'The state of a lease.', {
  acquireTime: ref(MicroTime, 'When the current holder acquired the lease.'),
  holderIdentity: string('Identity of the current holder.'),
  leaseDurationSeconds: int32('Seconds candidates wait, from the last renewal, before taking the lease over.'),
  leaseTransitions: int32('How many times the lease changed holder.'),
  preferredHolder: string('Holder the lease should go to next.'),
  renewTime: ref(MicroTime, 'When the holder last renewed the lease.'),
  strategy: string('How a holder is chosen, for coordinated leader election.'),
});

export const Lease = topLevel('coordination.k8s.io', 'v1', 'Lease', 'A lease, used for leader election and node heartbeats.', {
  spec: ref(LeaseSpec, 'State of the lease.'),
});

// ---- discovery.k8s.io/v1 ---------------------------------------------------------------------------

const DISCOVERY = 'io.k8s.api.discovery.v1';

export const EndpointConditions = struct(`${DISCOVERY}.EndpointConditions`, 'The state of an endpoint.', {
  ready: boolean('Ready for traffic; unset means ready.'),
  serving: boolean('Serving, even while terminating; unset means ready.'),
  terminating: boolean('Being terminated; unset means not.'),
});

export const ForZone = struct(`${DISCOVERY}.ForZone`, 'A zone that should use an endpoint.', {
  name: req(string('Name of the zone.')),
});

export const ForNode = struct(`${DISCOVERY}.ForNode`, 'A node that should use an endpoint.', {
  name: req(string('Name of the node.')),
});

export const EndpointHints = struct(`${DISCOVERY}.EndpointHints`, 'Hints for topology-aware routing.', {
  forNodes: list(ForNode, 'Nodes that should use the endpoint.'),
  forZones: list(ForZone, 'Zones that should use the endpoint.'),
});

export const Endpoint = struct(`${DISCOVERY}.Endpoint`, 'One backend of a service.', {
  addresses: req(list('string', 'Addresses of the endpoint, of the slice address type.', set)),
  conditions: ref(EndpointConditions, 'State of the endpoint.'),
  deprecatedTopology: map('string', 'Deprecated topology labels.'),
  hints: ref(EndpointHints, 'Routing hints.'),
  hostname: string('Host name of the endpoint.'),
  nodeName: string('Node hosting the endpoint.'),
  targetRef: ref(ObjectReference, 'Object behind the endpoint, usually a pod.'),
  zone: string('Zone of the endpoint.'),
});

export const DiscoveryEndpointPort = struct(`${DISCOVERY}.EndpointPort`, 'A port of the endpoints of a slice.', {
  appProtocol: string('Application protocol of the port.'),
  name: string('Name of the port, matching the service port.'),
  port: int32('Port number; unset means all ports.'),
  protocol: enumOf(['SCTP', 'TCP', 'UDP'], 'IP protocol: TCP (default), UDP or SCTP.'),
});

export const EndpointSlice = topLevel(
  'discovery.k8s.io',
  'v1',
  'EndpointSlice',
  'A subset of the endpoints of a service.',
  {
    addressType: req(enumOf(['FQDN', 'IPv4', 'IPv6'], 'Type of the addresses: IPv4, IPv6 or FQDN. Immutable.')),
    endpoints: req(list(Endpoint, 'The endpoints, at most 1000.')),
    ports: list(DiscoveryEndpointPort, 'Ports every endpoint exposes.'),
  },
);

// ---- events.k8s.io/v1 ------------------------------------------------------------------------------

export const EventsEventSeries = struct('io.k8s.api.events.v1.EventSeries', 'A series of repeated events.', {
  count: req(int32('Number of occurrences so far.')),
  lastObservedTime: req(ref(MicroTime, 'When the last occurrence was seen.')),
});

export const EventsEvent = topLevel('events.k8s.io', 'v1', 'Event', 'A report of something that happened in the cluster.', {
  action: string('What was done, or failed, about the regarding object.'),
  deprecatedCount: int32('Deprecated count, kept for core/v1 compatibility.'),
  deprecatedFirstTimestamp: ref(Time, 'Deprecated first timestamp, kept for core/v1 compatibility.'),
  deprecatedLastTimestamp: ref(Time, 'Deprecated last timestamp, kept for core/v1 compatibility.'),
  deprecatedSource: ref(EventSource, 'Deprecated source, kept for core/v1 compatibility.'),
  eventTime: req(ref(MicroTime, 'When the event first occurred.')),
  note: string('Human-readable description, at most 1 kB.'),
  reason: string('Short CamelCase reason.'),
  regarding: ref(ObjectReference, 'The object the event is about.'),
  related: ref(ObjectReference, 'A second object involved, if any.'),
  reportingController: string('Controller that emitted the event.'),
  reportingInstance: string('Instance of that controller.'),
  series: ref(EventsEventSeries, 'Data about a series of occurrences.'),
  type: string('Normal or Warning.'),
});

// ---- autoscaling/v1 --------------------------------------------------------------------------------

export const ScaleSpec = struct('io.k8s.api.autoscaling.v1.ScaleSpec', 'The desired scale.', {
  replicas: int32('Desired number of instances.'),
});

export const ScaleStatus = struct('io.k8s.api.autoscaling.v1.ScaleStatus', 'The observed scale.', {
  replicas: req(int32('Actual number of instances.')),
  selector: string('Label query over the pods, in string form.'),
});

export const Scale = topLevel('autoscaling', 'v1', 'Scale', 'The scale subresource of a scalable object.', {
  spec: ref(ScaleSpec, 'Desired scale.'),
  status: ref(ScaleStatus, 'Observed scale. Read-only.'),
});

// ---- authentication.k8s.io/v1 ----------------------------------------------------------------------

const AUTHN = 'io.k8s.api.authentication.v1';

export const BoundObjectReference = struct(`${AUTHN}.BoundObjectReference`, 'An object a token is bound to.', {
  apiVersion: string('API version of the referent.'),
  kind: string('Kind of the referent: Pod, Secret or Node.'),
  name: string('Name of the referent.'),
  uid: string('UID of the referent.'),
});

export const TokenRequestSpec = struct(`${AUTHN}.TokenRequestSpec`, 'What a token is requested for.', {
  audiences: req(list('string', 'Audiences the token is meant for.')),
  boundObjectRef: ref(BoundObjectReference, 'Object the token lives no longer than.'),
  expirationSeconds: int64('Requested lifetime in seconds.'),
});

export const TokenRequestStatus = struct(`${AUTHN}.TokenRequestStatus`, 'The issued token.', {
  expirationTimestamp: req(ref(Time, 'When the token expires.')),
  token: req(string('The token.')),
});

export const TokenRequest = topLevel(
  'authentication.k8s.io',
  'v1',
  'TokenRequest',
  'Requests a token for a service account.',
  {
    spec: req(ref(TokenRequestSpec, 'What the token is for.')),
    status: ref(TokenRequestStatus, 'The issued token.'),
  },
);
