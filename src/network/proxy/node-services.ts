// What makes Services and cluster DNS work for a node's pods: the service proxy and the node's own
// DNS server, on either kind of pod network.
//
// - A network of k8ts's own (the process runtime's, or the bridge our containerd's CNI config
//   names): its subnet, bridge and gateway are known from the start; the proxy dispatches what
//   arrives on the bridge and the DNS server listens on the gateway.
// - A network the runtime's own CNI configuration makes (`--cri-endpoint`), learned from the
//   sandboxes (routes/learned-pod-network.ts): the proxy dispatches ClusterIP traffic whatever
//   interface it arrives on and masquerades what does not come from the learned subnets; the DNS
//   server listens on the node's address when pods can reach it (not loopback), else on the host's
//   address toward the first pod learned, and pods are given the kube-dns Service IP from the start.

import { writeFile } from 'node:fs/promises';
import type { ApiClient } from '../../client/client.js';
import type { DnsConfig } from '../../runtime/types.js';
import type { Logger } from '../../util/log.js';
import { startNodeDns, type ClusterDns } from '../dns/index.js';
import { dnsServiceIP } from '../dns/publish.js';
import type { PodNetworkLearner } from '../routes/learned-pod-network.js';
import { ServiceProxy } from './proxier.js';

export type NodePodNetwork =
  | { kind: 'bridge'; clusterId: string; podCIDR: string; bridge: string; gateway: string }
  | { kind: 'learned'; clusterId: string; learner: PodNetworkLearner };

export interface NodeServicesOptions {
  client: ApiClient;
  nodeName: string;
  network: NodePodNetwork;
  /** The node's addresses (a learned network's DNS server may listen on the first pods reach). */
  nodeIPs: string[];
  /** An API server on loopback only: the `kubernetes` Service reaches it at 127.0.0.1:port. */
  loopbackApiServer?: { port: number };
  /** See ClusterDnsOptions.pods: `insecure` for a node credential, which may not list pods. */
  dnsPods?: 'verified' | 'insecure';
  log: Logger;
}

export interface NodeServices {
  proxy: ServiceProxy;
  /** What pods get as resolv.conf (absent: no cluster DNS could be set up yet nor named in advance). */
  dnsConfig?: DnsConfig;
  /** The node's DNS server, once it listens. */
  dns(): ClusterDns | undefined;
  /** Stops the DNS server and the proxy (removing its rules unless `keepRules`). */
  stop(options?: { keepRules?: boolean }): Promise<void>;
}

/** An address of the node that pods can be sent to (not loopback or unspecified). */
export function podReachableAddress(ips: string[]): string | undefined {
  return ips.find((ip) => !ip.includes(':') && !ip.startsWith('127.') && ip !== '0.0.0.0');
}

export async function startNodeServices(opts: NodeServicesOptions): Promise<NodeServices> {
  const { client, nodeName, network, log } = opts;
  const proxy = new ServiceProxy({
    client,
    nodeName,
    clusterId: network.clusterId,
    ...(network.kind === 'bridge' ? { podCIDR: network.podCIDR, podInterface: network.bridge } : { podSubnets: network.learner.current.cidrs }),
    ...(opts.loopbackApiServer ? { loopbackApiServer: opts.loopbackApiServer } : {}),
    log: log.child('proxy'),
  });
  let dns: ClusterDns | undefined;
  let stopped = false;
  const startDns = async (host: string) => {
    const started = await startNodeDns({ client, nodeName, host, ...(opts.dnsPods ? { pods: opts.dnsPods } : {}), log: log.child('dns') });
    if (stopped) await started.dns.stop();
    else dns = started.dns;
    return started.dnsConfig;
  };
  const stop = async (options: { keepRules?: boolean } = {}) => {
    stopped = true;
    await dns?.stop();
    await proxy.stop(options);
  };
  try {
    if (network.kind === 'bridge') {
      const [proxyStarted, dnsStarted] = await Promise.allSettled([proxy.start(), startDns(network.gateway)]);
      if (proxyStarted.status === 'rejected') throw proxyStarted.reason;
      if (dnsStarted.status === 'rejected') throw dnsStarted.reason;
      return { proxy, dnsConfig: dnsStarted.value, dns: () => dns, stop };
    }
    const learner = network.learner;
    const localnet = new Set<string>();
    const routeLocalnet = async (interfaces: string[]) => {
      if (!opts.loopbackApiServer) return;
      // The `kubernetes` Service DNATs to 127.0.0.1: the kernel accepts that only from interfaces that allow it.
      for (const dev of interfaces) {
        if (localnet.has(dev)) continue;
        await writeFile(`/proc/sys/net/ipv4/conf/${dev}/route_localnet`, '1').catch((err: Error) => log.warn('cannot let pods reach the loopback API server', { interface: dev, error: err.message }));
        localnet.add(dev);
      }
    };
    const fixedHost = podReachableAddress(opts.nodeIPs);
    let dnsStarting: Promise<unknown> | undefined;
    const ensureDns = (hostAddresses: string[]) => {
      const host = fixedHost ?? hostAddresses[0];
      if (dnsStarting || !host || stopped) return dnsStarting;
      dnsStarting = startDns(host).catch((err: Error) => {
        dnsStarting = undefined;
        log.warn('could not start the node DNS server for pods', { host, error: err.message });
      });
      return dnsStarting;
    };
    learner.onChange(async (learned) => {
      if (stopped) return;
      await routeLocalnet(learned.interfaces);
      await Promise.all([proxy.setPodSubnets(learned.cidrs), ensureDns(learned.hostAddresses)]);
    });
    await routeLocalnet(learner.current.interfaces);
    const serviceIP = await dnsServiceIP(client).catch(() => undefined);
    await Promise.all([proxy.start(), ensureDns(learner.current.hostAddresses)]);
    // Pods started before the DNS server listens still name the Service, which reaches it once it does.
    const nameserver = serviceIP ?? fixedHost;
    return { proxy, ...(nameserver ? { dnsConfig: { servers: [nameserver], searches: [], options: [] } } : {}), dns: () => dns, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
