// The watching half shared by the Endpoints and EndpointSlice controllers: informers on Services,
// Pods and the controller's own kind, and a queue of Service keys fed from all three: a Service
// changed, a pod it selects (before or after a label change) changed, or the object the controller
// owns for it changed behind its back.

import type { KubeObject, Pod } from '../../api/types.js';
import type { ResourceInfo } from '../../api/resources.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import type { Logger } from '../../util/log.js';
import { WorkQueue } from '../shared/queue.js';
import { realClock } from '../../util/clock.js';
import { PodsByNamespace, serviceKey, servicesSelecting, type Service } from '../services.js';

const SERVICES = ApiClient.resourceOf('v1', 'Service');
const PODS = ApiClient.resourceOf('v1', 'Pod');

export interface ServiceWatchOptions<T extends KubeObject> {
  client: ApiClient;
  /** The kind the controller writes. */
  owned: ResourceInfo;
  /** The Service key an owned object belongs to, if any. */
  ownerOf(obj: T): string | undefined;
  sync(key: string): Promise<void>;
  log: Logger;
}

export class ServiceWatch<T extends KubeObject> {
  readonly services: Informer<Service>;
  readonly pods: Informer<Pod>;
  readonly owned: Informer<T>;
  readonly podIndex = new PodsByNamespace();
  readonly queue: WorkQueue;

  constructor(private readonly opts: ServiceWatchOptions<T>) {
    this.services = new Informer<Service>(opts.client, SERVICES);
    this.pods = new Informer<Pod>(opts.client, PODS);
    this.owned = new Informer<T>(opts.client, opts.owned);
    this.queue = new WorkQueue(opts.sync, { clock: realClock, log: opts.log, workers: 4, baseDelayMs: 50, maxDelayMs: 10_000 });

    const onService = (s: Service) => this.queue.add(serviceKey(s.metadata.namespace!, s.metadata.name!));
    this.services.on({ add: onService, update: onService, delete: onService });

    this.pods.on({
      add: (p) => {
        this.podIndex.set(p);
        this.enqueueFor(p);
      },
      update: (p, old) => {
        this.podIndex.set(p);
        if (!podChanged(p, old)) return;
        this.enqueueFor(p, old);
      },
      delete: (p) => {
        this.podIndex.delete(p);
        this.enqueueFor(p);
      },
    });

    const onOwned = (o: T) => {
      const key = opts.ownerOf(o);
      if (key) this.queue.add(key);
    };
    this.owned.on({ update: onOwned, delete: onOwned });
  }

  async start(): Promise<void> {
    this.owned.start();
    this.pods.start();
    await Promise.all([this.owned.synced, this.pods.synced]);
    this.services.start();
    await this.services.synced;
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    this.services.stop();
    this.pods.stop();
    this.owned.stop();
  }

  private enqueueFor(pod: Pod, old?: Pod): void {
    const ns = pod.metadata.namespace!;
    const keys = new Set<string>();
    for (const s of servicesSelecting(this.services.items.values(), ns, pod.metadata.labels)) keys.add(serviceKey(ns, s.metadata.name!));
    if (old) for (const s of servicesSelecting(this.services.items.values(), ns, old.metadata.labels)) keys.add(serviceKey(ns, s.metadata.name!));
    for (const k of keys) this.queue.add(k);
  }
}

/** Whether a pod update can change any endpoint (podEndpointsChanged, plus labels and ports). */
function podChanged(pod: Pod, old: Pod): boolean {
  const view = (p: Pod) =>
    JSON.stringify([
      p.metadata.labels,
      p.metadata.deletionTimestamp,
      p.status?.podIP,
      p.status?.podIPs,
      p.status?.phase,
      p.status?.conditions?.find((c) => c.type === 'Ready')?.status,
      p.spec.nodeName,
      (p.spec as { hostname?: string }).hostname,
      (p.spec as { subdomain?: string }).subdomain,
      p.spec.containers.map((c) => c.ports),
      p.spec.initContainers?.map((c) => c.ports),
    ]);
  return view(pod) !== view(old);
}
