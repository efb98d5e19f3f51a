// Cluster DNS: the DNS server fed by informers on Services, EndpointSlices and (unless pod names
// are answered unverified) Pods. Each object's change replaces its records in the index; queries
// never reach the API. When given a node name, it publishes itself as that node's endpoint of the
// `kube-dns` Service (publish.ts) and withdraws on stop, so that pods' resolv.conf names the
// Service IP as in Kubernetes and their queries stay on their node.

import type { Pod } from '../../api/types.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import type { Service } from '../../controllers/services.js';
import { SERVICE_NAME_LABEL } from '../../controllers/services.js';
import type { Logger } from '../../util/log.js';
import { Zone } from './zone.js';
import { podRecords, serviceRecords, zoneRecords, type SliceView } from './records.js';
import { Resolver } from './resolver.js';
import { Forwarder, hostUpstreams, type Upstream } from './forwarder.js';
import { DnsServer } from './server.js';
import { dnsServiceIP, ensureDnsService, publishNodeDns, withdrawNodeDns } from './publish.js';
import type { KubeObject } from '../../api/types.js';

const SERVICES = ApiClient.resourceOf('v1', 'Service');
const PODS = ApiClient.resourceOf('v1', 'Pod');
const SLICES = ApiClient.resourceOf('discovery.k8s.io/v1', 'EndpointSlice');

export interface ClusterDnsOptions {
  client: ApiClient;
  /** Where to listen (UDP and TCP). Port 0 picks a free one. */
  host: string;
  port: number;
  domain?: string;
  /** Default: the nameservers of the host's /etc/resolv.conf (never this server itself). */
  upstreams?: Upstream[];
  forwardTimeoutMs?: number;
  /**
   * Publish this server as the node's endpoint of the kube-dns Service. With `serviceIP` the
   * Service is created when missing (a client that may write Services); without, it is only read.
   */
  publish?: { nodeName: string; serviceIP?: string };
  /** `insecure`: pod names answered from the name alone, without reading Pods (CoreDNS's `pods` option). */
  pods?: 'verified' | 'insecure';
  log: Logger;
}

type EndpointSlice = KubeObject & SliceView;

export class ClusterDns {
  readonly zone = new Zone();
  readonly domain: string;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly pods: Informer<Pod> | undefined;
  private readonly slicesByService = new Map<string, Map<string, EndpointSlice>>();
  private server: DnsServer | undefined;
  private boundPort = 0;
  private published = false;
  /** The Service IP pods should use, once published. */
  serviceIP: string | undefined;

  constructor(private readonly options: ClusterDnsOptions) {
    this.domain = options.domain ?? 'cluster.local';
    this.services = new Informer<Service>(options.client, SERVICES);
    this.slices = new Informer<EndpointSlice>(options.client, SLICES);
    this.pods = options.pods === 'insecure' ? undefined : new Informer<Pod>(options.client, PODS);

    const onService = (s: Service) => this.syncService(s.metadata.namespace!, s.metadata.name!);
    this.services.on({ add: onService, update: onService, delete: onService });

    const onSlice = (s: EndpointSlice, deleted = false) => {
      const service = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (!service) return;
      const key = `${s.metadata.namespace}/${service}`;
      let slices = this.slicesByService.get(key);
      if (!slices) this.slicesByService.set(key, (slices = new Map()));
      if (deleted) slices.delete(s.metadata.name!);
      else slices.set(s.metadata.name!, s);
      if (slices.size === 0) this.slicesByService.delete(key);
      this.syncService(s.metadata.namespace!, service);
    };
    this.slices.on({
      add: (s) => onSlice(s),
      update: (s, old) => {
        const before = old.metadata.labels?.[SERVICE_NAME_LABEL];
        if (before && before !== s.metadata.labels?.[SERVICE_NAME_LABEL]) onSlice(old, true);
        onSlice(s);
      },
      delete: (s) => onSlice(s, true),
    });

    const onPod = (p: Pod) => this.zone.set(`pod/${p.metadata.namespace}/${p.metadata.name}`, podRecords(p, this.domain));
    this.pods?.on({ add: onPod, update: onPod, delete: (p) => this.zone.delete(`pod/${p.metadata.namespace}/${p.metadata.name}`) });
  }

  get port(): number {
    return this.boundPort;
  }

  get host(): string {
    return this.options.host;
  }

  /** The address pods should put in resolv.conf: the kube-dns Service IP when published, else the server's. */
  get nameserver(): string {
    return this.serviceIP ?? this.options.host;
  }

  async start(): Promise<void> {
    this.slices.start();
    this.pods?.start();
    await Promise.all([this.slices.synced, this.pods?.synced]);
    this.services.start();
    await this.services.synced;

    const resolver = new Resolver(this.zone, { domain: this.domain, insecurePods: this.options.pods === 'insecure' });
    const forwarder = new Forwarder({ upstreams: [], ...(this.options.forwardTimeoutMs ? { timeoutMs: this.options.forwardTimeoutMs } : {}) });
    this.server = new DnsServer({
      resolver,
      forwarder,
      onError: (err) => this.options.log.warn('dns server error', { error: err.message }),
    });
    this.boundPort = await this.server.listen(this.options.port, this.options.host);
    // Never forward to ourselves.
    forwarder.upstreams = (this.options.upstreams ?? hostUpstreams()).filter((u) => !(u.host === this.options.host && u.port === this.boundPort));

    const publish = this.options.publish;
    if (publish) {
      try {
        this.serviceIP = publish.serviceIP ? await ensureDnsService(this.options.client, publish.serviceIP) : await dnsServiceIP(this.options.client);
        if (this.serviceIP) {
          await publishNodeDns(this.options.client, { nodeName: publish.nodeName, address: this.options.host, port: this.boundPort });
          this.published = true;
        } else this.options.log.warn('there is no kube-dns Service; pods use the node\'s DNS server address');
      } catch (err) {
        this.serviceIP = undefined;
        this.options.log.warn('could not publish this node\'s DNS server as a kube-dns endpoint; pods use its address', { error: (err as Error).message });
      }
    }
    this.zone.set('zone', zoneRecords(this.domain, this.nameserver));
  }

  async stop(): Promise<void> {
    this.services.stop();
    this.slices.stop();
    this.pods?.stop();
    if (this.published) {
      this.published = false;
      await withdrawNodeDns(this.options.client, this.options.publish!.nodeName).catch((err: Error) =>
        this.options.log.warn('could not withdraw this node\'s kube-dns endpoint', { error: err.message }),
      );
    }
    await this.server?.close();
  }

  private syncService(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const service = this.services.get(namespace, name);
    if (!service) {
      this.zone.delete(`svc/${key}`);
      return;
    }
    const slices = [...(this.slicesByService.get(key)?.values() ?? [])];
    this.zone.set(`svc/${key}`, serviceRecords(service, slices, this.domain));
  }
}
