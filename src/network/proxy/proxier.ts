// The service proxy of a node: informers on Services and EndpointSlices keep a plan per Service;
// any change schedules one sync soon after (changes arriving together are coalesced), which
// rewrites the proxy's iptables chains in one transaction. A failed sync is retried. Stopping
// removes every rule and chain.

import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import { SERVICE_NAME_LABEL, type Service } from '../../controllers/services.js';
import type { Logger } from '../../util/log.js';
import { proxyChains, type ProxyChains } from './names.js';
import { planService, type EndpointSliceLike, type Endpoint, type ServicePortPlan } from './plan.js';
import { renderRules } from './rules.js';
import { jumps, missingJumps, readHostState, removeAll, restore } from './iptables.js';

const SERVICES = ApiClient.resourceOf('v1', 'Service');
const SLICES = ApiClient.resourceOf('discovery.k8s.io/v1', 'EndpointSlice');

/** Delay between the first change and the sync it triggers (coalesces bursts). */
const COALESCE_MS = 20;
const RETRY_MS = 1000;
/** How often the host is re-read so that a jump someone removed is put back. */
const RECHECK_MS = 30_000;

export interface ServiceProxyOptions {
  client: ApiClient;
  /** Names the chains (one set per cluster on a machine). */
  clusterId: string;
  /** The cluster's pod range: traffic from elsewhere to a ClusterIP is masqueraded. */
  podCIDR?: string;
  /**
   * The pods' subnets as far as known, on a network k8ts did not set up (a runtime's own CNI):
   * traffic from outside them to a ClusterIP is masqueraded. setPodSubnets() updates them.
   */
  podSubnets?: string[];
  /**
   * The node's pod bridge: PREROUTING dispatches only pods' traffic (clusters sharing a host stay
   * apart). Absent: ClusterIP traffic is dispatched whatever interface it arrives on.
   */
  podInterface?: string;
  /** This node's name: its endpoints serve Services with a traffic policy of Local. */
  nodeName?: string;
  /** An API server on loopback only: the `kubernetes` Service reaches it at 127.0.0.1:port. */
  loopbackApiServer?: { port: number };
  log: Logger;
}

export class ServiceProxy {
  readonly chains: ProxyChains;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSliceLike>;
  private readonly slicesByService = new Map<string, Map<string, EndpointSliceLike>>();
  private readonly plans = new Map<string, ServicePortPlan[]>();
  private previousChains = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;
  private failed = false;
  /** The host must be re-read before the next sync (at start, periodically, after a failure). */
  private recheck = true;
  private recheckTimer: NodeJS.Timeout | undefined;
  /** Completed syncs (for diagnostics and tests). */
  syncCount = 0;
  private podSubnets: string[] | undefined;
  private started = false;

  constructor(private readonly options: ServiceProxyOptions) {
    this.chains = proxyChains(options.clusterId);
    this.podSubnets = options.podSubnets ? [...options.podSubnets] : undefined;
    this.services = new Informer<Service>(options.client, SERVICES);
    this.slices = new Informer<EndpointSliceLike>(options.client, SLICES);
    const onService = (s: Service) => this.replan(s.metadata.namespace!, s.metadata.name!);
    this.services.on({ add: onService, update: onService, delete: onService });
    const onSlice = (s: EndpointSliceLike, deleted: boolean) => {
      const service = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (!service) return;
      const key = `${s.metadata.namespace}/${service}`;
      let slices = this.slicesByService.get(key);
      if (!slices) this.slicesByService.set(key, (slices = new Map()));
      if (deleted) slices.delete(s.metadata.name!);
      else slices.set(s.metadata.name!, s);
      if (slices.size === 0) this.slicesByService.delete(key);
      this.replan(s.metadata.namespace!, service);
    };
    this.slices.on({
      add: (s) => onSlice(s, false),
      update: (s, old) => {
        if (old.metadata.labels?.[SERVICE_NAME_LABEL] !== s.metadata.labels?.[SERVICE_NAME_LABEL]) onSlice(old, true);
        onSlice(s, false);
      },
      delete: (s) => onSlice(s, true),
    });
  }

