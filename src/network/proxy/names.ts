// Names of the iptables chains a cluster's service proxy owns, derived from the cluster id so that
// two clusters (or test runs) on one machine never share a chain. Chain names have at most 28
// characters; per-service and per-endpoint chains carry a hash of what they stand for.

import { createHash } from 'node:crypto';

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

export interface ProxyChains {
  /** nat: ClusterIP dispatch (from PREROUTING and OUTPUT). */
  services: string;
  /** nat: from PREROUTING on a learned pod network, sends the pods' subnets' traffic to `services`. */
  fromPods: string;
  /** nat: NodePort dispatch, the tail of `services` for local destinations. */
  nodePorts: string;
  /** nat: marks a packet for masquerading. */
  markMasquerade: string;
  /** nat: marks a packet for masquerading unless it comes from one of several pod subnets. */
  markExternal: string;
  /** nat: masquerades marked packets (from POSTROUTING). */
  postrouting: string;
  /** filter: rejects ClusterIP traffic of Services without endpoints (OUTPUT, FORWARD). */
  rejectServices: string;
  /** filter: rejects NodePort traffic of Services without endpoints (INPUT). */
  rejectNodePorts: string;
  /** filter: accepts forwarded service traffic (FORWARD). */
  forward: string;
  /** Prefixes of the per-service-port and per-endpoint chains. */
  servicePrefix: string;
  endpointPrefix: string;
}

export function proxyChains(clusterId: string): ProxyChains {
  const h = hash(`proxy/${clusterId}`, 6);
  return {
    services: `K8TS-SVC-${h}`,
    fromPods: `K8TS-POD-${h}`,
    nodePorts: `K8TS-NP-${h}`,
    markMasquerade: `K8TS-MQM-${h}`,
    markExternal: `K8TS-MQX-${h}`,
    postrouting: `K8TS-PST-${h}`,
    rejectServices: `K8TS-SVR-${h}`,
    rejectNodePorts: `K8TS-NPR-${h}`,
    forward: `K8TS-FWD-${h}`,
    servicePrefix: `KS-${h}-`,
    endpointPrefix: `KE-${h}-`,
  };
}

export function servicePortChain(chains: ProxyChains, servicePortKey: string): string {
  return `${chains.servicePrefix}${hash(servicePortKey, 16)}`;
}

export function endpointChain(chains: ProxyChains, servicePortKey: string, endpoint: string): string {
  return `${chains.endpointPrefix}${hash(`${servicePortKey}/${endpoint}`, 16)}`;
}
