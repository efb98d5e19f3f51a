// Cluster DNS for a node's pods: the server on the pod network's gateway (port 53 when it is free),
// published as the kube-dns Service, and the resolver configuration the kubelet gives pods.

import type { ApiClient } from '../../client/client.js';
import type { DnsConfig } from '../../runtime/types.js';
import type { Logger } from '../../util/log.js';
import { ClusterDns } from './cluster-dns.js';
import { clusterDnsIP } from '../proxy/service-cidr.js';

export { ClusterDns } from './cluster-dns.js';
export { clusterDnsIP } from '../proxy/service-cidr.js';

export interface NodeDnsOptions {
  client: ApiClient;
  /** An address of this host that pods reach (the pod bridge's gateway). */
  host: string;
  serviceCidr: string;
  log: Logger;
}

export async function startNodeDns(opts: NodeDnsOptions): Promise<{ dns: ClusterDns; dnsConfig: DnsConfig }> {
  const base = { client: opts.client, host: opts.host, serviceIP: clusterDnsIP(opts.serviceCidr), log: opts.log };
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
