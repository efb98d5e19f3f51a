// Cluster DNS for a node's pods: the node's own server on its pod network's gateway (port 53 when
// it is free), published as the node's endpoint of the kube-dns Service, and the resolver
// configuration the kubelet gives pods (the Service IP, reaching this node's server only).

import type { ApiClient } from '../../client/client.js';
import type { DnsConfig } from '../../runtime/types.js';
import type { Logger } from '../../util/log.js';
import { ClusterDns } from './cluster-dns.js';
import { clusterDnsIP } from '../proxy/service-cidr.js';

export { ClusterDns } from './cluster-dns.js';
export { clusterDnsIP } from '../proxy/service-cidr.js';
export { ensureDnsService } from './publish.js';

export interface NodeDnsOptions {
  client: ApiClient;
  nodeName: string;
  /** An address of this host that pods reach (the pod bridge's gateway). */
  host: string;
  /** Create the kube-dns Service (at the range's tenth address) when missing; else it is only read. */
  serviceCidr?: string;
  /** See ClusterDnsOptions.pods: `insecure` for a node credential, which may not list pods. */
  pods?: 'verified' | 'insecure';
  log: Logger;
}

export async function startNodeDns(opts: NodeDnsOptions): Promise<{ dns: ClusterDns; dnsConfig: DnsConfig }> {
  const publish = { nodeName: opts.nodeName, ...(opts.serviceCidr ? { serviceIP: clusterDnsIP(opts.serviceCidr) } : {}) };
  const base = { client: opts.client, host: opts.host, publish, ...(opts.pods ? { pods: opts.pods } : {}), log: opts.log };
  const attempt = async (port: number) => {
    const dns = new ClusterDns({ ...base, port });
    try {
      await dns.start();
      return dns;
    } catch (err) {
      await dns.stop();
      throw err;
    }
  };
  const dns = await attempt(53).catch((err: NodeJS.ErrnoException) => {
    // Port 53 is taken on this address: any port does, behind the kube-dns Service IP.
    if (err.code === 'EADDRINUSE') return attempt(0);
    throw err;
  });
  return { dns, dnsConfig: { servers: [dns.nameserver], searches: [], options: [] } };
}
