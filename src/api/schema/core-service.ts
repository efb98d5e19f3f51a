// core/v1 Service and Endpoints.
import { Condition, IntOrString, topLevel } from './meta.js';
import { ObjectReference } from './core-refs.js';
import { atomicMap, boolean, enumOf, int32, keyed, list, ref, req, string, struct } from './dsl.js';

const CORE = 'io.k8s.api.core.v1';
const protocols = ['SCTP', 'TCP', 'UDP'];

export const ServicePort = struct(`${CORE}.ServicePort`, 'A port a service exposes.', {
  appProtocol: string('Application protocol of the port, such as kubernetes.io/h2c or a prefixed name.'),
  name: string('Name of the port, a DNS label; required when there are several ports.'),
  nodePort: int32('Port on every node for NodePort and LoadBalancer services; allocated when unset.'),
  port: req(int32('Port the service listens on.')),
  protocol: enumOf(protocols, 'IP protocol: TCP (default), UDP or SCTP.'),
  targetPort: ref(
    IntOrString,
    "Port number or named container port to reach on the pods; defaults to port. Ignored without a selector.",
  ),
});

export const ClientIPConfig = struct(`${CORE}.ClientIPConfig`, 'Settings of client-IP session affinity.', {
  timeoutSeconds: int32('Seconds a session sticks, up to 86400; defaults to 10800.'),
});

export const SessionAffinityConfig = struct(`${CORE}.SessionAffinityConfig`, 'Settings of session affinity.', {
  clientIP: ref(ClientIPConfig, 'Client-IP affinity settings.'),
});

export const ServiceSpec = struct(`${CORE}.ServiceSpec`, 'The desired behaviour of a service.', {
  allocateLoadBalancerNodePorts: boolean('Whether LoadBalancer services get node ports; defaults to true.'),
  clusterIP: string('Virtual IP of the service; allocated when empty, None for a headless service.'),
  clusterIPs: list('string', 'Virtual IPs, one per family; the first equals clusterIP.'),
  externalIPs: list('string', 'Extra IPs the nodes accept traffic for on the service ports.'),
  externalName: string('DNS name the cluster DNS returns as a CNAME; for type ExternalName.'),
  externalTrafficPolicy: enumOf(['Cluster', 'Local'], 'Where external traffic is routed: Cluster or Local endpoints.'),
  healthCheckNodePort: int32('Node port for health checks when externalTrafficPolicy is Local.'),
  internalTrafficPolicy: enumOf(['Cluster', 'Local'], 'Where in-cluster traffic is routed: Cluster or Local endpoints.'),
  ipFamilies: list('string', 'IP families of the service, IPv4 or IPv6, at most one of each.'),
  ipFamilyPolicy: enumOf(
    ['PreferDualStack', 'RequireDualStack', 'SingleStack'],
    'Dual-stack behaviour: SingleStack, PreferDualStack or RequireDualStack.',
  ),
  loadBalancerClass: string('Load balancer implementation that handles the service.'),
  loadBalancerIP: string('Deprecated: requested load balancer IP.'),
  loadBalancerSourceRanges: list('string', 'Client CIDRs the load balancer lets through.'),
  ports: list(ServicePort, 'Ports the service exposes.', keyed(['port', 'protocol'])),
  publishNotReadyAddresses: boolean('Publish endpoints of pods that are not ready.'),
  selector: atomicMap('string', 'Labels of the pods traffic goes to; no selector means endpoints are managed by hand.'),
  sessionAffinity: enumOf(['ClientIP', 'None'], 'Session affinity: None (default) or ClientIP.'),
  sessionAffinityConfig: ref(SessionAffinityConfig, 'Settings of session affinity.'),
  trafficDistribution: string('Preference for how traffic is spread over endpoints, such as PreferClose.'),
  type: enumOf(
    ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'],
    'How the service is exposed: ClusterIP (default), NodePort, LoadBalancer or ExternalName.',
  ),
});

export const PortStatus = struct(`${CORE}.PortStatus`, 'The state of one load balancer port.', {
  error: string('Why the port is in error, as a CamelCase reason.'),
  port: req(int32('Port number.')),
  protocol: req(enumOf(protocols, 'Protocol of the port.')),
});

export const LoadBalancerIngress = struct(`${CORE}.LoadBalancerIngress`, 'An ingress point of a load balancer.', {
  hostname: string('DNS name of the ingress point.'),
  ip: string('IP of the ingress point.'),
  ipMode: string('How traffic reaches the IP: VIP or Proxy.'),
  ports: list(PortStatus, 'Ports of the ingress point.'),
});

export const LoadBalancerStatus = struct(`${CORE}.LoadBalancerStatus`, 'The state of a load balancer.', {
  ingress: list(LoadBalancerIngress, 'Ingress points of the load balancer.'),
});

export const ServiceStatus = struct(`${CORE}.ServiceStatus`, 'The observed state of a service.', {
  conditions: list(Condition, 'Current conditions of the service.', keyed('type')),
  loadBalancer: ref(LoadBalancerStatus, 'State of the load balancer, if any.'),
});

export const Service = topLevel(
  '',
  'v1',
  'Service',
  'A named set of ports on a virtual IP that spreads traffic over the pods its selector matches.',
  {
    spec: ref(ServiceSpec, 'Desired behaviour of the service.'),
    status: ref(ServiceStatus, 'Observed state of the service. Read-only.'),
  },
);

// ---- Endpoints ------------------------------------------------------------------------------------

export const EndpointAddress = struct(`${CORE}.EndpointAddress`, 'One endpoint address.', {
  hostname: string('Host name of the endpoint.'),
  ip: req(string('IP of the endpoint.')),
  nodeName: string('Node hosting the endpoint.'),
  targetRef: ref(ObjectReference, 'Object behind the endpoint, usually a pod.'),
});

export const EndpointPort = struct(`${CORE}.EndpointPort`, 'One endpoint port.', {
  appProtocol: string('Application protocol of the port.'),
  name: string('Name of the port, matching the service port.'),
  port: req(int32('Port number.')),
  protocol: enumOf(protocols, 'IP protocol: TCP (default), UDP or SCTP.'),
});

export const EndpointSubset = struct(
  `${CORE}.EndpointSubset`,
  'Addresses that share a set of ports; the endpoints are their cross product.',
  {
    addresses: list(EndpointAddress, 'Ready addresses.'),
    notReadyAddresses: list(EndpointAddress, 'Addresses that are not ready yet.'),
    ports: list(EndpointPort, 'Ports on all the addresses.'),
  },
);

export const Endpoints = topLevel(
  '',
  'v1',
  'Endpoints',
  'The addresses behind a service. Deprecated in favour of EndpointSlice.',
  { subsets: list(EndpointSubset, 'Sets of addresses and ports.') },
);