  async start(): Promise<void> {
    this.slices.start();
    await this.slices.synced;
    this.services.start();
    await this.services.synced;
    this.started = true;
    await this.syncNow();
    this.recheckTimer = setInterval(() => {
      this.recheck = true;
      this.schedule(0);
    }, RECHECK_MS);
    this.recheckTimer.unref();
  }

  /**
   * Stops watching; removes every rule unless `keepRules` (pods that outlive the node agent keep
   * their Services until the next proxy of this cluster takes the chains over).
   */
  async stop(options: { keepRules?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.recheckTimer);
    this.services.stop();
    this.slices.stop();
    await this.syncing?.catch(() => undefined);
    if (!options.keepRules) await removeAll(this.chains);
  }

  /** New pod subnets (see podSubnets); resolves once the rules that use them are in place. */
  async setPodSubnets(cidrs: string[]): Promise<void> {
    if (this.podSubnets && cidrs.length === this.podSubnets.length && cidrs.every((c, i) => c === this.podSubnets![i])) return;
    this.podSubnets = [...cidrs];
    // Before start() the first sync renders them; after stop() nothing is rendered.
    if (this.stopped || !this.started) return;
    // A sync already under way rendered the old subnets: wait for it, then sync again.
    await this.syncing?.catch(() => undefined);
    await this.syncNow();
  }

  /** The current plan (for diagnostics and tests). */
  plan(): ServicePortPlan[] {
    return [...this.plans.values()].flat();
  }

  private replan(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const service = this.services.get(namespace, name);
    if (!service) this.plans.delete(key);
    else this.plans.set(key, planService(service, [...(this.slicesByService.get(key)?.values() ?? [])], { fallback: (s, port) => this.fallback(s, port), ...(this.options.nodeName ? { nodeName: this.options.nodeName } : {}) }));
    this.schedule(COALESCE_MS);
  }

  private fallback(service: Service, portName: string): Endpoint[] | undefined {
    const api = this.options.loopbackApiServer;
    if (!api || service.metadata.namespace !== 'default' || service.metadata.name !== 'kubernetes' || portName !== 'https') return undefined;
    return [{ ip: '127.0.0.1', port: api.port }];
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.dirty = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.syncNow().catch(() => undefined);
    }, delay);
    this.timer.unref();
  }

  private async syncNow(): Promise<void> {
    if (this.syncing) {
      this.dirty = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        let extra: { nat: string[]; filter: string[] } | undefined;
        if (this.recheck) {
          const host = await readHostState(this.chains);
          // Chains of an earlier run (same cluster, crashed) are deleted by this sync if unneeded.
          for (const c of host.chains.nat) if (c.startsWith(this.chains.servicePrefix) || c.startsWith(this.chains.endpointPrefix)) this.previousChains.add(c);
          extra = missingJumps(host, jumps(this.chains, this.options));
        }
        const rendered = renderRules(this.chains, this.plan(), this.previousChains, {
          ...(this.podSubnets ? { podCIDRs: this.podSubnets } : this.options.podCIDR ? { podCIDR: this.options.podCIDR } : {}),
          ...(extra ? { extra } : {}),
        });
        await restore(rendered.text);
        this.previousChains = rendered.chains;
        this.recheck = false;
        this.syncCount++;
        this.failed = false;
      } catch (err) {
        this.options.log.warn('service proxy sync failed; retrying', { error: (err as Error).message });
        this.dirty = true;
        this.failed = true;
        this.recheck = true;
        throw err;
      } finally {
        this.syncing = undefined;
        if (this.dirty && !this.stopped) {
          this.dirty = false;
          this.schedule(this.failed ? RETRY_MS : COALESCE_MS);
        }
      }
    })();
    return this.syncing;
  }
}
