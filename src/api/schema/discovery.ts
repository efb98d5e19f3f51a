// discovery.k8s.io/v1: EndpointSlice.
import { topLevel } from './meta.js';
import { ObjectReference } from './core-refs.js';
import { boolean, enumOf, int32, list, map, ref, req, set, string, struct } from './dsl.js';

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
