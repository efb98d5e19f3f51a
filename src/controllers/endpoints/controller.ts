// The Endpoints controller (kube-controller-manager's endpoint-controller): every Service with a
// selector gets an Endpoints object of the same name listing its pods' addresses; deleting the
// Service deletes it. Services without a selector, and ExternalName Services, are left alone.

import type { KubeObject } from '../../api/types.js';
import { ApiClient } from '../../client/client.js';
import type { Logger } from '../../util/log.js';
import { HEADLESS_LABEL, TRIGGER_TIME_ANNOTATION, isHeadless, podSelectorOf, serviceKey } from '../services.js';
import { desiredSubsets, truncateSubsets, type EndpointSubset } from './desired.js';
import { ServiceWatch } from './service-watch.js';
import { ignoreNotFound, same } from './api-util.js';
import { WrittenObjects } from './written.js';

const ENDPOINTS = ApiClient.resourceOf('v1', 'Endpoints');

export const ENDPOINTS_MANAGED_BY_LABEL = 'endpoints.kubernetes.io/managed-by';
export const ENDPOINTS_CONTROLLER_NAME = 'endpoint-controller';
const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

export class EndpointsController {
  private readonly watch: ServiceWatch<Endpoints>;
  private readonly written = new WrittenObjects<Endpoints>();

  constructor(
    private readonly client: ApiClient,
    private readonly log: Logger,
  ) {
    this.watch = new ServiceWatch<Endpoints>({
      client,
      owned: ENDPOINTS,
      ownerOf: (ep) => serviceKey(ep.metadata.namespace!, ep.metadata.name!),
      sync: (key) => this.sync(key),
      log,
    });
  }

  async start(): Promise<void> {
    await this.watch.start();
  }

  stop(): void {
    this.watch.stop();
  }

  /** Resolves when every queued Service has been synced (for tests). */
  idle(): Promise<void> {
    return this.watch.queue.idle();
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const service = this.watch.services.get(namespace, name);
    const current = this.written.resolve(key, this.watch.owned.get(namespace, name));
    if (!service) {
      // The Service is gone: so are its Endpoints (whoever wrote them, as upstream does).
      if (current) {
        await ignoreNotFound(this.client.delete(ENDPOINTS, namespace, name));
        this.written.deleted(namespace, name);
      }
      return;
    }
    const selector = podSelectorOf(service);
    if (!selector) return;

    const { subsets, truncated } = truncateSubsets(desiredSubsets(service, this.watch.podIndex.selected(service, selector)));
    const labels: Record<string, string> = { ...(service.metadata.labels ?? {}), [ENDPOINTS_MANAGED_BY_LABEL]: ENDPOINTS_CONTROLLER_NAME };
    if (isHeadless(service)) labels[HEADLESS_LABEL] = '';
    else delete labels[HEADLESS_LABEL];

    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];

    if (
      current &&
      same(current.subsets ?? [], subsets) &&
      same(current.metadata.labels ?? {}, labels) &&
      same(current.metadata.annotations ?? {}, annotations)
    ) {
      return;
    }
    annotations[TRIGGER_TIME_ANNOTATION] = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const body: Endpoints = {
      metadata: { ...(current?.metadata ?? { name, namespace }), labels, annotations },
      subsets,
    };
    this.written.wrote(current ? await this.client.update<Endpoints>(ENDPOINTS, body) : await this.client.create<Endpoints>(ENDPOINTS, namespace, body));
  }
}
